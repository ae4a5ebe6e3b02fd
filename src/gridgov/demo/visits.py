"""Demo household visits: tasks for the due households of every grid; in every grid, a
month of visits by its worker (most completed, a few partial, refused or nobody at home) —
fewer in the grids whose campaign started late — records reviewed by the community's office,
some still waiting; in the demo worker's grid also a record returned with a comment and a
registry conflict; and every community's spot-check draw for the month most visits ended in,
checked by its grid leader, with some fields that did not match — so the worker's phone
list, the review queue, the campaign board and the visit KPIs have something to show."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.org.models import GridAssignment, OrgUnit
from gridgov.people import services as people
from gridgov.people.models import Household, Resident
from gridgov.visits import services
from gridgov.visits.models import Indicator, Visit, VisitAnswer

GRID = "310104003001001"  # the demo worker's grid
VISITED_SHARE = 0.75  # there; the other grids between LATE_SHARES
LATE_SHARES = (0.2, 0.5)
MISMATCH_EVERY = 4  # one spot check in four finds a field that does not match (the first one)
# Needs raised on visits, as a phone sends them: the category by code or by its Chinese name.
VISIT_NEEDS = [
    {"category": "助餐", "text": "希望增加助餐点"},
    {"category": "elderly_care", "text": "老人希望定期有人上门探望"},
    {"category": "适老化改造", "text": "卫生间地面太滑，需要防滑和扶手"},
    {"category": "health", "text": "想签约家庭医生"},
    {"category": "托育", "text": "孩子放学后无人照看"},
]


def _value(indicator: Indicator, rng: random.Random):
    rules = indicator.validation or {}
    kind = indicator.value_type
    if kind == "bool":
        return rng.random() < 0.2
    if kind in ("int", "decimal"):
        low, high = int(rules.get("min", 0)), int(rules.get("max", 5))
        if low >= 1900:  # a year
            return rng.randint(max(low, 1960), min(high, 2024))
        if high - low > 100:  # a measure such as floor area: the lower part of its range
            return rng.randint(low, low + (high - low) // 10)
        return rng.randint(low, min(high, low + 4))
    if kind == "choice":
        return rng.choice(indicator.choices)[0]
    if kind == "multi":
        return [rng.choice(indicator.choices)[0]]
    if indicator.code == "N01":
        return rng.choice(["助餐", "上门体检", "老年活动室", "课后托管"])
    return "无"


def _office(community: OrgUnit, role: str, prefix: str, title: str) -> User:
    """The community's person in ``role``; a demo account without sign-in where it has none."""
    member = (
        Membership.objects.filter(role=role, org_unit=community, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if member is not None:
        return member.user
    user = User.objects.create(
        username=f"{prefix}{community.code}",
        display_name=f"{title} {community.name}",
        is_demo=True,
        must_change_password=False,
        password=make_password(None),  # no sign-in: staff for the demo data only
    )
    Membership.objects.create(user=user, role=role, org_unit=community)
    return user


def _worker(grid: OrgUnit) -> User | None:
    if grid.code == GRID:
        return User.objects.filter(username="demo_gridworker").first()
    assignment = (
        GridAssignment.objects.filter(grid=grid, duty=GridAssignment.Duty.FULL_TIME)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return assignment.user if assignment else None


def seed_visits() -> int:
    """Returns the number of visit records made (none if there are some already)."""
    home = OrgUnit.objects.filter(code=GRID).first()
    if home is None or Visit.objects.exists():
        return 0
    if User.objects.filter(username__in=["demo_gridworker", "demo_community"]).count() != 2:
        return 0
    rng = random.Random(14)
    grids = list(
        OrgUnit.objects.filter(
            level=OrgUnit.Level.GRID,
            is_active=True,
            path__startswith=home.parent.parent.parent.path,
        )
        .select_related("parent")
        .order_by("code")
    )
    for grid in grids:
        services.tasks_generate(grid=grid)
    required = list(Indicator.objects.filter(is_active=True, required=True, sensitivity="normal"))
    optional = list(Indicator.objects.filter(is_active=True, required=False, sensitivity="normal"))
    made = 0
    for grid in grids:
        worker = _worker(grid)
        if worker is None:
            continue
        reviewer = _office(grid.parent, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
        share = VISITED_SHARE if grid.code == GRID else rng.uniform(*LATE_SHARES)
        made += _visit_grid(grid, worker, reviewer, share, required, optional, rng)
    # The draw is for the month most of the visits ended in: on the 1st that is the month
    # before, which the visits filled, not the new month that has none yet.
    period = timezone.localtime(timezone.now() - timedelta(days=14)).strftime("%Y-%m")
    recorded = 0
    for community in {grid.parent_id: grid.parent for grid in grids}.values():
        reviewer = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
        checker = _office(community, Role.GRID_LEADER, "demo_gl_", "网格长")
        draw = services.spot_check_draw(actor=reviewer, community=community, period_label=period)
        checks = list(draw.checks.select_related("visit").order_by("pk"))
        for check in checks[:-1]:  # the last one still waits for its checker
            codes = sorted(
                VisitAnswer.objects.filter(visit=check.visit).values_list(
                    "indicator__code", flat=True
                )
            )[:6]
            fields = {code: True for code in codes}
            if not fields or checker.pk == check.visit.collector_id:
                continue
            if recorded % MISMATCH_EVERY == 0:
                fields[rng.choice(codes)] = False
            services.spot_check_record(actor=checker, check=check, fields=fields)
            recorded += 1
    return made


def _visit_grid(grid, worker, reviewer, share, required, optional, rng) -> int:
    """A month of one grid's visits; the demo worker's grid also gets the corner cases."""
    households = list(Household.objects.filter(scope_path=grid.path).order_by("number"))
    chosen = households[: max(1, int(len(households) * share))]
    home = grid.code == GRID
    now = timezone.now()
    for i, household in enumerate(chosen):
        members = list(Resident.objects.filter(household=household, archived_at__isnull=True))
        roll = rng.random()
        outcome = (
            "refused"
            if roll < 0.08
            else "not_home"
            if roll < 0.15
            else "partial"
            if roll < 0.25
            else "completed"
        )
        answers = {}
        if outcome in ("completed", "partial"):
            answers = {ind.code: _value(ind, rng) for ind in required}
            answers |= {
                ind.code: _value(ind, rng) for ind in rng.sample(optional, 8 if home else 3)
            }
        corrections = [{"resident": str(m.uid), "confirm": True} for m in members[:2]]
        if home and i == 5 and members:  # a new phone number the office also changes: a conflict
            corrections = [
                {"resident": str(members[0].uid), "field": "phone", "value": "13700009999"}
            ]
        ended = now - timedelta(days=rng.randint(0, 27), minutes=rng.randint(5, 600))
        data = services.VisitInput(
            client_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
            household=str(household.uid),
            outcome=outcome,
            started_at=(ended - timedelta(minutes=rng.randint(10, 40))).isoformat(),
            ended_at=ended.isoformat(),
            channel="paper" if i % 7 == 0 else "app",
            refusal_reason="privacy" if outcome == "refused" else "",
            notice_given=outcome != "not_home",
            commitment_signed=outcome in ("completed", "partial"),
            versions={str(household.uid): household.version}
            | {str(m.uid): m.version for m in members},
            answers=answers,
            corrections=corrections if outcome in ("completed", "partial") else [],
            needs=[VISIT_NEEDS[(i // 5) % len(VISIT_NEEDS)]] if i % 5 == 0 else [],
        )
        visit, _created = services.visit_submit(actor=worker, data=data)
        # Sent when the worker was back in signal, not all this morning.
        Visit.objects.filter(pk=visit.pk).update(
            submitted_at=min(now, ended + timedelta(minutes=rng.randint(5, 180)))
        )
        if i % 4 == 3:
            continue  # waits for review
        if home and i == 2:
            services.visit_review(
                actor=reviewer,
                visit=visit,
                decision="return",
                version=visit.version,
                comments={"answers.B01": "常住人数与户内成员不符，请核实"},
            )
            continue
        if home and i == 5 and members:  # the office changed the phone meanwhile
            people.resident_update(
                actor=reviewer,
                resident=members[0],
                data={"phone": "13600008888"},
                expected_version=members[0].version,
            )
        services.visit_review(actor=reviewer, visit=visit, decision="pass", version=visit.version)
    return len(chosen)
