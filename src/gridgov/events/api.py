"""The events API: report, list, detail with timeline, actions, categories, inbox."""

from datetime import datetime
from uuid import UUID

from django.utils import timezone
from ninja import Schema, Status

from gridgov.accounts.models import User
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
from gridgov.core.errors import ValidationFailed
from gridgov.events import routing, selectors, services
from gridgov.events.models import Channel
from gridgov.events.selectors import EventFilters
from gridgov.events.sla import sla_colour

router = PermissionRouter(tags=["events"])


class EventOut(Schema):
    """The reporter's phone number is always masked here."""

    uid: UUID
    tracking_code: str
    version: int
    state: str
    state_label: str
    channel: str
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    grid: str | None
    outside_grids: bool
    category: str | None
    urgency: str
    suggested_category: str | None
    suggestion_confidence: float | None
    level: str
    assignee: str | None
    reported_at: datetime
    handle_due: datetime | None
    sla: str
    calendar_assumed: bool
    rework_count: int
    rating: int | None
    actually_fixed: bool | None
    contact_phone: str

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code if obj.grid_id else None

    @staticmethod
    def resolve_category(obj):
        return obj.category.code if obj.category_id else None

    @staticmethod
    def resolve_suggested_category(obj):
        return obj.suggested_category.code if obj.suggested_category_id else None

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee.username if obj.assignee_id else None

    @staticmethod
    def resolve_sla(obj):
        return sla_colour(timezone.now(), obj.classified_at, obj.handle_due) if obj.is_open else ""

    @staticmethod
    def resolve_contact_phone(obj):
        return obj.contact_phone_masked


class StepOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str
    at: datetime

    @staticmethod
    def resolve_actor(obj):
        return obj.actor_name

    @staticmethod
    def resolve_at(obj):
        return obj.created_at


class EventDetailOut(EventOut):
    result: str
    timeline: list[StepOut]
    allowed_actions: list[str]
    workload_warning: int | None = None


class EventPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[EventOut]


class EventIn(Schema):
    title: line(100)
    description: lines(2000) = ""
    lon: Longitude | None = None
    lat: Latitude | None = None
    address: line(200) = ""
    grid: line(20) = ""
    category: line(20) = ""
    urgency: line(20) = ""
    client_id: line(64) = ""
    channel: line(20) = ""
    contact_name: line(50) = ""
    contact_phone: line(30) = ""


class ActionIn(Schema):
    action: line(24)
    version: Version | None = None
    note: lines(1000) = ""
    category: line(20) = ""
    urgency: line(20) = ""
    assignee: line(150) = ""
    level: line(20) = ""
    department: line(20) = ""
    duplicate_of: line(20) = ""
    working_days: integer(1, 365) | None = None
    approve: bool | None = None
    result: lines(2000) = ""


class CategoryOut(Schema):
    kind: str
    code: str
    name: str
    name_en: str
    parent: str | None
    default_urgency: str
    on_site_resolvable: bool
    version: int

    @staticmethod
    def resolve_parent(obj):
        return obj.parent.code if obj.parent_id else None


def channel_for(user, requested: str) -> str:
    """Staff may record hotline calls; grid workers patrol; everyone else is a resident."""
    if requested in (Channel.HOTLINE, Channel.STAFF) and user.has_permission("events.dispatch"):
        return requested
    if user.has_permission("events.handle") and user.has_permission("events.report"):
        return Channel.PATROL if not user.has_permission("events.dispatch") else Channel.STAFF
    return Channel.RESIDENT


def _detail(request, event):
    event.timeline = list(selectors.event_timeline(event))
    event.allowed_actions = services.allowed_actions(request.user, event)
    return event


@router.get("/events", response=EventPage)
@api_requires("events.view")
def event_list(
    request,
    state: line(20) = "",
    grid: line(20) = "",
    q: line(50) = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = selectors.event_list(
        actor=request.user, filters=EventFilters(state=state, grid=grid, q=q)
    ).select_related("suggested_category")
    items, limit, offset = page_slice(qs, offset, limit)
    return EventPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/events", response={201: EventDetailOut, 200: EventDetailOut})
@api_requires("events.report")
def event_create(request, payload: EventIn):
    data = services.ReportInput(
        channel=channel_for(request.user, payload.channel),
        title=payload.title,
        description=payload.description,
        lon=payload.lon,
        lat=payload.lat,
        address=payload.address,
        grid_code=payload.grid,
        category_code=payload.category,
        urgency=payload.urgency,
        client_id=payload.client_id,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
    )
    event, created = services.report_event(actor=request.user, data=data)
    # The reporter may be a resident who cannot view the event's unit: answer from the row.
    return Status(201 if created else 200, _detail(request, event))


@router.get("/events/{uid}", response=EventDetailOut)
@api_requires("events.view")
def event_get(request, uid: UUID):
    event = selectors.event_get(actor=request.user, uid=uid)
    event = _detail(request, event)
    event.workload_warning = routing.workload_warning(event.suggested_assignee)
    return event


@router.post("/events/{uid}/actions", response=EventDetailOut)
@api_requires("events.view")
def event_act(request, uid: UUID, payload: ActionIn):
    event = selectors.event_get(actor=request.user, uid=uid)
    params = {}
    if payload.category or payload.urgency:
        params.update(category_code=payload.category, urgency=payload.urgency)
    if payload.assignee:
        assignee = User.objects.filter(username=payload.assignee[:150], is_active=True).first()
        if assignee is None:
            raise ValidationFailed(details={"assignee": ["unknown user"]})
        params["assignee"] = assignee
    for key in ("level", "department", "duplicate_of", "working_days", "approve", "result"):
        value = getattr(payload, key)
        if value not in ("", None):
            params[key] = value
    event = services.transition(
        actor=request.user,
        event=event,
        action=payload.action,
        version=payload.version,
        note=payload.note,
        **params,
    )
    return _detail(request, selectors.event_get(actor=request.user, uid=uid))


@router.get("/event-categories", response=list[CategoryOut])
@api_requires("events.view")
def category_list(request):
    return selectors.category_tree()
