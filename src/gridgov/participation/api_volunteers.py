"""The volunteers API: volunteers (list, register, get, change), activities with their
shifts, and the shift record's steps (sign-up, cancel, check-in, check-out, approve, rate).
Scoped like the pages; names and phones leave only masked.

Errors: 403 without the permission (or ``not_a_verified_resident``, ``not_a_volunteer``,
``confidentiality_required``); 404 for what lies outside the caller's scope; 409
``shift_full``, ``already_signed_up``, ``already_registered``, ``already_approved``,
``not_checked_in``, ``not_checked_out``, ``state`` or a stale ``version``; 422 with a
message per field (``outside_place`` with the distance, hours beyond the shift)."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

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
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.masking import mask_name
from gridgov.participation import selectors_volunteers as sel
from gridgov.participation import services_volunteers as services
from gridgov.residents.selectors import require_resident, resident_for

router = PermissionRouter(tags=["volunteers"])


class VolunteerOut(Schema):
    uid: UUID
    badge_number: str
    name_masked: str
    phone_masked: str
    status: str
    status_since: date
    left_on: date | None
    skills: list[str]
    weekdays: list[int]
    time_bands: list[str]
    service_area: list[str]
    teams: list[str]
    confidentiality_signed_on: date | None
    may_touch_personal_data: bool
    on_behalf: bool
    approved_hours: Decimal
    average_rating: float | None
    stars: int
    version: int

    @staticmethod
    def resolve_name_masked(obj):
        return mask_name(obj.resident.name)

    @staticmethod
    def resolve_phone_masked(obj):
        return obj.resident.phone_masked

    @staticmethod
    def resolve_service_area(obj):
        return [u.code for u in obj.service_area.all()]

    @staticmethod
    def resolve_teams(obj):
        return [str(t.uid) for t in obj.teams.all()]

    @staticmethod
    def resolve_may_touch_personal_data(obj):
        return sel.may_touch_personal_data(obj)

    @staticmethod
    def resolve_approved_hours(obj):
        return obj.stars.hours

    @staticmethod
    def resolve_average_rating(obj):
        return obj.stars.rating

    @staticmethod
    def resolve_stars(obj):
        return obj.stars.stars


class VolunteerPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[VolunteerOut]


class VolunteerIn(Schema):
    """``resident``: the uid of a resident of the caller's scope (staff register on their
    behalf, 代办); left out, the caller registers themselves (their bound resident).
    ``skills``: codes of the fixed list; ``weekdays`` 0 (Monday) – 6; ``time_bands``
    morning, afternoon, evening; ``service_area``: codes of communities or grids;
    ``teams``: team uids; ``confidentiality_signed_on`` (staff only)."""

    resident: UUID | None = None
    skills: list[line(20)] = []
    weekdays: list[int] = []
    time_bands: list[line(10)] = []
    service_area: list[line(20)] = []
    teams: list[UUID] = []
    confidentiality_signed_on: date | None = None


class VolunteerChange(Schema):
    skills: list[line(20)] = []
    weekdays: list[int] = []
    time_bands: list[line(10)] = []
    service_area: list[line(20)] = []
    teams: list[UUID] = []
    confidentiality_signed_on: date | None = None
    status: line(8) = "active"
    left_on: date | None = None
    version: Version


class ShiftOut(Schema):
    uid: UUID
    activity: UUID
    title: str
    place: str
    start_at: datetime
    end_at: datetime
    slots: int
    taken: int
    touches_personal_data: bool

    @staticmethod
    def resolve_activity(obj):
        return obj.activity.uid

    @staticmethod
    def resolve_title(obj):
        return obj.activity.title

    @staticmethod
    def resolve_place(obj):
        return obj.activity.place

    @staticmethod
    def resolve_taken(obj):
        return getattr(obj, "taken", 0)

    @staticmethod
    def resolve_touches_personal_data(obj):
        return obj.activity.touches_personal_data


class ActivityOut(Schema):
    uid: UUID
    org_unit: str
    title: str
    description: str
    place: str
    lon: float
    lat: float
    radius_m: int
    touches_personal_data: bool
    team: UUID | None
    shifts: list[ShiftOut]

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.code

    @staticmethod
    def resolve_team(obj):
        return obj.team.uid if obj.team_id else None

    @staticmethod
    def resolve_shifts(obj):
        shifts = list(obj.shifts.select_related("activity"))
        counts = sel.holding_counts(shifts)
        for s in shifts:
            s.taken = counts.get(s.pk, 0)
        return shifts


class ActivityPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ActivityOut]


class ActivityIn(Schema):
    """``org_unit``: code of a street, community or grid; ``lon``/``lat`` WGS-84;
    ``radius_m``: the check-in radius (the policy's default when left out)."""

    org_unit: line(20)
    title: line(120)
    description: lines(2000) = ""
    place: line(120)
    lon: Longitude
    lat: Latitude
    radius_m: int | None = None
    touches_personal_data: bool = False
    team: UUID | None = None


class ShiftIn(Schema):
    """``recipient``: the uid of the resident served, who may approve and rate the hours."""

    start: datetime
    end: datetime
    slots: int
    recipient: UUID | None = None


class RecordOut(Schema):
    uid: UUID
    shift: UUID
    volunteer: UUID
    badge_number: str
    state: str
    signed_up_at: datetime
    checked_in_at: datetime | None
    check_in_distance_m: int | None
    checked_out_at: datetime | None
    check_out_distance_m: int | None
    hours: Decimal | None
    approved_at: datetime | None
    approved_by_name: str
    rating: int | None
    version: int

    @staticmethod
    def resolve_shift(obj):
        return obj.shift.uid

    @staticmethod
    def resolve_volunteer(obj):
        return obj.volunteer.uid

    @staticmethod
    def resolve_badge_number(obj):
        return obj.volunteer.badge_number


class SignUpIn(Schema):
    """``volunteer``: staff sign a volunteer of their scope up (代办); left out, the caller
    signs themselves up."""

    volunteer: UUID | None = None


class PlaceIn(Schema):
    """The phone's position (WGS-84, from the browser's geolocation) and the client's UUID
    for this check-in or check-out: sending it again returns the stored result."""

    lon: Longitude
    lat: Latitude
    client_id: UUID


class ApproveIn(Schema):
    """``hours``: a correction of the checked-out hours (at most the shift's length plus the
    tolerance); ``rating`` 1–5 of the service."""

    hours: Decimal | None = None
    rating: int | None = None


class RateIn(Schema):
    rating: int


def _volunteer_out(volunteer):
    row = sel.with_totals(type(volunteer).objects.filter(pk=volunteer.pk)).first()
    row.stars = sel.stars_of(row.approved_hours, row.average_rating)
    return row


def _record(uid):
    from gridgov.participation.models import ShiftRecord

    return ShiftRecord.objects.select_related("shift", "volunteer").get(uid=uid)


def _own_record(request, uid):
    volunteer = sel.volunteer_for(resident_for(request.user))
    if volunteer is None:
        raise NotFound()
    return sel.own_record(volunteer, uid)


@router.get("/participation/volunteers", response=VolunteerPage)
@api_requires("participation.view")
def volunteer_list(request, status: line(8) = "", offset: Offset = 0, limit: Limit = 50):
    qs = sel.volunteer_list(actor=request.user, status=status).prefetch_related(
        "service_area", "teams"
    )
    items, limit, offset = page_slice(qs, offset, limit)
    return VolunteerPage(
        count=qs.count(), offset=offset, limit=limit, items=sel.attach_stars(items)
    )


@router.post("/participation/volunteers", response={201: VolunteerOut})
@api_requires("participation.manage|participation.take_part")
def volunteer_register(request, payload: VolunteerIn):
    data = payload.model_dump()
    resident = data.pop("resident")
    volunteer = services.register_volunteer(actor=request.user, data=data, resident_uid=resident)
    return Status(201, _volunteer_out(volunteer))


@router.get("/participation/volunteers/me", response=VolunteerOut)
@api_requires("participation.take_part")
def volunteer_me(request):
    volunteer = sel.volunteer_for(require_resident(request.user))
    if volunteer is None:
        raise NotFound()
    return _volunteer_out(volunteer)


@router.get("/participation/volunteers/{uid}", response=VolunteerOut)
@api_requires("participation.view")
def volunteer_get(request, uid: UUID):
    return _volunteer_out(sel.volunteer_get(actor=request.user, uid=uid))


@router.put("/participation/volunteers/{uid}", response=VolunteerOut)
@api_requires("participation.manage")
def volunteer_change(request, uid: UUID, payload: VolunteerChange):
    volunteer = sel.volunteer_get(actor=request.user, uid=uid, action="manage")
    data = payload.model_dump()
    version = data.pop("version")
    services.update_volunteer(actor=request.user, volunteer=volunteer, data=data, version=version)
    return _volunteer_out(volunteer)


@router.get("/participation/activities", response=ActivityPage)
@api_requires("participation.view")
def activity_list(request, offset: Offset = 0, limit: Limit = 50):
    qs = sel.activity_list(actor=request.user)
    items, limit, offset = page_slice(qs, offset, limit)
    return ActivityPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/participation/activities", response={201: ActivityOut})
@api_requires("participation.manage")
def activity_create(request, payload: ActivityIn):
    activity = services.activity_create(actor=request.user, data=payload.model_dump())
    return Status(201, activity)


@router.get("/participation/activities/{uid}", response=ActivityOut)
@api_requires("participation.view")
def activity_get(request, uid: UUID):
    return sel.activity_get(actor=request.user, uid=uid)


@router.post("/participation/activities/{uid}/shifts", response={201: ShiftOut})
@api_requires("participation.manage")
def shift_create(request, uid: UUID, payload: ShiftIn):
    activity = sel.activity_get(actor=request.user, uid=uid, action="manage")
    return Status(
        201, services.shift_create(actor=request.user, activity=activity, data=payload.model_dump())
    )


@router.get("/participation/shifts/open", response=list[ShiftOut])
@api_requires("participation.take_part")
def shifts_open(request):
    """Shifts still to start in the caller's area (their community and service area)."""
    volunteer = sel.volunteer_for(require_resident(request.user))
    if volunteer is None:
        return []
    return list(sel.open_shifts(volunteer)[:200])


@router.get("/participation/shifts/{uid}/records", response=list[RecordOut])
@api_requires("participation.view")
def shift_records(request, uid: UUID):
    shift = sel.shift_get(actor=request.user, uid=uid)
    return list(shift.records.select_related("shift", "volunteer"))


@router.post("/participation/shifts/{uid}/signups", response={201: RecordOut})
@api_requires("participation.take_part|participation.manage")
def shift_sign_up(request, uid: UUID, payload: SignUpIn):
    """Sign up for a slot; 409 ``shift_full`` / ``already_signed_up``."""
    if payload.volunteer is not None:
        shift = sel.shift_get(actor=request.user, uid=uid, action="manage")
        volunteer = sel.volunteer_get(actor=request.user, uid=payload.volunteer, action="manage")
        record = services.sign_up(actor=request.user, shift=shift, volunteer=volunteer)
    else:
        volunteer = sel.volunteer_for(resident_for(request.user))
        if volunteer is None:
            # Staff name the volunteer; a resident without a profile registers first.
            if request.user.has_permission("participation.manage"):
                sel.shift_get(actor=request.user, uid=uid, action="manage")
                raise ValidationFailed(details={"volunteer": [_("Name the volunteer.")]})
            services.own_volunteer(request.user)
        shift = sel.shift_for_volunteer(volunteer, uid)
        record = services.sign_up(actor=request.user, shift=shift)
    return Status(201, _record(record.uid))


@router.post("/participation/shifts/records/{uid}/cancel", response=RecordOut)
@api_requires("participation.take_part")
def record_cancel(request, uid: UUID):
    record = services.cancel(actor=request.user, record=_own_record(request, uid))
    return _record(record.uid)


@router.post("/participation/shifts/records/{uid}/check-in", response=RecordOut)
@api_requires("participation.take_part")
def record_check_in(request, uid: UUID, payload: PlaceIn):
    """Check in at the place; 422 ``outside_place`` with the distance in the message."""
    record = services.check_in(
        actor=request.user, record=_own_record(request, uid), data=payload.model_dump()
    )
    return _record(record.uid)


@router.post("/participation/shifts/records/{uid}/check-out", response=RecordOut)
@api_requires("participation.take_part")
def record_check_out(request, uid: UUID, payload: PlaceIn):
    """Check out; 409 ``not_checked_in`` before a check-in."""
    record = services.check_out(
        actor=request.user, record=_own_record(request, uid), data=payload.model_dump()
    )
    return _record(record.uid)


def _approvable(request, uid):
    from gridgov.participation.models import ShiftRecord

    record = (
        ShiftRecord.objects.select_related("shift__recipient", "volunteer").filter(uid=uid).first()
    )
    if record is None or not services.may_approve(request.user, record):
        raise NotFound()
    return record


@router.post("/participation/shifts/records/{uid}/approve", response=RecordOut)
@api_requires("participation.manage|participation.take_part")
def record_approve(request, uid: UUID, payload: ApproveIn):
    """The organiser or the person served approves the hours; 409 ``already_approved``."""
    record = services.approve(
        actor=request.user,
        record=_approvable(request, uid),
        hours=payload.hours,
        rating=payload.rating,
    )
    return _record(record.uid)


@router.post("/participation/shifts/records/{uid}/rating", response=RecordOut)
@api_requires("participation.manage|participation.take_part")
def record_rate(request, uid: UUID, payload: RateIn):
    record = services.rate(
        actor=request.user, record=_approvable(request, uid), rating=payload.rating
    )
    return _record(record.uid)
