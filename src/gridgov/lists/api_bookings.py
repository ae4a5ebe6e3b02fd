"""The bookings API: bookable resources (list, settings, slots, utilisation) and bookings
(list, create, get, actions). Scoped like the pages; the applicant leaves only masked."""

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    page_slice,
)
from gridgov.lists import booking_selectors as selectors
from gridgov.lists import booking_services as services
from gridgov.lists import selectors as list_selectors
from gridgov.lists.models import BookableSpace, Booking
from gridgov.lists.workflow import BOOKING_MACHINE

router = PermissionRouter(tags=["bookings"])


class SpaceOut(Schema):
    resource: UUID
    name: str
    owner: str
    kind: str
    schedule: dict[str, list[list[str]]]
    slot_minutes: int
    needs_approval: bool
    capacity_people: int
    is_open: bool
    version: int

    @staticmethod
    def resolve_resource(obj):
        return obj.resource.uid

    @staticmethod
    def resolve_name(obj):
        return obj.resource.name

    @staticmethod
    def resolve_owner(obj):
        return obj.resource.owner.code


class SpacePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[SpaceOut]


class SpaceIn(Schema):
    """``schedule``: opening hours per weekday, 0 = Monday … 6 = Sunday, local time, e.g.
    ``{"0": [["08:30", "11:30"], ["13:30", "17:30"]]}``; a day left out is closed.
    ``version``: the one read, when changing existing settings."""

    kind: line(10) = "room"
    schedule: dict[str, list[list[line(5)]]]
    slot_minutes: int = 60
    needs_approval: bool = True
    capacity_people: int = 1
    is_open: bool = True
    version: int | None = None


class SlotOut(Schema):
    start: datetime
    end: datetime
    status: str  # free, pending, booked, used, no_show, past
    booking: UUID | None


class DayOut(Schema):
    day: date
    slots: list[SlotOut]


class UtilisationOut(Schema):
    resource: UUID
    name: str
    month: date
    open_hours: float
    used_hours: float
    booked_hours: float
    no_show_hours: float
    no_shows: int
    bookings: int
    utilisation: float | None
    idle: float | None


class BookingOut(Schema):
    uid: UUID
    resource: UUID
    resource_name: str
    start_at: datetime
    end_at: datetime
    state: str
    applicant_name_masked: str
    applicant_phone_masked: str
    group_name: str
    purpose: str
    attendees: int
    decided_by_name: str
    decided_at: datetime | None
    reason: str
    checked_in_at: datetime | None
    requested_at: datetime
    version: int

    @staticmethod
    def resolve_resource(obj):
        return obj.space.resource.uid

    @staticmethod
    def resolve_resource_name(obj):
        return obj.space.resource.name


class BookingDetailOut(BookingOut):
    actions: list[str]


class BookingPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[BookingOut]


class BookingIn(Schema):
    """A booking of a bookable resource. ``start`` and ``end`` (or ``slots``: how many
    consecutive slots) in local time unless an offset is given; ``resident``: the uid of a
    resident it is for (the applicant's name is then theirs); otherwise ``applicant_name``
    (a person, or a group's contact) and optionally ``group_name``."""

    resource: UUID
    start: datetime
    end: datetime | None = None
    slots: int | None = None
    purpose: line(300)
    attendees: int = 1
    applicant_name: line(50) = ""
    applicant_phone: line(30) = ""
    group_name: line(100) = ""
    resident: UUID | None = None


class BookingTransitionIn(Schema):
    """``action``: approve, reject, cancel, check_in, no_show, complete; ``reason`` for
    reject and cancel."""

    action: line(20)
    version: Version
    reason: line(300) = ""


def _detail(request, booking: Booking) -> Booking:
    booking.actions = BOOKING_MACHINE.offered(request.user, booking)
    return booking


@router.get("/bookable-resources", response=SpacePage)
@api_requires("lists.view")
def space_list(request, kind: line(10) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors.space_list(actor=request.user, kind=kind)
    items, limit, offset = page_slice(qs, offset, limit)
    return SpacePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.put("/bookable-resources/{uid}", response=SpaceOut)
@api_requires("lists.manage")
def space_put(request, uid: UUID, payload: SpaceIn):
    """Make the resource ``uid`` bookable, or change its booking settings."""
    resource = list_selectors.resource_get(actor=request.user, uid=uid, action="manage")
    data = payload.model_dump()
    version = data.pop("version")
    services.space_save(actor=request.user, resource=resource, data=data, version=version)
    return BookableSpace.objects.select_related("resource__owner").get(resource=resource)


@router.get("/bookable-resources/{uid}/slots", response=list[DayOut])
@api_requires("lists.view")
def space_slots(request, uid: UUID, start: date | None = None, days: int = 7):
    """The calendar: every slot of ``days`` days (1–31) from ``start`` (today by default),
    with its status; ``booking`` only for bookings the caller may read."""
    space = selectors.space_get(actor=request.user, uid=uid)
    first = start or timezone.localdate()
    days = max(1, min(31, days))
    return [
        {
            "day": d.day,
            "slots": [
                {
                    "start": s.start,
                    "end": s.end,
                    "status": s.status,
                    "booking": s.booking.uid if s.visible else None,
                }
                for s in d.slots
            ],
        }
        for d in selectors.week_calendar(actor=request.user, space=space, first=first, days=days)
    ]


@router.get("/bookable-resources/{uid}/utilisation", response=UtilisationOut)
@api_requires("lists.view")
def space_utilisation(request, uid: UUID, month: line(7) = ""):
    """Hours open, used (checked in or completed), booked and no-show in ``month``
    (YYYY-MM, this month by default); utilisation = used ÷ open."""
    space = selectors.space_get(actor=request.user, uid=uid)
    row = selectors.booking_utilisation(month=services.month_of(month), space=space)[0]
    return {
        "resource": space.resource.uid,
        "name": space.resource.name,
        "month": row.month,
        "open_hours": row.open_hours,
        "used_hours": row.used_hours,
        "booked_hours": row.booked_hours,
        "no_show_hours": row.no_show_hours,
        "no_shows": row.no_shows,
        "bookings": row.bookings,
        "utilisation": row.utilisation,
        "idle": row.idle,
    }


@router.get("/bookings", response=BookingPage)
@api_requires("lists.view")
def booking_list(
    request,
    state: line(12) = "",
    resource: UUID | None = None,
    mine: bool = False,
    offset: Offset = 0,
    limit: Limit = 50,
):
    space = selectors.space_get(actor=request.user, uid=resource) if resource else None
    qs = selectors.booking_list(actor=request.user, state=state, space=space, mine=mine)
    items, limit, offset = page_slice(qs, offset, limit)
    return BookingPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/bookings", response={201: BookingDetailOut})
@api_requires("lists.book")
def booking_create(request, payload: BookingIn):
    """Book; 409 ``slot_taken`` when the slot is held (also to the loser of a race)."""
    booking = services.booking_create(
        actor=request.user,
        data=services.BookingInput(
            resource=payload.resource,
            start=payload.start,
            end=payload.end,
            slots=payload.slots,
            purpose=payload.purpose,
            attendees=payload.attendees,
            applicant_name=payload.applicant_name,
            applicant_phone=payload.applicant_phone,
            group_name=payload.group_name,
            resident=payload.resident,
        ),
    )
    return Status(201, _detail(request, selectors.booking_get(actor=request.user, uid=booking.uid)))


@router.get("/bookings/{uid}", response=BookingDetailOut)
@api_requires("lists.view")
def booking_get(request, uid: UUID):
    return _detail(request, selectors.booking_get(actor=request.user, uid=uid))


@router.post("/bookings/{uid}/transitions", response=BookingDetailOut)
@api_requires("lists.book")
def booking_transition(request, uid: UUID, payload: BookingTransitionIn):
    booking = selectors.booking_get(actor=request.user, uid=uid)
    services.booking_transition(
        actor=request.user,
        booking=booking,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
    )
    return _detail(request, selectors.booking_get(actor=request.user, uid=uid))
