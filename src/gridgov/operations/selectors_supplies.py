"""Reads of emergency supplies, every one scoped through ``Store.objects.visible_to``:
stores, their stock by category, batches near expiry, movements, checks, and coverage
days per community and category (stock ÷ (residents × norm ÷ 100)), with resident counts
read through the people app's selector."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet, Sum
from django.utils import timezone

from gridgov.core.scoping import access_object, path_filter
from gridgov.operations.models import Batch, StockCheck, StockMovement, Store
from gridgov.operations.policies_supplies import supplies_policy
from gridgov.org.models import OrgUnit


def store_list(*, actor, action: str = "view", tier: str = "") -> QuerySet[Store]:
    qs = Store.objects.visible_to(actor, action).filter(is_active=True).select_related("org_unit")
    if tier:
        qs = qs.filter(tier=tier)
    return qs


def store_get(*, actor, uid, action: str = "view") -> Store:
    return access_object(actor, Store.objects.select_related("org_unit"), action, uid=uid)


def batch_list(*, store: Store, in_stock: bool = True) -> QuerySet[Batch]:
    """The batches of a store already reached through ``store_get``."""
    qs = Batch.objects.filter(store=store).select_related("account")
    if in_stock:
        qs = qs.filter(account__balance__gt=0)
    return qs.order_by("category", "expires_on", "pk")


def movement_list(*, store: Store) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(store=store).select_related("to_store")


def check_list(*, store: Store) -> QuerySet[StockCheck]:
    return StockCheck.objects.filter(store=store).prefetch_related("lines")


def stock_by_category(stores) -> dict[int, dict[str, int]]:
    """store id → category → quantity in stock (one grouped query)."""
    rows = (
        Batch.objects.filter(store__in=stores, account__balance__gt=0)
        .values("store_id", "category")
        .annotate(q=Sum("account__balance"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["store_id"], {})[row["category"]] = int(row["q"])
    return out


def expiry_level(expires_on: date, today: date, lead_days: list[int]) -> str:
    """``expired``, ``d30`` (within the shortest lead time), ``d90`` … or ``""``."""
    left = (expires_on - today).days
    if left < 0:
        return "expired"
    for days in sorted(lead_days):
        if left <= days:
            return f"d{days}"
    return ""


def near_expiry(*, actor, within_days: int | None = None) -> QuerySet[Batch]:
    """Batches in stock in the actor's stores expiring within the longest lead time
    (expired ones included)."""
    policy = supplies_policy()
    days = within_days if within_days is not None else max(policy.near_expiry_days)
    limit = timezone.localdate() + timezone.timedelta(days=days)
    return (
        Batch.objects.filter(
            store__in=store_list(actor=actor), account__balance__gt=0, expires_on__lte=limit
        )
        .select_related("store", "account")
        .order_by("expires_on")
    )


@dataclass
class CategoryCover:
    code: str
    name: str
    unit: str
    stock: int
    need_per_day: float
    days: float | None  # None: no residents, nothing needed
    covered: bool


@dataclass
class CommunityCover:
    unit: OrgUnit
    residents: int
    categories: list[CategoryCover] = field(default_factory=list)
    covered_count: int = 0
    meets_rule: bool = False
    shortages: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)  # level → batches
    store: Store | None = None  # the community's (first) store, where shortages are filled


def community_coverage(*, actor, under: OrgUnit | None = None) -> list[CommunityCover]:
    """Per visible community: each category's stock in the community's own stores, the
    residents (the registry's active residents), coverage days, whether it meets the rule
    (``categories_min`` categories covering ``coverage_days_min`` days), the categories
    short of it, and its batches near expiry by warning level."""
    from gridgov.people.selectors import resident_counts

    policy = supplies_policy()
    stores = list(store_list(actor=actor, tier=Store.Tier.COMMUNITY))
    if under is not None:
        stores = [s for s in stores if s.scope_path.startswith(under.path)]
    scope = path_filter(actor, "operations.view")
    communities = OrgUnit.objects.filter(level=OrgUnit.Level.COMMUNITY, is_active=True)
    inside = communities.filter(scope) if scope is not None else communities.none()
    if under is not None:
        inside = inside.filter(path__startswith=under.path)
    units = {s.org_unit_id: s.org_unit for s in stores}
    units.update({u.pk: u for u in inside})
    counts = resident_counts(actor=actor, units=list(units.values()), permission="operations.view")
    stock = stock_by_category(stores)
    per_unit: dict[int, dict[str, int]] = {}
    for s in stores:
        mine = per_unit.setdefault(s.org_unit_id, {})
        for code, q in stock.get(s.pk, {}).items():
            mine[code] = mine.get(code, 0) + q
    today = timezone.localdate()
    warnings: dict[int, dict[str, int]] = {}
    horizon = today + timezone.timedelta(days=max(policy.near_expiry_days))
    for b in Batch.objects.filter(
        store__in=stores, account__balance__gt=0, expires_on__lte=horizon
    ).values("store__org_unit_id", "expires_on"):
        level = expiry_level(b["expires_on"], today, policy.near_expiry_days)
        box = warnings.setdefault(b["store__org_unit_id"], {})
        box[level] = box.get(level, 0) + 1
    result = []
    for unit in sorted(units.values(), key=lambda u: u.path):
        residents = counts.get(unit.pk, 0)
        cover = CommunityCover(
            unit=unit,
            residents=residents,
            warnings=warnings.get(unit.pk, {}),
            store=next((s for s in stores if s.org_unit_id == unit.pk), None),
        )
        _measure(cover, per_unit.get(unit.pk, {}), policy)
        result.append(cover)
    return result


def _measure(cover: CommunityCover, held: dict[str, int], policy) -> CommunityCover:
    """Fill ``cover`` from the stock ``held`` per category and its residents."""
    for code, cat in policy.categories.items():
        need = cover.residents * cat.norm_per_100 / 100
        q = held.get(code, 0)
        days = (q / need) if need > 0 else None
        ok = (days is None and q > 0) or (days is not None and days >= policy.coverage_days_min)
        cover.categories.append(
            CategoryCover(code, cat.label(), cat.unit, q, need, _floor1(days), ok)
        )
        if ok:
            cover.covered_count += 1
        else:
            cover.shortages.append(code)
    cover.meets_rule = cover.covered_count >= policy.categories_min
    return cover


def coverage_as_of(*, prefix: str, moment) -> list[CommunityCover]:
    """Coverage of every active community under ``prefix`` with the stock as the ledger
    stood at ``moment`` (the KPI registry's snapshot; it scopes by the unit asked for)."""
    from django.db.models import Q

    from gridgov.people.selectors import resident_counts_of

    policy = supplies_policy()
    units = list(
        OrgUnit.objects.filter(
            level=OrgUnit.Level.COMMUNITY, is_active=True, path__startswith=prefix
        ).order_by("path")
    )
    counts = resident_counts_of(units=units)
    rows = (
        Batch.objects.filter(
            store__tier=Store.Tier.COMMUNITY,
            store__is_active=True,
            store__scope_path__startswith=prefix,
        )
        .values("store__org_unit_id", "category")
        .annotate(
            q=Sum(
                "account__entries__amount",
                filter=Q(account__entries__transaction__occurred_at__lt=moment),
            )
        )
        .order_by()
    )
    held: dict[int, dict[str, int]] = {}
    for r in rows:
        box = held.setdefault(r["store__org_unit_id"], {})
        box[r["category"]] = box.get(r["category"], 0) + int(r["q"] or 0)
    return [
        _measure(CommunityCover(unit=u, residents=counts.get(u.pk, 0)), held.get(u.pk, {}), policy)
        for u in units
    ]


def _floor1(days: float | None) -> float | None:
    return None if days is None else math.floor(days * 10) / 10


def store_stock_rows(*, store: Store) -> list[dict]:
    """The store's stock per policy category, with its batches and their warning level."""
    policy = supplies_policy()
    today = timezone.localdate()
    by_cat: dict[str, list[Batch]] = {}
    for b in batch_list(store=store):
        by_cat.setdefault(b.category, []).append(b)
    rows = []
    for code, cat in policy.categories.items():
        batches = by_cat.pop(code, [])
        for b in batches:
            b.level = expiry_level(b.expires_on, today, policy.near_expiry_days)
            b.quantity = int(b.account.balance)
        rows.append(
            {
                "code": code,
                "category": cat,
                "batches": batches,
                "total": sum(b.quantity for b in batches),
            }
        )
    return rows


# Transfers ------------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (straight-line) distance in metres (haversine); no road network."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@dataclass
class Suggestion:
    store: Store
    stock: int
    distance_m: int
    covers: bool  # holds the whole quantity asked
    can_send: bool  # the actor manages the store


def transfer_suggestions(
    *, actor, lon: float, lat: float, category: str, quantity: int, exclude: Store | None = None
) -> list[Suggestion]:
    """The stores the actor may read holding ``category``, nearest first by straight-line
    distance from (lon, lat); those holding the whole ``quantity`` first among equals."""
    from gridgov.core.scoping import path_in_scope

    stores = list(store_list(actor=actor))
    if exclude is not None:
        stores = [s for s in stores if s.pk != exclude.pk]
    stock = stock_by_category(stores)
    out = []
    for s in stores:
        held = stock.get(s.pk, {}).get(category, 0)
        if held <= 0:
            continue
        out.append(
            Suggestion(
                store=s,
                stock=held,
                distance_m=round(distance_m(lon, lat, s.lon, s.lat)),
                covers=held >= quantity,
                can_send=path_in_scope(actor, s.scope_path, "operations.manage"),
            )
        )
    out.sort(key=lambda x: (x.distance_m, not x.covers))
    return out


def shortfall(*, actor, store: Store, category: str) -> int:
    """What the community store ``store`` lacks of ``category`` to cover the rule's days
    for its community's residents (0 when covered or not a community store)."""
    from gridgov.people.selectors import resident_counts

    policy = supplies_policy()
    cat = policy.categories.get(category)
    if cat is None or store.tier != Store.Tier.COMMUNITY:
        return 0
    residents = resident_counts(
        actor=actor, units=[store.org_unit], permission="operations.view"
    ).get(store.org_unit_id, 0)
    need = math.ceil(residents * cat.norm_per_100 / 100 * policy.coverage_days_min)
    held = stock_by_category([store]).get(store.pk, {}).get(category, 0)
    return max(0, need - held)


def dispatch_list(*, actor, open_only: bool = False):
    from gridgov.operations.models import Dispatch

    qs = Dispatch.objects.visible_to(actor).select_related("from_store", "to_store")
    if open_only:
        qs = qs.filter(received_at__isnull=True)
    return qs


def dispatch_get(*, actor, uid, action: str = "view"):
    from gridgov.operations.models import Dispatch

    return access_object(
        actor, Dispatch.objects.select_related("from_store", "to_store"), action, uid=uid
    )


def event_destination(*, actor, event) -> Store | None:
    """The store an emergency event's supplies go to: the community store whose community
    holds the event (nearest to the event when it has several), else the nearest visible
    community store to the event's point."""
    stores = list(store_list(actor=actor, tier=Store.Tier.COMMUNITY))
    own = [s for s in stores if event.scope_path.startswith(s.scope_path)]
    pool = own or stores
    if not pool:
        return None
    if event.lon is None or event.lat is None:
        return pool[0]
    return min(pool, key=lambda s: distance_m(event.lon, event.lat, s.lon, s.lat))
