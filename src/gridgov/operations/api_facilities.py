"""Service facilities API under /api/v1/operations/: the facility types (the policy),
facilities and their spaces, walk-in use, each space's utilisation in a month, the
15-minute circle per grid, and the 功能调整 tasks. Scoped like the pages."""

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema, Status

from gridgov.core.api_support import (
    Latitude,
    Limit,
    Longitude,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.errors import ValidationFailed
from gridgov.operations import selectors_facilities as selectors
from gridgov.operations import services_facilities as services
from gridgov.operations.policies_facilities import facilities_policy

router = PermissionRouter(tags=["operations: service facilities"])


class KindOut(Schema):
    code: str
    name: str
    name_en: str
    in_circle: bool


class SpaceOut(Schema):
    uid: UUID
    name: str
    capacity: int
    schedule: dict
    bookable: UUID | None
    equipment: str
    opened_on: date

    @staticmethod
    def resolve_bookable(obj):
        return obj.bookable.resource.uid if obj.bookable_id else None


class FacilityOut(Schema):
    uid: UUID
    name: str
    kind: str
    grid: str | None
    community: str
    lon: float
    lat: float
    address: str
    owner_department: str
    shared_with: str

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code if obj.grid_id else None

    @staticmethod
    def resolve_community(obj):
        return obj.community.code


class FacilityDetailOut(FacilityOut):
    spaces: list[SpaceOut]

    @staticmethod
    def resolve_spaces(obj):
        return list(obj.spaces.filter(is_active=True).select_related("bookable__resource"))


class FacilityPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[FacilityOut]


class FacilityIn(Schema):
    """``kind``: a facility type code; the point (WGS-84) places it in its grid."""

    name: line(100)
    kind: line(20)
    lon: Longitude
    lat: Latitude
    address: line(200) = ""
    owner_department: line(100)
    shared_with: line(200) = ""


class SpaceIn(Schema):
    """Opening hours per weekday (``{"0": [["08:30", "11:30"]], …}``, 0 = Monday), or
    ``bookable``: the uid of a bookable resource of the three lists (its hours count)."""

    name: line(100)
    capacity: int
    schedule: dict[str, list[list[line(5)]]] = {}
    bookable: UUID | None = None
    equipment: line(300) = ""
    opened_on: date | None = None  # in use since (default today)


class UseIn(Schema):
    used_on: date
    hours: float
    attendees: int
    note: lines(200) = ""


class UseOut(Schema):
    used_on: date
    hours: float
    attendees: int
    note: str


class UtilisationOut(Schema):
    space: UUID
    name: str
    month: date
    open_hours: float
    booked_hours: float
    walk_in_hours: float
    utilisation: float | None
    idle: float | None


class CircleGridOut(Schema):
    grid: str
    residents: int
    covered: int
    share: float | None
    has_centre: bool


class CircleOut(Schema):
    reach_m: int
    target: float
    residents: int
    covered: int
    unplaced: int
    uncovered_buildings: int
    grids: list[CircleGridOut]


class TaskOut(Schema):
    uid: UUID
    space: UUID
    facility: UUID
    month: date
    idle: float
    state: str
    note: str
    version: int

    @staticmethod
    def resolve_space(obj):
        return obj.space.uid

    @staticmethod
    def resolve_facility(obj):
        return obj.space.facility.uid


class TaskCloseIn(Schema):
    version: Version
    note: lines(300)


def _month(raw: str) -> date:
    if not raw:
        return timezone.localdate().replace(day=1)
    try:
        return datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(details={"month": [_("Give the month as YYYY-MM.")]}) from None


@router.get("/facility-kinds", response=list[KindOut])
@api_requires("operations.view")
def facility_kinds(request):
    return [{"code": k, **v.model_dump()} for k, v in facilities_policy().kinds.items()]


@router.get("/facilities", response=FacilityPage)
@api_requires("operations.view")
def facility_list(request, kind: line(20) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors.facility_list(actor=request.user, kind=kind)
    items, limit, offset = page_slice(qs, offset, limit)
    return FacilityPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/facilities", response={201: FacilityDetailOut})
@api_requires("operations.manage")
def facility_create(request, payload: FacilityIn):
    return Status(201, services.facility_create(actor=request.user, data=payload.model_dump()))


@router.get("/facilities/circle", response=CircleOut)
@api_requires("operations.view")
def facility_circle(request):
    """The 15-minute circle over the reader's area, per grid."""
    return selectors.circle_board(actor=request.user)


@router.get("/facilities/{uid}", response=FacilityDetailOut)
@api_requires("operations.view")
def facility_get(request, uid: UUID):
    return selectors.facility_get(actor=request.user, uid=uid)


@router.post("/facilities/{uid}/spaces", response={201: SpaceOut})
@api_requires("operations.manage")
def space_create(request, uid: UUID, payload: SpaceIn):
    facility = selectors.facility_get(actor=request.user, uid=uid, action="manage")
    data = payload.model_dump()
    data["bookable"] = str(data["bookable"]) if data["bookable"] else ""
    return Status(201, services.space_create(actor=request.user, facility=facility, data=data))


@router.post("/facility-spaces/{uid}/uses", response={201: UseOut})
@api_requires("operations.manage")
def use_create(request, uid: UUID, payload: UseIn):
    """Walk-in use of a day: 422 for hours ≤ 0, more than the day's opening hours, or a day
    in the future."""
    space = selectors.space_get(actor=request.user, uid=uid, action="manage")
    return Status(
        201, services.use_record(actor=request.user, space=space, data=payload.model_dump())
    )


@router.get("/facilities/{uid}/utilisation", response=list[UtilisationOut])
@api_requires("operations.view")
def facility_utilisation(request, uid: UUID, month: line(7) = ""):
    """Each space's month (``YYYY-MM``, default the running month, to today)."""
    facility = selectors.facility_get(actor=request.user, uid=uid)
    first = _month(month)
    rows = selectors.space_utilisation(
        facility.spaces.filter(is_active=True).select_related("bookable"),
        first,
        until=timezone.localdate(),
    )
    return [
        {
            "space": r.space.uid,
            "name": r.space.name,
            "month": r.month,
            "open_hours": round(r.open_hours, 1),
            "booked_hours": round(r.booked_hours, 1),
            "walk_in_hours": round(r.walk_in_hours, 1),
            "utilisation": r.utilisation,
            "idle": r.idle,
        }
        for r in rows
    ]


@router.get("/facility-tasks", response=list[TaskOut])
@api_requires("operations.view")
def task_list(request, open: bool = True):  # noqa: A002 - the query parameter's name
    return list(selectors.task_list(actor=request.user, open_only=open)[:500])


@router.post("/facility-tasks/{uid}/close", response=TaskOut)
@api_requires("operations.manage")
def task_close(request, uid: UUID, payload: TaskCloseIn):
    task = selectors.task_get(actor=request.user, uid=uid)
    return services.task_close(
        actor=request.user, task=task, version=payload.version, note=payload.note
    )
