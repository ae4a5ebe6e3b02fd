"""Emergency supplies API under /api/v1/operations/: categories (the policy), stores with
their stock, batches received, stock movements, stock checks, community coverage and
batches near expiry. Scoped like the pages; the responsible person's phone leaves masked."""

from datetime import date, datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Schema, Status

from gridgov.core.api_support import (
    Latitude,
    Limit,
    Longitude,
    Offset,
    PermissionRouter,
    api_requires,
    line,
    page_slice,
)
from gridgov.operations import selectors_supplies as selectors
from gridgov.operations import services_supplies as services
from gridgov.operations.policies_supplies import supplies_policy

router = PermissionRouter(tags=["operations: emergency supplies"])


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    unit: str
    norm_per_100: float
    shelf_life_days: int
    check_interval_days: int


class StoreOut(Schema):
    uid: UUID
    name: str
    tier: str
    org_unit: str
    org_unit_name: str
    address: str
    lon: float
    lat: float
    keeper_name: str
    keeper_phone_masked: str

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.code

    @staticmethod
    def resolve_org_unit_name(obj):
        return obj.org_unit.name


class StorePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[StoreOut]


class StoreIn(Schema):
    """``tier``: community, street or district; ``org_unit``: the code of a unit of that
    level; ``lon``/``lat``: WGS-84 degrees."""

    name: line(100)
    tier: line(10)
    org_unit: line(20)
    address: line(200) = ""
    lon: Longitude
    lat: Latitude
    keeper_name: line(50)
    keeper_phone: line(30) = ""


class BatchOut(Schema):
    uid: UUID
    category: str
    quantity: int
    produced_on: date
    expires_on: date
    source: str
    warning: str  # "", d90, d30, expired


class StockOut(Schema):
    category: str
    name: str
    unit: str
    total: int
    batches: list[BatchOut]


class StoreDetailOut(StoreOut):
    stock: list[StockOut]


class BatchIn(Schema):
    """A batch received (入库): whole units; ``expires_on`` not before ``produced_on``."""

    category: line(20)
    quantity: int
    produced_on: date
    expires_on: date
    source: line(100) = ""


class MovementIn(Schema):
    """``kind``: out (issued for use), transfer (to ``to_store``), loss, disposal (expired
    stock only). Taken first-expiry-first-out; more than the stock is a 409."""

    kind: line(10)
    category: line(20)
    quantity: int
    reason: line(300) = ""
    to_store: UUID | None = None


class MovementOut(Schema):
    uid: UUID
    kind: str
    category: str
    quantity: int
    reason: str
    to_store: UUID | None
    occurred_at: datetime

    @staticmethod
    def resolve_to_store(obj):
        return obj.to_store.uid if obj.to_store_id else None


class MovementPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[MovementOut]


class CheckIn(Schema):
    """``counts``: batch uid → number counted; ``reason`` is needed when one differs."""

    counts: dict[str, int]
    reason: line(300) = ""
    checked_on: date | None = None


class CheckLineOut(Schema):
    batch: UUID
    book: int
    counted: int
    difference: int

    @staticmethod
    def resolve_batch(obj):
        return obj.batch.uid


class CheckOut(Schema):
    uid: UUID
    checked_on: date
    reason: str
    lines: list[CheckLineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.select_related("batch"))


class CategoryCoverOut(Schema):
    code: str
    stock: int
    need_per_day: float
    days: float | None
    covered: bool


class CoverageOut(Schema):
    community: str
    name: str
    residents: int
    covered_categories: int
    meets_rule: bool
    shortages: list[str]
    warnings: dict[str, int]
    categories: list[CategoryCoverOut]


class NearExpiryOut(Schema):
    uid: UUID
    store: UUID
    store_name: str
    category: str
    quantity: int
    expires_on: date
    warning: str


def _stock(store) -> list[dict]:
    return [
        {
            "category": row["code"],
            "name": row["category"].name,
            "unit": row["category"].unit,
            "total": row["total"],
            "batches": [
                {
                    "uid": b.uid,
                    "category": b.category,
                    "quantity": b.quantity,
                    "produced_on": b.produced_on,
                    "expires_on": b.expires_on,
                    "source": b.source,
                    "warning": b.level,
                }
                for b in row["batches"]
            ],
        }
        for row in selectors.store_stock_rows(store=store)
    ]


def _detail(store):
    store.stock = _stock(store)
    return store


@router.get("/supply-categories", response=list[CategoryOut])
@api_requires("operations.view")
def category_list(request):
    """The supply categories of the ``operations.supplies`` policy in force."""
    return [{"code": k, **v.model_dump()} for k, v in supplies_policy().categories.items()]


@router.get("/stores", response=StorePage)
@api_requires("operations.view")
def store_list(request, tier: line(10) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors.store_list(actor=request.user, tier=tier)
    items, limit, offset = page_slice(qs, offset, limit)
    return StorePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/stores", response={201: StoreDetailOut})
@api_requires("operations.manage")
def store_create(request, payload: StoreIn):
    store = services.store_create(actor=request.user, data=payload.model_dump())
    return Status(201, _detail(store))


@router.get("/stores/{uid}", response=StoreDetailOut)
@api_requires("operations.view")
def store_get(request, uid: UUID):
    return _detail(selectors.store_get(actor=request.user, uid=uid))


@router.post("/stores/{uid}/batches", response={201: StoreDetailOut})
@api_requires("operations.manage")
def batch_receive(request, uid: UUID, payload: BatchIn):
    """Receive a batch; 422 ``expires_before_produced`` or ``quantity_not_positive``."""
    store = selectors.store_get(actor=request.user, uid=uid, action="manage")
    services.batch_receive(actor=request.user, store=store, **payload.model_dump())
    return Status(201, _detail(store))


@router.get("/stores/{uid}/movements", response=MovementPage)
@api_requires("operations.view")
def movement_list(request, uid: UUID, offset: Offset = 0, limit: Limit = 50):
    store = selectors.store_get(actor=request.user, uid=uid)
    qs = selectors.movement_list(store=store)
    items, limit, offset = page_slice(qs, offset, limit)
    return MovementPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/stores/{uid}/movements", response={201: MovementOut})
@api_requires("operations.manage")
def movement_create(request, uid: UUID, payload: MovementIn):
    """Stock out; 409 ``insufficient_stock`` (or ``insufficient_expired_stock`` for a
    disposal) with nothing written when the stock does not cover it."""
    store = selectors.store_get(actor=request.user, uid=uid, action="manage")
    data = payload.model_dump()
    target = data.pop("to_store")
    to_store = selectors.store_get(actor=request.user, uid=target) if target else None
    moved = services.stock_move(actor=request.user, store=store, to_store=to_store, **data)
    return Status(201, moved.movement)


@router.post("/stores/{uid}/checks", response={201: CheckOut})
@api_requires("operations.manage")
def check_create(request, uid: UUID, payload: CheckIn):
    """Record a stock check; each difference is posted as a loss or a gain."""
    store = selectors.store_get(actor=request.user, uid=uid, action="manage")
    check = services.stock_check_record(
        actor=request.user,
        store=store,
        counts=payload.counts,
        reason=payload.reason,
        checked_on=payload.checked_on,
    )
    return Status(201, check)


@router.get("/coverage", response=list[CoverageOut])
@api_requires("operations.view")
def coverage(request):
    """Per community in scope: days each category covers, the 3-day rule, shortages and
    batches near expiry by warning level."""
    return [
        {
            "community": c.unit.code,
            "name": c.unit.name,
            "residents": c.residents,
            "covered_categories": c.covered_count,
            "meets_rule": c.meets_rule,
            "shortages": c.shortages,
            "warnings": c.warnings,
            "categories": [vars(x) for x in c.categories],
        }
        for c in selectors.community_coverage(actor=request.user)
    ]


@router.get("/near-expiry", response=list[NearExpiryOut])
@api_requires("operations.view")
def near_expiry(request):
    """Batches in stock expiring within the longest warning lead time, or expired."""
    from django.utils import timezone

    policy = supplies_policy()
    today = timezone.localdate()
    return [
        {
            "uid": b.uid,
            "store": b.store.uid,
            "store_name": b.store.name,
            "category": b.category,
            "quantity": int(b.account.balance),
            "expires_on": b.expires_on,
            "warning": selectors.expiry_level(b.expires_on, today, policy.near_expiry_days),
        }
        for b in selectors.near_expiry(actor=request.user)[:500]
    ]


class SuggestionOut(Schema):
    store: UUID
    name: str
    tier: str
    stock: int
    distance_m: int
    covers: bool
    can_send: bool


class SuggestionsOut(Schema):
    to_store: UUID
    category: str
    quantity: int
    target_minutes: int
    suggestions: list[SuggestionOut]


class DispatchIn(Schema):
    from_store: UUID
    to_store: UUID
    category: line(20)
    quantity: int
    event: UUID | None = None
    reason: line(300) = ""


class DispatchOut(Schema):
    uid: UUID
    from_store: UUID
    to_store: UUID
    category: str
    quantity: int
    distance_m: int
    event: UUID | None
    target_minutes: int
    dispatched_at: datetime
    received_at: datetime | None
    minutes_taken: int | None
    met_target: bool | None
    version: int

    @staticmethod
    def resolve_from_store(obj):
        return obj.from_store.uid

    @staticmethod
    def resolve_to_store(obj):
        return obj.to_store.uid

    @staticmethod
    def resolve_event(obj):
        return obj.event.uid if obj.event_id else None


class DispatchPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[DispatchOut]


class ReceiveIn(Schema):
    version: int
    received_at: datetime | None = None


def _suggest(request, store, event, category, quantity):
    from gridgov.core.errors import ValidationFailed
    from gridgov.events.selectors import event_get

    if category not in supplies_policy().categories:
        raise ValidationFailed(details={"category": [_("Not a supply category of the policy.")]})
    if event is not None:
        event = event_get(actor=request.user, uid=event)
        to_store = selectors.event_destination(actor=request.user, event=event)
        if to_store is None:
            raise ValidationFailed(details={"event": [_("No store near this event.")]})
    elif store is not None:
        to_store = selectors.store_get(actor=request.user, uid=store)
    else:
        raise ValidationFailed(details={"store": [_("Name the store or the event.")]})
    if quantity is None:
        quantity = selectors.shortfall(actor=request.user, store=to_store, category=category)
    lon, lat = (
        (event.lon, event.lat)
        if event is not None and event.lon is not None
        else (to_store.lon, to_store.lat)
    )
    found = selectors.transfer_suggestions(
        actor=request.user,
        lon=lon,
        lat=lat,
        category=category,
        quantity=quantity or 1,
        exclude=to_store,
    )
    return to_store, event, quantity or 0, found


@router.get("/transfer-suggestions", response=SuggestionsOut)
@api_requires("operations.view")
def transfer_suggestions(
    request,
    category: line(20),
    store: UUID | None = None,
    event: UUID | None = None,
    quantity: int | None = None,
):
    """Nearest stores holding ``category`` by straight-line distance, for a shortage at
    ``store`` (``quantity`` defaults to what it lacks for the 3-day rule) or an emergency
    ``event`` (its community's store receives)."""
    to_store, _event, quantity, found = _suggest(request, store, event, category, quantity)
    return {
        "to_store": to_store.uid,
        "category": category,
        "quantity": quantity,
        "target_minutes": supplies_policy().dispatch_minutes_max,
        "suggestions": [
            {
                "store": s.store.uid,
                "name": s.store.name,
                "tier": s.store.tier,
                "stock": s.stock,
                "distance_m": s.distance_m,
                "covers": s.covers,
                "can_send": s.can_send,
            }
            for s in found
        ],
    }


@router.get("/dispatches", response=DispatchPage)
@api_requires("operations.view")
def dispatch_list(request, open: bool = False, offset: Offset = 0, limit: Limit = 50):
    qs = selectors.dispatch_list(actor=request.user, open_only=open)
    items, limit, offset = page_slice(qs, offset, limit)
    return DispatchPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/dispatches", response={201: DispatchOut})
@api_requires("operations.manage")
def dispatch_create(request, payload: DispatchIn):
    """Dispatch a transfer; 409 ``insufficient_stock`` with nothing written when the
    sending store does not hold it."""
    from gridgov.events.selectors import event_get

    from_store = selectors.store_get(actor=request.user, uid=payload.from_store, action="manage")
    to_store = selectors.store_get(actor=request.user, uid=payload.to_store)
    event = event_get(actor=request.user, uid=payload.event) if payload.event else None
    dispatch = services.dispatch_create(
        actor=request.user,
        from_store=from_store,
        to_store=to_store,
        category=payload.category,
        quantity=payload.quantity,
        event=event,
        reason=payload.reason,
    )
    return Status(201, dispatch)


@router.post("/dispatches/{uid}/receive", response=DispatchOut)
@api_requires("operations.manage")
def dispatch_receive(request, uid: UUID, payload: ReceiveIn):
    """The receiving store confirms arrival: ``met_target`` against the 30-minute target."""
    dispatch = selectors.dispatch_get(actor=request.user, uid=uid)
    return services.dispatch_receive(
        actor=request.user,
        dispatch=dispatch,
        version=payload.version,
        received_at=payload.received_at,
    )
