"""The demo's votes: topics in 表决中 and later get a vote with its electorate and ballots
online and on paper; topics before voting get none; seeding twice adds nothing."""

from __future__ import annotations

from gridgov.accounts.roles import Role
from gridgov.demo.participation_votes import seed_votes
from gridgov.participation.models import Ballot, PaperBallot, Topic, Turnout, Vote
from gridgov.participation.tests.vote_world import household, resident


def test_seed_votes(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    for i in range(30):
        resident(household(org_tree["g1a" if i % 2 else "g1b"], f"D{i}"), f"演示{i}")
    topics = {}
    for state in ("collecting", "discussing", "voting", "decided", "implementing", "reported"):
        topics[state] = Topic.objects.create(
            org_unit=org_tree["c1"],
            title=f"议题{state}",
            source=Topic.Source.COMMITTEE,
            created_by=staff,
            state=state,
        )
    assert seed_votes() == 4
    assert not Vote.objects.filter(topic__in=[topics["collecting"], topics["discussing"]]).exists()
    open_vote = Vote.objects.get(topic=topics["voting"])
    assert open_vote.state == "open" and open_vote.closed_at is None
    assert PaperBallot.objects.filter(vote=open_vote, state="entered").count() == 1
    for state in ("decided", "implementing", "reported"):
        vote = Vote.objects.get(topic=topics[state])
        assert vote.state == "closed" and vote.result["electorate"] == vote.electorate_size > 0
        voters = Turnout.objects.filter(vote=vote).count()
        assert vote.result["voters"] == voters > 0
        assert Ballot.objects.filter(vote=vote).count() == voters
        assert sum(vote.result["counts"]) == voters
        assert vote.outcome in ("passed", "failed", "no_quorum")
    assert Turnout.objects.filter(channel="paper").exists()
    assert Turnout.objects.filter(channel="online").exists()
    assert seed_votes() == 0
