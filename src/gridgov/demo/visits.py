"""Demo household visits: tasks for the due households of every grid; in the demo worker's
grid, visits of every outcome (most completed, a few refused or nobody at home), records
reviewed, one returned with a comment, one registry conflict, and this month's spot-check
draw — so the worker's phone list, the review queue and the visit KPIs have something to
show."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.org.models import OrgUnit
from gridgov.people import services as people
from gridgov.people.models import Household, Resident
from gridgov.visits import services
from gridgov.visits.models import Indicator, Visit

GRID = "310104003001001"
VISITED_SHARE = 0.75


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


def seed_visits() -> int:
    """Returns the number of visit records made (none if the grid already has some)."""
    grid = OrgUnit.objects.filter(code=GRID).first()
    worker = User.objects.filter(username="demo_gridworker").first()
    reviewer = User.objects.filter(username="demo_community").first()
    leader = User.objects.filter(username="demo_gridleader").first()
    if grid is None or worker is None or reviewer is None or leader is None:
        return 0
    if Visit.objects.filter(scope_path=grid.path).exists():
        return 0
    rng = random.Random(14)
    for unit in OrgUnit.objects.filter(level=OrgUnit.Level.GRID, is_active=True):
        services.tasks_generate(grid=unit)
    required = list(Indicator.objects.filter(is_active=True, required=True, sensitivity="normal"))
    optional = list(Indicator.objects.filter(is_active=True, required=False, sensitivity="normal"))
    households = list(Household.objects.filter(scope_path=grid.path).order_by("number"))
    chosen = households[: max(1, int(len(households) * VISITED_SHARE))]
    made = 0
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
            answers |= {ind.code: _value(ind, rng) for ind in rng.sample(optional, 8)}
        corrections = [{"resident": str(m.uid), "confirm": True} for m in members[:2]]
        if i == 5 and members:  # a new phone number that the office also changes: a conflict
            corrections = [
                {"resident": str(members[0].uid), "field": "phone", "value": "13700009999"}
            ]
        ended = now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(5, 600))
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
            needs=[{"category": "eldercare", "text": "希望增加助餐点"}] if i % 5 == 0 else [],
        )
        visit, _created = services.visit_submit(actor=worker, data=data)
        made += 1
        if i % 4 == 3:
            continue  # waits for review
        if i == 2:
            services.visit_review(
                actor=reviewer,
                visit=visit,
                decision="return",
                version=visit.version,
                comments={"answers.B01": "常住人数与户内成员不符，请核实"},
            )
            continue
        if i == 5 and members:  # the office changed the phone meanwhile
            people.resident_update(
                actor=reviewer,
                resident=members[0],
                data={"phone": "13600008888"},
                expected_version=members[0].version,
            )
        services.visit_review(actor=reviewer, visit=visit, decision="pass", version=visit.version)
    services.spot_check_draw(
        actor=reviewer,
        community=grid.parent,
        period_label=timezone.localdate().strftime("%Y-%m"),
    )
    return made
