"""The votes' KPIs against a hand count.

c1 holds four adults (居民0–3, g1a) and a child; c2 one adult. Topics decided this year:
  c1 major, vote with quorum (3 of 4 voted)      → with residents
  c1 major, vote without quorum (1 of 4 voted)   → not
  c1 major, hearing held, decided from discussion → with residents
  c1 not major, decided                          → not counted
  c2 major, decided from discussion, no meeting  → c2 only, not
重大决策居民参与率 c1 = d1 = 2 ÷ 3 = 66.67 %; c2 = 0 ÷ 1.
居民参与决策比例 c1: voters 居民0, 居民1, 居民2 (居民0 voted twice) = 3 ÷ 4 = 75 %; c2 0 ÷ 1.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.kpis.services import _live
from gridgov.participation import services_votes as services
from gridgov.participation.models import Topic
from gridgov.participation.tests.vote_world import bind, household, resident
from gridgov.participation.workflow import move_topic

# Every KPI of the votes has a hand count below.
KPI_CODES = {"participation.decision_participation", "participation.decision_residents"}


def _topic(staff, unit, title, major=True, **fields):
    topic = Topic.objects.create(
        org_unit=unit,
        title=title,
        source=Topic.Source.COMMITTEE,
        created_by=staff,
        is_major=major,
        **fields,
    )
    return move_topic(actor=staff, topic=topic, action="select", version=1)


def _decide(staff, topic):
    topic = Topic.objects.get(pk=topic.pk)
    if topic.state == Topic.State.SELECTED:
        topic = move_topic(
            actor=staff, topic=topic, action="open_discussion", version=topic.version
        )
    return move_topic(actor=staff, topic=topic, action="decide", version=topic.version)


def _voted(staff, topic, voters):
    vote = services.vote_create(
        actor=staff,
        topic=topic,
        data={"question": "q", "options": ["a", "b"], "closes_at": timezone.now() + timedelta(1)},
    )
    vote = services.vote_open(actor=staff, vote=vote, version=vote.version)
    for user in voters:
        services.vote_cast(actor=user, vote=vote, choice=0, version=vote.version)
    services.vote_close(actor=staff, vote=vote, version=vote.version)
    _decide(staff, topic)


@pytest.fixture
def built(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    other = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    users = []
    for i in range(4):
        user = make_user(Role.RESIDENT, org_tree["g1a"])
        bind(user, resident(household(org_tree["g1a"], f"K{i}"), f"居民{i}"))
        users.append(user)
    resident(household(org_tree["g1a"], "K9"), "孩子", age=9)
    resident(household(org_tree["g2a"], "Z1"), "外区居民")
    _voted(staff, _topic(staff, org_tree["c1"], "有效表决"), users[:3])
    _voted(staff, _topic(staff, org_tree["c1"], "未达法定人数"), users[:1])
    _decide(
        staff,
        _topic(
            staff,
            org_tree["c1"],
            "听证",
            meeting_type=Topic.MeetingType.HEARING,
            meeting_at=timezone.now(),
        ),
    )
    _decide(staff, _topic(staff, org_tree["c1"], "一般事项", major=False))
    _decide(other, _topic(other, org_tree["c2"], "外区重大"))
    return org_tree


def test_decision_participation(built):
    kpi = REGISTRY["participation.decision_participation"]
    period = period_containing("year", timezone.localdate())
    value = _live(kpi, built["c1"], period)
    assert (value.value, value.numerator, value.denominator) == (66.67, 2, 3)
    value = _live(kpi, built["d1"], period)
    assert (value.value, value.denominator) == (66.67, 3)
    value = _live(kpi, built["c2"], period)
    assert (value.value, value.denominator) == (0.0, 1)


def test_decision_residents(built):
    kpi = REGISTRY["participation.decision_residents"]
    period = period_containing("year", timezone.localdate())
    value = _live(kpi, built["c1"], period)
    assert (value.value, value.numerator, value.denominator) == (75.0, 3, 4)
    value = _live(kpi, built["c2"], period)
    assert (value.value, value.numerator, value.denominator) == (0.0, 0, 1)
    # Last year nobody had voted yet.
    last = period_containing(
        "year", timezone.localdate().replace(year=timezone.localdate().year - 1)
    )
    assert _live(kpi, built["c1"], last).value is None


def test_every_votes_kpi_is_counted_here():
    codes = {code for code, kpi in REGISTRY.items() if kpi.capability == "participation"}
    assert codes >= KPI_CODES
