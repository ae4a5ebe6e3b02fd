"""Smart devices API under /api/v1/operations/: the device types (the policy), the registry
(registering returns the webhook secret once), device actions, repair tickets and their
actions, the alarm log with the handler's verdict, and the board's figures. Scoped like the
pages; the responsible person's phone leaves masked. Devices themselves speak through the
signed webhook ``/events/hooks/device/{code}/`` (heartbeat, fault, alarm)."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Latitude,
    Limit,
    Longitude,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    integer,
    line,
    lines,
    page_slice,
)
from gridgov.operations import selectors_devices as selectors
from gridgov.operations import services_devices as services
from gridgov.operations.policies_devices import devices_policy

router = PermissionRouter(tags=["operations: smart devices"])


class DeviceTypeOut(Schema):
    code: str
    name: str
    name_en: str
    cycle_years: int
    sampling_minutes: int
    alarm_category: str
    alarm_accuracy_min: float | None


class DeviceOut(Schema):
    uid: UUID
    code: str
    name: str
    kind: str
    model_name: str
    spec: str
    grid: str
    building: int | None
    lon: float
    lat: float
    installer: str
    installed_on: date
    warranty_until: date | None
    replace_due_on: date
    keeper_name: str
    keeper_phone_masked: str
    sampling_minutes: int
    status: str
    status_changed_at: datetime
    last_seen_at: datetime | None
    version: int

    @staticmethod
    def resolve_code(obj):
        return obj.source.code

    @staticmethod
    def resolve_name(obj):
        return obj.source.name

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code

    @staticmethod
    def resolve_building(obj):
        return obj.building_id

    @staticmethod
    def resolve_lon(obj):
        return obj.source.lon

    @staticmethod
    def resolve_lat(obj):
        return obj.source.lat


class DevicePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[DeviceOut]


class DeviceIn(Schema):
    """``kind``: a device type code; ``grid``: a grid's code; ``building``: a building of
    that grid (its position is taken when ``lon``/``lat`` are left out). ``alarm_category``
    defaults to the type's; ``sampling_minutes`` to the type's heartbeat interval."""

    code: line(40)
    name: line(100) = ""
    kind: line(20)
    model_name: line(60) = ""
    spec: line(100) = ""
    grid: line(20)
    building: integer(1, 2**31 - 1) | None = None
    lon: Longitude | None = None
    lat: Latitude | None = None
    address: line(200) = ""
    installer: line(100)
    installed_on: date
    warranty_until: date | None = None
    keeper_name: line(50)
    keeper_phone: line(30) = ""
    sampling_minutes: integer(1, 1440) | None = None
    alarm_category: line(10) = ""


class DeviceCreatedOut(DeviceOut):
    secret: str  # the webhook's signing secret, shown this once


class ActionIn(Schema):
    """``action``: for a device report_fault, disable, enable, scrap; for a repair ticket
    start, fix. ``version`` as read; ``note`` is needed where the action asks for a reason
    (a fault, taking out of service, scrapping, what the repair was)."""

    action: line(20)
    version: Version
    note: lines(300) = ""


class TicketOut(Schema):
    uid: UUID
    device: UUID
    device_code: str
    cause: str
    description: str
    state: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    started_at: datetime | None
    closed_at: datetime | None
    close_note: str
    repair_hours: float | None
    version: int

    @staticmethod
    def resolve_device(obj):
        return obj.device.uid

    @staticmethod
    def resolve_device_code(obj):
        return obj.device.source.code

    @staticmethod
    def resolve_overdue(obj):
        from django.utils import timezone

        return obj.is_open and obj.due_at < timezone.now()


class TicketPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[TicketOut]


class AlarmOut(Schema):
    uid: UUID
    device: UUID
    device_code: str
    event: str
    received_at: datetime
    is_true: bool | None
    verified_at: datetime | None
    note: str

    @staticmethod
    def resolve_device(obj):
        return obj.device.uid

    @staticmethod
    def resolve_device_code(obj):
        return obj.device.source.code

    @staticmethod
    def resolve_event(obj):
        return obj.event.tracking_code


class AlarmPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[AlarmOut]


class VerdictIn(Schema):
    is_true: bool
    note: lines(300) = ""


class AccuracyOut(Schema):
    kind: str
    judged: int
    true: int
    rate: float
    false_rate: float
    target: float | None
    met: bool | None


class BoardOut(Schema):
    in_service: int
    connected: int
    good: int
    access_rate: float | None
    good_rate: float | None
    overdue_service: int
    by_status: dict[str, int]
    open_tickets: int
    overdue_tickets: int
    repair_hours: float | None
    alarms_pending: int
    accuracy: list[AccuracyOut]


@router.get("/device-types", response=list[DeviceTypeOut])
@api_requires("operations.view")
def device_types(request):
    """The device types of the ``operations.devices`` policy in force."""
    return [{"code": k, **v.model_dump()} for k, v in devices_policy().types.items()]


@router.get("/devices", response=DevicePage)
@api_requires("operations.view")
def device_list(
    request,
    status: line(10) = "",
    kind: line(20) = "",
    q: line(40) = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = selectors.device_list(actor=request.user, status=status, kind=kind, q=q)
    items, limit, offset = page_slice(qs, offset, limit)
    return DevicePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/devices", response={201: DeviceCreatedOut})
@api_requires("operations.manage")
def device_create(request, payload: DeviceIn):
    """Register a device; the response carries its webhook secret, this once."""
    device, secret = services.device_register(actor=request.user, data=payload.model_dump())
    device.secret = secret
    return Status(201, device)


@router.get("/devices/board", response=BoardOut)
@api_requires("operations.view")
def device_board(request):
    """Figures of the devices in scope as of now (the same conditions as the KPIs)."""
    board = selectors.board(actor=request.user)
    return {**vars(board), "access_rate": board.access_rate, "good_rate": board.good_rate}


@router.get("/devices/{uid}", response=DeviceOut)
@api_requires("operations.view")
def device_get(request, uid: UUID):
    return selectors.device_get(actor=request.user, uid=uid)


@router.post("/devices/{uid}/actions", response=DeviceOut)
@api_requires("operations.view")
def device_action(request, uid: UUID, payload: ActionIn):
    """report_fault (operations.maintain; opens a repair ticket), disable, enable, scrap
    (operations.manage); 409 on a stale version or a state that does not allow it."""
    device = selectors.device_get(actor=request.user, uid=uid)
    return services.device_transition(
        actor=request.user,
        device=device,
        action=payload.action,
        version=payload.version,
        note=payload.note,
    )


@router.get("/repair-tickets", response=TicketPage)
@api_requires("operations.view")
def ticket_list(request, show: line(10) = "open", offset: Offset = 0, limit: Limit = 50):
    """``show``: open (the default), overdue, or all."""
    qs = selectors.ticket_list(
        actor=request.user, open_only=show != "all", overdue_only=show == "overdue"
    )
    items, limit, offset = page_slice(qs, offset, limit)
    return TicketPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/repair-tickets/{uid}/actions", response=TicketOut)
@api_requires("operations.maintain")
def ticket_action(request, uid: UUID, payload: ActionIn):
    """start, or fix (with a note on the repair; the device goes back online)."""
    ticket = selectors.ticket_get(actor=request.user, uid=uid)
    return services.ticket_transition(
        actor=request.user,
        ticket=ticket,
        action=payload.action,
        version=payload.version,
        note=payload.note,
    )


@router.get("/device-alarms", response=AlarmPage)
@api_requires("operations.view")
def alarm_list(request, pending: bool = False, offset: Offset = 0, limit: Limit = 50):
    qs = selectors.alarm_list(actor=request.user, pending_only=pending)
    items, limit, offset = page_slice(qs, offset, limit)
    return AlarmPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/device-alarms/{uid}/verdict", response=AlarmOut)
@api_requires("operations.maintain")
def alarm_verdict(request, uid: UUID, payload: VerdictIn):
    """A true or a false alarm, once: 409 ``already_verified`` after that."""
    alarm = selectors.alarm_get(actor=request.user, uid=uid)
    return services.alarm_verify(
        actor=request.user, alarm=alarm, is_true=payload.is_true, note=payload.note
    )
