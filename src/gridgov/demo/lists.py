"""Demo needs, resources and service orders: the street's and each community's resources of
the three classes (政府 / 社会 / 志愿); in every grid, needs across the categories from the
sources the plans name, moved through their states — registered, verified, in matching,
dispatched, in service, met, partly met, cannot be met, followed up, no longer valid — with
orders in every state (dispatched, accepted, refused, timed out, in service, completed,
rated, cancelled), spread over the last weeks so that the lists' queues and figures have
something to show. Everything goes through the services, as staff would do it."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.demo.visits import _office
from gridgov.lists import selectors, services
from gridgov.lists.models import Need, NeedLog, Resource, ServiceOrder
from gridgov.org.models import OrgUnit
from gridgov.people.models import Household

# (name, class, provider type, provider, categories, capacity, unit, period, cost, min age,
#  kept by: "street" or "community")
RESOURCES = [
    ("{unit}家庭医生签约服务", "government", "department", "{unit}社区卫生服务中心",
     ["health", "medical_help"], 60, "places", "month", "free", None, "street"),
    ("{unit}长者食堂", "government", "department", "{unit}民政科",
     ["meals"], 40, "places", "month", "subsidised", 60, "street"),
    ("{unit}就业援助", "government", "department", "{unit}社区事务受理服务中心",
     ["employment"], 20, "places", "month", "free", None, "street"),
    ("心理疏导与个案服务", "social", "social_org", "阳光社工事务所",
     ["mental_health", "special_care"], 30, "hours", "month", "subsidised", None, "street"),
    ("适老化改造与上门维修", "social", "enterprise", "安居家政服务有限公司",
     ["ageing_adapt", "housekeeping"], 15, "items", "month", "paid", None, "street"),
    ("律师志愿咨询", "volunteer", "volunteer_team", "律师志愿服务团",
     ["legal_aid"], 8, "hours", "week", "free", None, "street"),
    ("{unit}养老服务站", "government", "department", "{unit}居委会",
     ["elderly_care", "special_care"], 12, "places", "month", "free", None, "community"),
    ("{unit}课后托管班", "social", "social_org", "童心托育中心",
     ["childcare", "education"], 20, "places", "month", "subsidised", None, "community"),
    ("{unit}助老志愿服务队", "volunteer", "volunteer_team", "{unit}志愿服务队",
     ["elderly_care", "medical_help", "housekeeping", "culture"], 40, "hours", "month", "free",
     None, "community"),
    ("居民技能·康复理疗", "volunteer", "resident_skill", "退休康复师（居民）",
     ["rehab"], 10, "hours", "month", "free", None, "community"),
]  # fmt: skip

# (category, text, source, priority)
NEEDS = [
    ("housekeeping", "卫生间水龙头漏水，老人自己修不了", "visit", "normal"),
    ("elderly_care", "独居老人希望每周有人上门看看", "visit", "high"),
    ("medical_help", "行动不便，需陪同去医院复诊", "hotline", "high"),
    ("legal_aid", "想咨询房屋继承的法律问题", "self", "normal"),
    ("mental_health", "家属反映老人近来情绪低落", "staff", "normal"),
    ("health", "希望签约家庭医生", "survey", "low"),
    ("culture", "想参加社区合唱活动", "self", "low"),
    ("ageing_adapt", "卫生间需要加装扶手", "visit", "high"),
    ("rehab", "术后需要康复训练指导", "event", "normal"),
    ("employment", "失业半年，希望找份工作", "self", "normal"),
    ("childcare", "双职工家庭，孩子放学后无人照看", "survey", "normal"),
    ("elderly_care", "希望有人帮忙代购生活用品", "hotline", "normal"),
    ("housekeeping", "楼道灯坏了、家里门锁也坏了", "staff", "low"),
    ("special_care", "重度残疾人需要定期照护", "visit", "urgent"),
]

# What becomes of the i-th need of a grid (by index; the rest stay as registered).
PLAN = [
    "rated_met",
    "rated_met",
    "in_service",
    "dispatched",
    "accepted",
    "refused",
    "completed",
    "rated_partly",
    "followed_up",
    "matching",
    "verified",
    "unmet",
    "expired",
    "cancelled",
]


def _resources(street: OrgUnit, communities: list[OrgUnit]) -> list[Resource]:
    made = []
    street_office = _office(street, Role.STREET_STAFF, "demo_ss_", "街道专干")
    for i, (name, cls, kind, provider, cats, cap, unit, period, cost, min_age, level) in enumerate(
        RESOURCES
    ):
        owners = [street] if level == "street" else communities
        for owner in owners:
            actor = (
                street_office
                if level == "street"
                else _office(owner, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
            )
            centre = _centre(owner)
            data = {
                "name": name.format(unit=owner.name),
                "resource_class": cls,
                "provider_kind": kind,
                "provider_name": provider.format(unit=owner.name),
                "categories": cats,
                "owner": owner.code,
                "capacity": cap,
                "capacity_unit": unit,
                "capacity_period": period,
                "area_paths": [owner.code],
                "cost_basis": cost,
                "min_age": min_age,
                "contact_name": "联系人",
                "contact_phone": f"1391234{(i * 37 + len(made)) % 10000:04d}",
                "status": "active",
                "last_verified": (timezone.localdate() - timedelta(days=10 + i)).isoformat(),
            }
            if centre is not None:  # the office's point: nearest first among candidates
                data["lon"], data["lat"] = centre
            made.append(services.resource_create(actor=actor, data=data))
    return made


def _centre(unit: OrgUnit) -> tuple[float, float] | None:
    from gridgov.org.models import Grid

    boxes = list(
        Grid.objects.filter(unit__path__startswith=unit.path).values_list(
            "min_lon", "min_lat", "max_lon", "max_lat"
        )
    )
    if not boxes:
        return None
    lon = sum((b[0] + b[2]) / 2 for b in boxes) / len(boxes)
    lat = sum((b[1] + b[3]) / 2 for b in boxes) / len(boxes)
    return round(lon, 6), round(lat, 6)


def _dispatch(actor, need: Need) -> ServiceOrder | None:
    need.refresh_from_db()
    if need.state != Need.State.MATCHING:
        need = services.need_transition(
            actor=actor, need=need, action="start_matching", version=need.version
        )
    found = selectors.candidates(need)
    if not found:
        return None
    return services.order_dispatch(
        actor=actor, need=need, resource_uid=found[0].resource.uid, version=need.version
    )


def _order(actor, order: ServiceOrder, action: str, **kwargs) -> ServiceOrder:
    order.refresh_from_db()
    return services.order_transition(
        actor=actor, order=order, action=action, version=order.version, **kwargs
    )


def _play(actor, need: Need, plan: str, rng: random.Random) -> None:
    """Move one need (and its orders) to the plan's state."""
    if plan == "verified":
        services.need_transition(actor=actor, need=need, action="verify", version=need.version)
        return
    if plan == "matching":
        services.need_transition(
            actor=actor, need=need, action="start_matching", version=need.version
        )
        return
    if plan == "expired":
        services.need_transition(
            actor=actor, need=need, action="expire", version=need.version, reason="住户已搬离"
        )
        return
    if plan == "unmet":
        services.need_transition(
            actor=actor, need=need, action="start_matching", version=need.version
        )
        need.refresh_from_db()
        services.need_transition(
            actor=actor,
            need=need,
            action="unmet",
            version=need.version,
            reason="辖区内暂无可提供此项服务的资源",
            route=Need.Route.PROJECT,
        )
        return
    order = _dispatch(actor, need)
    if order is None or plan == "dispatched":
        return
    if plan in ("refused", "cancelled"):
        reason = "本月人手已排满" if plan == "refused" else "居民已另行解决"
        _order(actor, order, "refuse" if plan == "refused" else "cancel", reason=reason)
        return
    order = _order(actor, order, "accept")
    if plan == "accepted":
        return
    order = _order(actor, order, "start")
    if plan == "in_service":
        return
    order = _order(actor, order, "complete", hours=rng.choice([1, 1.5, 2, 3, 4]))
    if plan == "completed":
        return
    met = "partly" if plan == "rated_partly" else "yes"
    rating = services.Rating(
        resident_rating=rng.choice([4, 5, 5]) if met == "yes" else 3,
        need_met=met,
        outcome_rating=rng.choice([4, 5]) if met == "yes" else 3,
    )
    _order(actor, order, "rate", rating=rating)
    if plan == "followed_up":
        need.refresh_from_db()
        services.need_transition(actor=actor, need=need, action="follow_up", version=need.version)


def _age(need: Need, days: float) -> None:
    """Put a need and its settled orders ``days`` in the past (orders still waiting for an
    answer keep their fresh deadlines)."""
    shift = timedelta(days=days)
    Need.objects.filter(pk=need.pk).update(created_at=F("created_at") - shift)
    Need.objects.filter(pk=need.pk, closed_at__isnull=False).update(
        closed_at=F("closed_at") - shift
    )
    NeedLog.objects.filter(need=need).update(created_at=F("created_at") - shift)
    settled = ServiceOrder.objects.filter(need=need).exclude(state=ServiceOrder.State.DISPATCHED)
    settled.update(
        dispatched_at=F("dispatched_at") - shift,
        accept_due=F("accept_due") - shift,
        start_due=F("start_due") - shift,
    )
    # Each later step a few hours to days after the one before.
    for field, gap in (
        ("accepted_at", 0.3),
        ("refused_at", 0.5),
        ("started_at", 1.5),
        ("completed_at", 2.5),
        ("rated_at", 3.5),
    ):
        settled.filter(**{f"{field}__isnull": False}).update(
            **{field: F(field) - shift + timedelta(days=min(gap, days * 0.9))}
        )


def seed_lists() -> int:
    """Returns the number of needs made (none when the lists hold resources already)."""
    home = OrgUnit.objects.filter(code="310104").first()
    if home is None or Resource.objects.exists():
        return 0
    if not User.objects.filter(username="demo_community").exists():
        return 0
    rng = random.Random(15)
    streets = list(OrgUnit.objects.filter(level=OrgUnit.Level.STREET, path__startswith=home.path))
    made = 0
    for street in sorted(streets, key=lambda s: s.code):
        communities = list(
            OrgUnit.objects.filter(level=OrgUnit.Level.COMMUNITY, parent=street).order_by("code")
        )
        if not communities:
            continue
        _resources(street, communities)
        for community in communities:
            actor = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
            grids = OrgUnit.objects.filter(level=OrgUnit.Level.GRID, parent=community)
            for g, grid in enumerate(grids.order_by("code")):
                made += _seed_grid(actor, grid, g, rng)
        # One order per street not accepted in time: the timeout job sends it back.
        late = (
            ServiceOrder.objects.filter(
                state=ServiceOrder.State.DISPATCHED, scope_path__startswith=street.path
            )
            .order_by("pk")
            .first()
        )
        if late is not None:
            _age(late.need, 4)  # the need too: it was dispatched the day it was registered
            ServiceOrder.objects.filter(pk=late.pk).update(
                dispatched_at=F("dispatched_at") - timedelta(days=4),
                accept_due=F("accept_due") - timedelta(days=4),
                start_due=F("start_due") - timedelta(days=4),
            )
            services.orders_time_out()
    return made


def _seed_grid(actor, grid: OrgUnit, g: int, rng: random.Random) -> int:
    households = list(
        Household.objects.filter(scope_path=grid.path, status=Household.Status.ACTIVE).order_by(
            "number"
        )
    )
    if not households:
        return 0
    count = 0
    picks = rng.sample(households, min(len(households), len(NEEDS)))
    offset = g * 3  # grids differ in which need meets which fate
    for i, household in enumerate(picks):
        category, text, source, priority = NEEDS[(i + offset) % len(NEEDS)]
        need, merged = services.need_register(
            actor=actor,
            data=services.NeedInput(
                household=str(household.uid),
                category=category,
                text=text,
                source=source,
                priority=priority,
            ),
        )
        if merged:
            continue
        count += 1
        plan = PLAN[i] if i < len(PLAN) else "registered"
        if plan != "registered":
            _play(actor, need, plan, rng)
        _age(need, rng.uniform(2, 45) if plan != "dispatched" else rng.uniform(0.1, 0.5))
    return count
