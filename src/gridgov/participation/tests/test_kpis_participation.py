"""人均年参与次数 and 年轻群体参与率 against a hand count.

g1a: 甲 (30), 乙 (40), 丙 (70), 丁 (20) and a child (9); g1b: 戊 (25); g2a (the other
district): 己 (30). Acts this year:
  甲 makes a proposal and casts a vote (2); a proposal of 甲's hidden by the moderator (0)
  乙 co-signs 甲's proposal (1)
  丙 comments three times (3)
  丁 commented last year only (0 this year)
  戊 comments once (1)
人均年参与次数: g1a 6 ÷ 5 = 1.2; c1 7 ÷ 6 = 1.17.
年轻群体参与率 (18–45): g1a 甲, 乙 of 甲, 乙, 丁 = 66.67 %; c1 3 ÷ 4 = 75 %; c2 0 ÷ 1.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.kpis.services import _live
from gridgov.participation import services_votes
from gridgov.participation.models import Comment, CoSignature, Proposal, Topic
from gridgov.participation.tests.vote_world import bind, household, resident
from gridgov.participation.workflow import move_topic

EXPECTED = {
    "participation.per_resident": {"g1a": (1.2, 6, 5), "c1": (1.17, 7, 6)},
    "participation.youth_rate": {"g1a": (66.67, 2, 3), "c1": (75.0, 3, 4), "c2": (0.0, 0, 1)},
}


@pytest.fixture
def built(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    g1a, g1b = org_tree["g1a"], org_tree["g1b"]
    jia = resident(household(g1a, "H1"), "甲", age=30)
    yi = resident(household(g1a, "H2"), "乙", age=40)
    bing = resident(household(g1a, "H3"), "丙", age=70)
    ding = resident(household(g1a, "H4"), "丁", age=20)
    resident(household(g1a, "H5"), "孩子", age=9)
    wu = resident(household(g1b, "H6"), "戊", age=25)
    resident(household(org_tree["g2a"], "H7"), "己", age=30)
    topic = Topic.objects.create(
        org_unit=org_tree["c1"], title="议题", source=Topic.Source.COMMITTEE, created_by=staff
    )
    topic = move_topic(actor=staff, topic=topic, action="select", version=1)
    proposal = Proposal.objects.create(
        org_unit=org_tree["c1"], author=jia, entered_by=staff, title="提案", body="内容"
    )
    Proposal.objects.create(
        org_unit=org_tree["c1"],
        author=jia,
        entered_by=staff,
        title="广告",
        body="内容",
        hidden_at=timezone.now(),
    )
    CoSignature.objects.create(proposal=proposal, resident=yi)
    for n in range(3):
        Comment.objects.create(topic=topic, author=bing, body=f"意见{n}")
    Comment.objects.create(topic=topic, author=wu, body="意见")
    old = Comment.objects.create(topic=topic, author=ding, body="去年的意见")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    voter = make_user(Role.RESIDENT, g1a)
    bind(voter, jia)
    vote = services_votes.vote_create(
        actor=staff,
        topic=topic,
        data={"question": "q", "options": ["a", "b"], "closes_at": timezone.now() + timedelta(1)},
    )
    vote = services_votes.vote_open(actor=staff, vote=vote, version=vote.version)
    services_votes.vote_cast(actor=voter, vote=vote, choice=0, version=vote.version)
    return org_tree


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_hand_counts(built, code):
    kpi = REGISTRY[code]
    period = period_containing("year", timezone.localdate())
    for unit, expected in EXPECTED[code].items():
        value = _live(kpi, built[unit], period)
        assert (value.value, value.numerator, value.denominator) == expected, unit


def test_the_young_age_band_is_a_policy(built, make_user):
    from gridgov.core.services import policy_update

    admin = make_user(Role.SYSTEM_ADMIN, built["d1"])
    policy_update(
        actor=admin,
        key="participation.participation",
        value={"youth_min_age": 18, "youth_max_age": 35},
        note="S001's narrower band",
    )
    value = _live(
        REGISTRY["participation.youth_rate"],
        built["g1a"],
        period_containing("year", timezone.localdate()),
    )
    # 甲 (30) and 丁 (20) are young now; 乙 (40) is not.
    assert (value.numerator, value.denominator) == (1, 2)
