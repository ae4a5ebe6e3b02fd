"""The deliberation KPIs on a hand-built October 2026, counted by hand:

居民意见采纳率  decided in October under c1: P1 adopted, P2 implemented, P3 declined,
               P4 adopted (g1a) → 3/4 = 75 %; P6 (decided in September) and P7 (not
               decided) are not counted; c2's P5 (declined) only in c2 → 0/1.
反馈率         decided in October under c1: T1 reported back, T2 not, T3 (not adopted)
               reported back → 2/3; c2's T4 (not reported back) → 0/1.
月度议题数      selected in October: T1, T3 (c1) and T2 (g1a, counted under c1) → 3 per
               community in c1, s1 and d1 (one community each); T5 selected in September
               is not counted; c2: T4 → 1.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.kpis.services import _live
from gridgov.participation.models import Decision, Proposal, Topic
from gridgov.participation.tests.test_deliberation import make_resident

pytestmark = pytest.mark.django_db

EXPECTED = {
    "participation.adoption_rate": (75.0, 3, 4),
    "participation.report_back": (66.67, 2, 3),
    "participation.topics": (3.0, 3, 1),
}
IN_C2 = {
    "participation.adoption_rate": (0.0, 0, 1),
    "participation.report_back": (0.0, 0, 1),
    "participation.topics": (1.0, 1, 1),
}


def _at(month, day):
    return timezone.make_aware(datetime(2026, month, day, 10, 0))


@pytest.fixture
def october(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    staff2 = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    author = make_resident(staff, org_tree["g1a"], "K1")
    far = make_resident(staff2, org_tree["g2a"], "K2")
    S = Proposal.State

    def topic(unit, selected, state=Topic.State.DECIDED):
        return Topic.objects.create(
            org_unit=org_tree[unit],
            title="t",
            source="committee",
            created_by=staff,
            state=state,
            selected_at=selected,
        )

    def decide(t, outcome, reported):
        Decision.objects.create(
            topic=t,
            outcome=outcome,
            report_due=_at(11, 5).date(),
            decided_at=_at(10, 12),
            decided_by_name="s",
            reported_at=_at(10, 20) if reported else None,
        )

    t1, t2, t3 = topic("c1", _at(10, 2)), topic("g1a", _at(10, 3)), topic("c1", _at(10, 4))
    t4, _t5 = topic("c2", _at(10, 5)), topic("c1", _at(9, 25), Topic.State.SELECTED)
    decide(t1, "adopted", True)
    decide(t2, "changed", False)
    decide(t3, "not_adopted", True)
    decide(t4, "adopted", False)
    for unit, who, state, decided in [
        ("c1", author, S.ADOPTED, _at(10, 12)),  # P1
        ("c1", author, S.IMPLEMENTED, _at(10, 12)),  # P2
        ("c1", author, S.DECLINED, _at(10, 8)),  # P3
        ("g1a", author, S.ADOPTED, _at(10, 30)),  # P4
        ("c2", far, S.DECLINED, _at(10, 9)),  # P5
        ("c1", author, S.ADOPTED, _at(9, 29)),  # P6
        ("c1", author, S.SUBMITTED, None),  # P7
    ]:
        Proposal.objects.create(
            org_unit=org_tree[unit],
            author=who,
            entered_by=staff,
            title="p",
            body="b",
            state=state,
            decided_at=decided,
        )
    return org_tree


def test_every_deliberation_kpi_has_a_hand_count():
    codes = {code for code, kpi in REGISTRY.items() if kpi.capability == "participation"}
    assert set(EXPECTED) <= codes


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_kpis_match_the_hand_count(october, code):
    period = period_containing("month", datetime(2026, 10, 15).date())
    for unit in ("c1", "s1", "d1"):
        value = _live(REGISTRY[code], october[unit], period)
        assert (value.value, round(value.numerator, 2), value.denominator) == EXPECTED[code], unit
    value = _live(REGISTRY[code], october["c2"], period)
    assert (value.value, value.numerator, value.denominator) == IN_C2[code]
