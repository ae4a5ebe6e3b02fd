"""The demo's votes: every demo topic in 表决中, 已决议, 落实中 or 已反馈 that has no vote gets
one, its electorate read from the registry, and ballots cast online and on paper (the
paper sheets entered by the community's staff and confirmed by the grid leader), so the
pages show results and turnout. A topic still voting keeps its vote open, with a paper
sheet waiting for its check; the others' votes are closed and counted. Works with
whatever topics exist; seeding twice adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.participation import services_votes as services
from gridgov.participation import signals
from gridgov.participation.models import Ballot, PaperBallot, Topic, Turnout, Vote

ENTERED_BY, CHECKED_BY = "demo_community", "demo_gridleader"
STATES = (
    Topic.State.VOTING,
    Topic.State.DECIDED,
    Topic.State.IMPLEMENTING,
    Topic.State.REPORTED,
)
OPTIONS = ["同意", "不同意", "弃权"]


def _staff(username: str, fallback: User) -> User:
    return User.objects.filter(username=username).first() or fallback


def seed_votes(now=None) -> int:
    """Votes for the topics that need one; returns how many were made."""
    now = now or timezone.now()
    made = 0
    for topic in Topic.objects.filter(state__in=STATES, votes__isnull=True).order_by("pk"):
        with transaction.atomic():
            _seed_topic(topic, now)
        made += 1
    return made


def _seed_topic(topic: Topic, now) -> None:
    rng = random.Random(topic.pk)
    still_open = topic.state == Topic.State.VOTING
    entered_by = _staff(ENTERED_BY, topic.created_by)
    checked_by = _staff(CHECKED_BY, topic.created_by)
    opened = now - timedelta(days=rng.randint(3, 10) if still_open else rng.randint(20, 60))
    rules, version = services._rules()
    vote = Vote.objects.create(
        topic=topic,
        question=f"是否同意《{topic.title}》的方案？",
        options=OPTIONS,
        kind=Vote.Kind.BINDING,
        secrecy=Vote.Secrecy.SECRET,
        electorate_form=rng.choice([Vote.Electorate.PERSONS, Vote.Electorate.HOUSEHOLDS]),
        method=Vote.Method.BOTH,
        opens_at=opened,
        closes_at=opened + timedelta(days=14) if still_open else opened + timedelta(days=7),
        rules=rules,
        policy_version=version,
        state=Vote.State.OPEN,
        opened_at=opened,
        created_by=topic.created_by,
        version=2,
    )
    electors = services.electorate_rows(vote, timezone.localdate(opened))
    from gridgov.participation.models import Elector

    Elector.objects.bulk_create(electors, batch_size=2000)
    electors = list(Elector.objects.filter(vote=vote).select_related("resident", "household"))
    vote.electorate_size = len(electors)
    vote.save()
    share = rng.uniform(0.3, 0.5) if still_open else rng.uniform(0.35, 0.8)
    voters = rng.sample(electors, int(len(electors) * share))
    turnouts, ballots, sheets = [], [], []
    for index, elector in enumerate(voters):
        person = elector.resident or _adult_member(elector)
        if person is None:
            continue
        paper = index % 5 == 0
        at = opened + timedelta(minutes=rng.randint(10, 6 * 24 * 60))
        choice = rng.choices([0, 1, 2], weights=[6, 3, 1])[0]
        channel = Turnout.Channel.PAPER if paper else Turnout.Channel.ONLINE
        turnouts.append(
            Turnout(
                vote=vote,
                elector=elector,
                resident=person,
                channel=channel,
                at=at,
                recorded_by_name=entered_by.get_username() if paper else "",
            )
        )
        ballots.append(
            Ballot(
                vote=vote,
                choice=choice,
                channel=channel,
                receipt_hash=""
                if paper
                else services.receipt_hash(vote, services.new_receipt_code()),
                day=timezone.localdate(at),
            )
        )
        if paper:
            sheets.append(
                PaperBallot(
                    vote=vote,
                    choice=choice,
                    state=PaperBallot.State.CONFIRMED,
                    entered_by=entered_by,
                    entered_day=timezone.localdate(at),
                    checked_by=checked_by,
                    checked_day=timezone.localdate(at),
                )
            )
    Turnout.objects.bulk_create(turnouts, batch_size=2000)
    rng.shuffle(ballots)
    Ballot.objects.bulk_create(ballots, batch_size=2000)
    PaperBallot.objects.bulk_create(sheets, batch_size=2000)
    for turnout in Turnout.objects.filter(vote=vote).select_related("resident"):
        signals.vote_cast.send(sender=Vote, resident=turnout.resident, source=turnout)
    if still_open:
        # One sheet entered today, waiting for the second person's check.
        PaperBallot.objects.create(
            vote=vote, choice=0, entered_by=entered_by, entered_day=timezone.localdate(now)
        )
        return
    counts = [sum(1 for b in ballots if b.choice == i) for i in range(len(OPTIONS))]
    result = services.tally(vote, counts, len(turnouts))
    vote.result = result
    vote.outcome = result["outcome"]
    vote.quorum_met = result["quorum_met"]
    vote.majority_reached = result["majority_reached"]
    vote.state = Vote.State.CLOSED
    vote.closed_at = vote.closes_at
    vote.closed_by_name = f"system:{services.SYSTEM.name}"
    vote.version = 3
    vote.save()


def _adult_member(elector):
    return (
        services.eligible_residents(elector.scope_path, timezone.localdate())
        .filter(household_id=elector.household_id)
        .order_by("pk")
        .first()
    )
