"""The demo's chat-group inventory 小区群盘点: three groups for every compound (a notice or
mixed group for the whole compound, a service group for one building, a mutual-aid or
deliberation group), registered and approved by the community (one per community still
waiting for approval), with six finished months of monthly reports whose figures put
groups in every class — 高效能, 潜力提升, 问题整改 (opening rectification), 功能重构 — and
one group whose score stays below 70 (opening rectification by score). Idempotent: a
compound with groups is left as it is."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.demo.visits import _office, _worker
from gridgov.groups import services
from gridgov.groups.models import Group
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.org.models import Compound

MONTHS = 6


# Per profile: the figures of month m (0 = oldest) of six.
def _high(m: int) -> dict:
    return {
        "activity_pct": 84 + m,
        "messages_per_day": 40 + m,
        "response_hours": 1.5 - m * 0.1,
        "satisfaction_pct": 91 + m,
        "publish_hours": 6,
        "allocation_hours": 24,
        "false_information": False,
        "service_missing": False,
        "leak_incidents": 0,
        "complaints": 0,
        "admin_contact": True,
    }


def _potential(m: int) -> dict:
    return {
        "activity_pct": 60 + m * 2,
        "messages_per_day": 15,
        "response_hours": 4 - m * 0.2,
        "satisfaction_pct": 82,
        "allocation_hours": 48,
        "false_information": False,
        "service_missing": False,
        "leak_incidents": 0,
        "complaints": 1,
        "admin_contact": True,
    }


def _troubled(m: int) -> dict:
    # Drifts down; the last two months spread false information (问题整改群).
    return {
        "activity_pct": 58 - m * 5,
        "messages_per_day": 5,
        "response_hours": 10 + m,
        "satisfaction_pct": 70 - m * 2,
        "false_information": m >= MONTHS - 2,
        "service_missing": m >= MONTHS - 1,
        "leak_incidents": 1 if m == MONTHS - 1 else 0,
        "complaints": 3 + m,
        "admin_contact": True,
    }


def _quiet(m: int) -> dict:
    # Little measured and little activity: 潜力 by class, a score below 70 every month.
    return {"activity_pct": 22 + m, "complaints": 4, "admin_contact": False}


PROFILES = [_high, _potential, _troubled, _quiet]


def _members(seed: int) -> dict:
    total = 120 + seed * 17 % 260
    old = total * (25 + seed % 20) // 100
    young = total * 15 // 100
    return {
        "members_total": total,
        "age_0_18": young,
        "age_19_60": total - old - young,
        "age_60_plus": old,
        "occupation_students": young,
        "occupation_employed": total - old - young - 5,
        "occupation_retired": old,
        "occupation_other": 5,
        "special_elderly_alone": 2 + seed % 7,
        "special_pregnant": seed % 3,
        "special_chronic": 4 + seed % 9,
        "verified_residents": total * 8 // 10,
    }


def _months(today: date) -> list[str]:
    out = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year}-{month:02d}")
    return list(reversed(out))


def _building(number: str) -> str:
    """「3号楼」 for a bare number; a number that names itself (「1号楼」, 「A座」) as it is."""
    return f"{number}号楼" if number.isdigit() else number


def seed_groups() -> int:
    """The groups created (0 when seeded already)."""
    months = _months(timezone.localdate())
    created = 0
    compounds = (
        Compound.objects.select_related("community")
        .prefetch_related("buildings__grid")
        .order_by("community__code", "name")
    )
    seen_communities: set[int] = set()
    for c_index, compound in enumerate(compounds):
        if Group.objects.filter(compounds=compound).exists():
            continue
        buildings = list(compound.buildings.all())
        if not buildings:
            continue
        staff = _office(compound.community, Role.COMMUNITY_STAFF, "demo_cs_", "社区工作者")
        first = buildings[0]
        worker = _worker(first.grid)
        short = compound.name
        plans = [
            (f"{short}通知群", "notice" if c_index % 2 else "mixed", "committee", [], None),
            (f"{short}{_building(first.number)}服务群", "service", "property", [first.pk], worker),
            (
                f"{short}邻里互助群",
                "mutual_aid" if c_index % 2 else "deliberation",
                "volunteers",
                [],
                None,
            ),
        ]
        for g_index, (name, function, manager, building_ids, responsible) in enumerate(plans):
            seed = c_index * 3 + g_index
            data = {
                "name": name,
                "platform": ["wechat", "wecom", "qq"][seed % 3],
                "external_id": f"demo-{compound.pk}-{g_index}",
                "function": function,
                "manager": manager,
                "compounds": [compound.pk],
                "buildings": building_ids,
                "responsible": responsible.username if responsible is not None else "",
                "created_on": f"20{20 + seed % 5}-0{1 + seed % 9}-15",
                "has_charter": True,
                "has_admin": True,
                "has_review": seed % 4 != 3,
                "has_emergency_plan": seed % 5 != 4,
                "admins": [{"user": staff.username}],
                **_members(seed),
            }
            group = services.group_create(actor=staff, data=data)
            created += 1
            if g_index == 2 and compound.community_id not in seen_communities:
                seen_communities.add(compound.community_id)
                continue  # one group per community waits for the committee's approval
            group = services.group_transition(
                actor=staff, group=group, action="approve", version=1, note="材料齐全"
            )
            profile = PROFILES[seed % len(PROFILES)]
            stats = {k: v for k, v in _members(seed).items() if k != "verified_residents"}
            for m, month in enumerate(months):
                values = {**stats, **profile(m)}
                snapshot_save(actor=staff, group=group, month=month, data=values)
    if created:
        _pair_first_potential_groups()
    return created


def _pair_first_potential_groups() -> None:
    """In each community, its first 潜力提升群 coached by a 高效能群 (结对帮扶)."""
    from gridgov.groups import selectors_treatments
    from gridgov.groups import services_treatments as treatments

    done: set[int] = set()
    for group in Group.objects.filter(state=Group.State.APPROVED).order_by(
        "community__code", "name"
    ):
        if group.community_id in done or treatments.latest_class(group) != "potential":
            continue
        staff = group.created_by
        mentors = selectors_treatments.mentor_choices(actor=staff, mentee=group)
        if mentors:
            treatments.pairing_start(actor=staff, mentee=group, mentor_uid=mentors[0].uid)
            done.add(group.community_id)
