"""The lists API: needs (register, merge, actions, candidates, dispatch), resources and
service orders with their actions. Every read and write is scoped (``core.scoping``);
personal data leaves only masked (the household number, never a name or phone)."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.masking import mask_name, mask_text
from gridgov.lists import selectors, services
from gridgov.lists.models import Need, ServiceOrder
from gridgov.lists.workflow import NEED_MACHINE, NEED_MANUAL, ORDER_MACHINE, ORDER_MANUAL

router = PermissionRouter(tags=["lists"])


class NeedOut(Schema):
    uid: UUID
    household: UUID
    household_number: str
    category: str
    category_name: str
    kind: str
    source: str
    source_ref: str
    text: str
    priority: str
    colour: str
    colour_rule: str
    state: str
    route: str
    merged_count: int
    created_at: datetime
    version: int

    @staticmethod
    def resolve_household(obj):
        return obj.household.uid

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name


class NeedDetailOut(NeedOut):
    actions: list[str]
    order_uids: list[UUID]


class NeedPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[NeedOut]


class NeedIn(Schema):
    """A need of a household. ``event``: the uid of a grid event staff mark as this need
    (the source becomes ``event``). A second open need of the same category is merged into
    the first (answered 200 with ``merged``)."""

    household: UUID
    category: line(20)
    text: lines(500) = ""
    kind: line(10) = "service"
    source: line(10) = "staff"
    priority: line(8) = "normal"
    resident: UUID | None = None
    event: UUID | None = None


class NeedCreatedOut(Schema):
    merged: bool
    need: NeedDetailOut


class TransitionIn(Schema):
    action: line(20)
    version: Version
    reason: line(300) = ""
    route: line(10) = ""


class CandidateOut(Schema):
    resource: UUID
    name: str
    resource_class: str
    provider_name: str
    capacity_left: int
    distance_m: int | None
    orders_in_hand: int
    reasons: list[str]


class DispatchIn(Schema):
    resource: UUID
    version: Version
    note: line(300) = ""


class ResourceOut(Schema):
    uid: UUID
    name: str
    resource_class: str
    provider_kind: str
    provider_name: str
    categories: list[str]
    owner: str
    capacity: int
    capacity_unit: str
    capacity_period: str
    capacity_left: int
    area_paths: list[str]
    lon: float | None
    lat: float | None
    radius_m: int | None
    cost_basis: str
    eligible_tags: list[str]
    min_age: int | None
    max_age: int | None
    contact_name: str
    contact_phone_masked: str
    status: str
    last_verified: date | None
    version: int

    @staticmethod
    def resolve_categories(obj):
        return sorted(c.code for c in obj.categories.all())

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.code

    @staticmethod
    def resolve_contact_name(obj):
        return mask_name(obj.contact_name) if obj.contact_name else ""

    @staticmethod
    def resolve_capacity_left(obj):
        return selectors.capacity_left(obj)


class ResourcePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ResourceOut]


class ResourceIn(Schema):
    """A resource. ``owner``: the code of the unit that keeps it (in your scope);
    ``area_paths``: codes of the grids, communities or streets it serves, and/or ``lon``,
    ``lat`` and ``radius_m``; ``eligible_tags``: special-population tag codes (any of)."""

    name: line(100)
    resource_class: line(12)
    provider_kind: line(16)
    provider_name: line(100)
    categories: list[line(20)]
    owner: line(20)
    capacity: int
    capacity_unit: line(8) = "places"
    capacity_period: line(8) = "month"
    area_paths: list[line(40)] = []
    lon: float | None = None
    lat: float | None = None
    radius_m: int | None = None
    cost_basis: line(12) = "free"
    eligible_tags: list[line(40)] = []
    min_age: int | None = None
    max_age: int | None = None
    contact_name: line(50) = ""
    contact_phone: line(30) = ""
    status: line(8) = "active"
    last_verified: date | None = None


class ResourceChangeIn(ResourceIn):
    version: Version


class OrderOut(Schema):
    uid: UUID
    need: UUID
    category: str
    household_number: str
    place: str
    need_text: str
    resource: UUID
    resource_name: str
    state: str
    dispatched_at: datetime
    accept_due: datetime
    start_due: datetime
    deadline_assumed: bool
    policy_version: int
    accepted_at: datetime | None
    refusal_reason: str
    started_at: datetime | None
    completed_at: datetime | None
    hours: Decimal | None
    resident_rating: int | None
    need_met: str
    outcome_rating: int | None
    version: int

    @staticmethod
    def resolve_need(obj):
        return obj.need.uid

    @staticmethod
    def resolve_category(obj):
        return obj.need.category.code

    @staticmethod
    def resolve_household_number(obj):
        # A provider account (not staff of the household's area) reads it masked.
        number = obj.need.household.number
        return number if getattr(obj, "staff_view", True) else selectors.mask_number(number)

    @staticmethod
    def resolve_place(obj):
        return selectors.order_place(obj)

    @staticmethod
    def resolve_need_text(obj):
        return mask_text(obj.need.text)

    @staticmethod
    def resolve_resource(obj):
        return obj.resource.uid

    @staticmethod
    def resolve_resource_name(obj):
        return obj.resource.name


class OrderDetailOut(OrderOut):
    actions: list[str]


class OrderPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[OrderOut]


class OrderTransitionIn(Schema):
    """``reason`` for refuse and cancel; ``hours`` for complete; ``resident_rating`` and
    ``outcome_rating`` (1–5) and ``need_met`` (yes / partly / no) for rate."""

    action: line(20)
    version: Version
    reason: line(300) = ""
    hours: Decimal | None = None
    resident_rating: int | None = None
    need_met: line(8) = ""
    outcome_rating: int | None = None


def _need_detail(request, need: Need) -> Need:
    need.actions = [a for a in NEED_MACHINE.offered(request.user, need) if a in NEED_MANUAL]
    need.order_uids = list(need.orders.order_by("dispatched_at").values_list("uid", flat=True))
    return need


def _order_view(request, order: ServiceOrder) -> ServiceOrder:
    order.staff_view = selectors.sees_household(request.user, order)
    return order


def _order_detail(request, order: ServiceOrder) -> ServiceOrder:
    order.actions = [a for a in ORDER_MACHINE.offered(request.user, order) if a in ORDER_MANUAL]
    return _order_view(request, order)


@router.get("/needs", response=NeedPage)
@api_requires("lists.view")
def need_list(
    request,
    state: line(12) = "",
    category: line(20) = "",
    colour: line(8) = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = selectors.need_list(actor=request.user, state=state, category=category, colour=colour)
    items, limit, offset = page_slice(qs, offset, limit)
    return NeedPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/needs", response={201: NeedCreatedOut, 200: NeedCreatedOut})
@api_requires("lists.register")
def need_create(request, payload: NeedIn):
    data = services.NeedInput(
        household=str(payload.household),
        category=payload.category,
        text=payload.text,
        kind=payload.kind,
        source=payload.source,
        priority=payload.priority,
        resident=str(payload.resident) if payload.resident else "",
    )
    if payload.event is not None:
        need, merged = services.need_from_event(
            actor=request.user, event_uid=payload.event, data=data
        )
    else:
        need, merged = services.need_register(actor=request.user, data=data)
    need = selectors.need_get(actor=request.user, uid=need.uid)
    return Status(200 if merged else 201, {"merged": merged, "need": _need_detail(request, need)})


@router.get("/needs/{uid}", response=NeedDetailOut)
@api_requires("lists.view")
def need_get(request, uid: UUID):
    return _need_detail(request, selectors.need_get(actor=request.user, uid=uid))


@router.post("/needs/{uid}/transitions", response=NeedDetailOut)
@api_requires("lists.manage")
def need_transition(request, uid: UUID, payload: TransitionIn):
    need = selectors.need_get(actor=request.user, uid=uid, action="manage")
    need = services.need_transition(
        actor=request.user,
        need=need,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        route=payload.route,
    )
    return _need_detail(request, selectors.need_get(actor=request.user, uid=need.uid))


@router.get("/needs/{uid}/candidates", response=list[CandidateOut])
@api_requires("lists.dispatch")
def need_candidates(request, uid: UUID):
    """Resources that could serve the need now (category, area, capacity, eligibility),
    nearest first, with why each qualifies."""
    need = selectors.need_get(actor=request.user, uid=uid, action="dispatch")
    return [
        {
            "resource": c.resource.uid,
            "name": c.resource.name,
            "resource_class": c.resource.resource_class,
            "provider_name": c.resource.provider_name,
            "capacity_left": c.capacity_left,
            "distance_m": round(c.distance_m) if c.distance_m is not None else None,
            "orders_in_hand": c.load,
            "reasons": c.reasons,
        }
        for c in selectors.candidates(need)
    ]


@router.post("/needs/{uid}/service-orders", response={201: OrderDetailOut})
@api_requires("lists.dispatch")
def need_dispatch(request, uid: UUID, payload: DispatchIn):
    """Confirm a match: dispatch the need to one of its candidates. ``version`` is the
    need's version as read; a dispatcher who lost a race gets 409."""
    need = selectors.need_get(actor=request.user, uid=uid, action="dispatch")
    order = services.order_dispatch(
        actor=request.user,
        need=need,
        resource_uid=payload.resource,
        version=payload.version,
        note=payload.note,
    )
    return Status(
        201, _order_detail(request, selectors.order_get(actor=request.user, uid=order.uid))
    )


@router.get("/resources", response=ResourcePage)
@api_requires("lists.view")
def resource_list(
    request, status: line(8) = "", category: line(20) = "", offset: Offset = 0, limit: Limit = 50
):
    qs = selectors.resource_list(actor=request.user, status=status, category=category)
    items, limit, offset = page_slice(qs.prefetch_related("categories"), offset, limit)
    return ResourcePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/resources", response={201: ResourceOut})
@api_requires("lists.manage")
def resource_create(request, payload: ResourceIn):
    resource = services.resource_create(actor=request.user, data=payload.model_dump())
    return Status(201, selectors.resource_get(actor=request.user, uid=resource.uid))


@router.get("/resources/{uid}", response=ResourceOut)
@api_requires("lists.view")
def resource_get(request, uid: UUID):
    return selectors.resource_get(actor=request.user, uid=uid)


@router.put("/resources/{uid}", response=ResourceOut)
@api_requires("lists.manage")
def resource_change(request, uid: UUID, payload: ResourceChangeIn):
    resource = selectors.resource_get(actor=request.user, uid=uid, action="manage")
    data = payload.model_dump()
    version = data.pop("version")
    services.resource_update(actor=request.user, resource=resource, data=data, version=version)
    return selectors.resource_get(actor=request.user, uid=uid)


@router.get("/service-orders", response=OrderPage)
@api_requires("lists.view|lists.serve")
def order_list(
    request, state: line(12) = "", resource: line(40) = "", offset: Offset = 0, limit: Limit = 50
):
    """Staff: the orders in their scope. A provider account: the orders of the resources
    it operates, the household's number masked. ``state``: a state, or ``to_accept``,
    ``in_hand``, ``overdue``."""
    qs = selectors.order_list(actor=request.user, state=state)
    if resource:
        try:
            qs = qs.filter(resource__uid=UUID(resource))
        except ValueError:
            qs = qs.none()
    items, limit, offset = page_slice(qs, offset, limit)
    return OrderPage(
        count=qs.count(),
        offset=offset,
        limit=limit,
        items=[_order_view(request, o) for o in items],
    )


@router.get("/service-orders/{uid}", response=OrderDetailOut)
@api_requires("lists.view|lists.serve")
def order_get(request, uid: UUID):
    return _order_detail(request, selectors.order_get(actor=request.user, uid=uid))


@router.post("/service-orders/{uid}/transitions", response=OrderDetailOut)
@api_requires("lists.dispatch|lists.serve")
def order_transition(request, uid: UUID, payload: OrderTransitionIn):
    """Staff with ``lists.dispatch`` take every action; a provider account accepts,
    refuses (with a reason), starts and completes (with the hours) its own orders."""
    order = selectors.order_get(actor=request.user, uid=uid, action="act")
    services.order_transition(
        actor=request.user,
        order=order,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        hours=payload.hours,
        rating=services.Rating(payload.resident_rating, payload.need_met, payload.outcome_rating),
    )
    return _order_detail(request, selectors.order_get(actor=request.user, uid=uid))
