"""The demo's emergency supplies: a district reserve centre, a turnover store in each street
and a store in each community, with batches of the ten policy categories received over the
past month, a few near expiry and one expired; issues, a loss, transfers from the street to
a community and a stock check. 宛平南路社区 meets the 3-day rule; the others fall short in a
few categories, so the street's board has shortages to fill. Idempotent: a second run adds
nothing."""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.operations import services_supplies as services
from gridgov.operations.models import Batch, Store
from gridgov.operations.policies_supplies import supplies_policy
from gridgov.org.models import Grid, OrgUnit
from gridgov.people.models import Resident

DISTRICT = "310104"
# community code → days of need held per category (a category left out: 4 days)
DAYS = {
    "310104003001": {},
    "310104003002": {"sandbag": 1.5, "tent": 2, "generator": 0},
    "310104011001": {"water": 2, "food": 2.5},
    "310104011002": {"lighting": 1, "protective": 2, "warmth": 2, "first_aid": 2.5},
}
KEEPERS = ["张建国", "李秀英", "王志强", "陈丽华", "刘德明", "赵春燕", "周国平"]


def _centre(unit: OrgUnit) -> tuple[float, float]:
    grids = list(Grid.objects.filter(unit__path__startswith=unit.path))
    if not grids:
        return 121.44, 31.19
    lon = sum((g.min_lon + g.max_lon) / 2 for g in grids) / len(grids)
    lat = sum((g.min_lat + g.max_lat) / 2 for g in grids) / len(grids)
    return round(lon, 6), round(lat, 6)


def seed_supplies() -> int:
    """Returns the batches written (0 when already seeded or no demo district)."""
    if Store.objects.exists():
        return 0
    district = OrgUnit.objects.filter(code=DISTRICT).first()
    staff = User.objects.filter(username="demo_district").first()
    community_staff = User.objects.filter(username="demo_community").first()
    if district is None or staff is None:
        return 0
    policy = supplies_policy()
    now = timezone.now()
    today = timezone.localdate()
    keepers = iter(KEEPERS * 3)

    def store(unit, tier, name):
        lon, lat = _centre(unit)
        return services.store_create(
            actor=staff,
            data={
                "name": name,
                "tier": tier,
                "org_unit": unit.code,
                "lon": lon + (0.002 if tier != "community" else 0),
                "lat": lat,
                "address": f"{unit.name}应急物资仓库",
                "keeper_name": next(keepers),
                "keeper_phone": f"139{int(unit.code) % 10**8:08d}",
            },
        )

    def receive(target, code, quantity, *, days_ago, expires_in=None):
        cat = policy.categories[code]
        life = cat.shelf_life_days
        left = expires_in if expires_in is not None else life - days_ago - 30
        expires = today + timedelta(days=left)
        produced = min(today - timedelta(days=days_ago), expires - timedelta(days=1))
        produced = max(produced, expires - timedelta(days=life))
        return services.batch_receive(
            actor=staff,
            store=target,
            category=code,
            quantity=max(1, int(quantity)),
            produced_on=produced,
            expires_on=expires,
            source="区应急管理局采购" if target.tier == Store.Tier.DISTRICT else "区级调配",
            occurred_at=now - timedelta(days=days_ago),
        )

    centre = store(district, Store.Tier.DISTRICT, "徐汇区应急物资储备中心")
    streets = {}
    for unit in OrgUnit.objects.filter(level=OrgUnit.Level.STREET, path__startswith=district.path):
        streets[unit.pk] = store(unit, Store.Tier.STREET, f"{unit.name}物资周转库")
    written = 0
    for i, code in enumerate(policy.categories):
        receive(centre, code, 5000 * policy.categories[code].norm_per_100, days_ago=30 - i)
        written += 1
    for depot in streets.values():
        for i, code in enumerate(policy.categories):
            receive(depot, code, 800 * policy.categories[code].norm_per_100, days_ago=28 - i)
            written += 1
    communities = {}
    for unit in OrgUnit.objects.filter(code__in=DAYS).order_by("code"):
        residents = Resident.objects.active().filter(scope_path__startswith=unit.path).count()
        target = store(unit, Store.Tier.COMMUNITY, f"{unit.name}应急物资储备点")
        communities[unit.code] = target
        for i, (code, cat) in enumerate(policy.categories.items()):
            days = DAYS[unit.code].get(code, 4)
            quantity = math.ceil(residents * cat.norm_per_100 / 100 * days)
            if quantity <= 0:
                continue
            # Part of it an older batch: near expiry in some communities.
            older = quantity // 3
            if older:
                near = {0: 20, 1: 60, 2: 75}.get((i + len(communities)) % 5)
                receive(target, code, older, days_ago=25 - i, expires_in=near)
                written += 1
            receive(target, code, quantity - older, days_ago=20 - i)
            written += 1
    first = communities.get("310104003001")
    if first is not None:
        # One batch already expired, then disposed of; issues and a loss over the month.
        receive(first, "food", 40, days_ago=29, expires_in=-3)
        services.stock_move(
            actor=staff,
            store=first,
            kind="disposal",
            category="food",
            quantity=25,
            reason="过期食品报废",
            occurred_at=now - timedelta(days=2),
        )
        services.stock_move(
            actor=staff,
            store=first,
            kind="out",
            category="water",
            quantity=60,
            reason="高温天气慰问",
            occurred_at=now - timedelta(days=12),
        )
        services.stock_move(
            actor=staff,
            store=first,
            kind="loss",
            category="lighting",
            quantity=1,
            reason="应急灯损坏",
            occurred_at=now - timedelta(days=8),
        )
        depot = streets.get(first.org_unit.parent_id)
        if depot is not None:
            services.stock_move(
                actor=staff,
                store=depot,
                kind="transfer",
                category="sandbag",
                quantity=200,
                to_store=first,
                reason="汛期前补充",
                occurred_at=now - timedelta(days=15),
            )
        if community_staff is not None:
            batches = Batch.objects.filter(store=first, category__in=["first_aid", "tent"])
            services.stock_check_record(
                actor=community_staff,
                store=first,
                counts={str(b.uid): int(b.account.balance) for b in batches},
                reason="",
                checked_on=today - timedelta(days=5),
            )
    return written
