"""The demo's deliberation: every topic state in every community, the overdue one red, a
removed comment, proposals with co-signatures in the candidates' queue; seeding twice adds
nothing."""

from __future__ import annotations

from gridgov.accounts.roles import Role
from gridgov.demo.participation_topics import TOPICS, seed_participation_topics
from gridgov.participation import selectors_deliberation as selectors
from gridgov.participation.models import Comment, Decision, Proposal, Topic
from gridgov.participation.tests.test_deliberation import make_resident


def test_seed_participation_topics(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    staff2 = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    for n in range(10):
        make_resident(staff, org_tree["g1a"], f"D{n}")
        make_resident(staff2, org_tree["g2a"], f"E{n}")
    assert seed_participation_topics() == 2 * len(TOPICS)
    for community in ("c1", "c2"):
        topics = Topic.objects.filter(scope_path__startswith=org_tree[community].path)
        assert set(topics.values_list("state", flat=True)) == set(Topic.State.values)
        assert topics.get(state=Topic.State.REJECTED).reason
        reported = topics.get(state=Topic.State.REPORTED)
        assert reported.decision.report_text and reported.decision.reported_at
        overdue = topics.filter(selectors.overdue_q())
        assert overdue.count() == 1 and overdue.get().state == Topic.State.DECIDED
        assert Comment.objects.filter(topic__in=topics, removed_at__isnull=False).count() == 1
    assert Decision.objects.filter(topic__state=Topic.State.DECIDED).count() == 4
    assert Proposal.objects.filter(state=Proposal.State.SECONDED).count() == 2
    assert Proposal.objects.filter(state=Proposal.State.IMPLEMENTED).count() == 2
    assert Proposal.objects.filter(hidden_at__isnull=False).count() == 2
    assert Proposal.objects.filter(on_behalf=True).count() == Proposal.objects.count()
    assert seed_participation_topics() == 0
