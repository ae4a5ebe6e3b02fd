"""Votes: the electorate frozen at opening, one vote per elector, refusals that write
nothing, paper ballots with a second person's check, quorum and majority at their
boundaries, the result stored once, and a ballot table that cannot be joined to voters."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.participation import services_votes as services
from gridgov.participation import signals
from gridgov.participation.models import (
    Ballot,
    Elector,
    PaperBallot,
    Topic,
    TopicLog,
    Turnout,
    Vote,
)
from gridgov.participation.tests.vote_world import bind, household, resident, turning
from gridgov.participation.workflow import move_topic


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    topic = Topic.objects.create(
        org_unit=org_tree["c1"], title="加装电梯", source=Topic.Source.COMMITTEE, created_by=staff
    )
    topic = move_topic(actor=staff, topic=topic, action="select", version=1)
    homes = [household(org_tree["g1a"], f"A{i}") for i in range(3)]
    voters = []
    for i, home in enumerate(homes):
        user = make_user(Role.RESIDENT, org_tree["g1a"])
        voters.append((user, bind(user, resident(home, f"居民{i}"))))
    # Not electors: a child, someone who moved away, an archived record, the other district.
    resident(homes[0], "孩子", age=10, relation="child")
    resident(homes[1], "外出", residence="away", relation="spouse")
    resident(homes[2], "注销", archived_at=timezone.now(), relation="spouse")
    resident(household(org_tree["g2a"], "B1"), "外区")
    return {
        "tree": org_tree,
        "staff": staff,
        "topic": topic,
        "homes": homes,
        "voters": voters,
        "make_user": make_user,
    }


def _vote(world, **data) -> Vote:
    base = {
        "question": "是否加装电梯？",
        "options": ["同意", "不同意"],
        "closes_at": timezone.now() + timedelta(days=7),
    }
    return services.vote_create(actor=world["staff"], topic=world["topic"], data={**base, **data})


def _open(world, **data) -> Vote:
    vote = _vote(world, **data)
    return services.vote_open(actor=world["staff"], vote=vote, version=vote.version)


def _cast(world, vote, who=0, choice=0, version=None):
    user = world["voters"][who][0] if isinstance(who, int) else who
    return services.vote_cast(
        actor=user, vote=vote, choice=choice, version=vote.version if version is None else version
    )


def _nothing_written(before):
    return (Turnout.objects.count(), Ballot.objects.count(), AuditRecord.objects.count()) == before


def _counts():
    return (Turnout.objects.count(), Ballot.objects.count(), AuditRecord.objects.count())


def test_opening_moves_the_topic_and_freezes_the_electorate(world):
    vote = _open(world)
    world["topic"].refresh_from_db()
    assert world["topic"].state == Topic.State.VOTING
    assert vote.state == Vote.State.OPEN and vote.closed_at is None
    electors = set(Elector.objects.filter(vote=vote).values_list("resident__name", flat=True))
    assert electors == {"居民0", "居民1", "居民2"}
    assert vote.electorate_size == 3
    # The topic cannot be decided while its vote is open.
    with pytest.raises(Conflict):
        move_topic(
            actor=world["staff"],
            topic=world["topic"],
            action="decide",
            version=world["topic"].version,
        )


def test_setup_refusals_name_the_field(world):
    before = Vote.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _vote(world, question="", options=["同意"], kind="x", closes_at="soon")
    assert set(caught.value.details) == {"question", "options", "kind", "closes_at"}
    with pytest.raises(ValidationFailed) as caught:
        _vote(world, options=["同意", "同意"])
    assert "options" in caught.value.details
    assert Vote.objects.count() == before
    outside = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    with pytest.raises(PermissionDenied):
        services.vote_create(
            actor=outside,
            topic=world["topic"],
            data={"question": "q", "options": "a\nb", "closes_at": timezone.now() + timedelta(1)},
        )


def test_cast_gives_a_receipt_and_sends_the_signal(world):
    vote = _open(world)
    heard = []

    def hear(sender, resident, source, **kwargs):
        heard.append((resident.name, source))

    signals.vote_cast.connect(hear)
    try:
        turnout, code = _cast(world, vote, 0, 1)
    finally:
        signals.vote_cast.disconnect(hear)
    assert heard == [("居民0", turnout)]
    assert len(code) == 14 and services.receipt_counted(vote, code)
    assert services.receipt_counted(vote, code.lower().replace("-", ""))
    assert not services.receipt_counted(vote, "AAAA-BBBB-CCCC")
    assert turnout.open_choice is None  # secret by default
    assert Ballot.objects.get(vote=vote).day == timezone.localdate()


def test_refusals_write_nothing(world):
    vote = _open(world)
    _cast(world, vote, 0)
    before = _counts()
    cases = [
        (lambda: _cast(world, vote, 0), Conflict, "already_voted"),
        (lambda: _cast(world, vote, 1, choice=5), Conflict, "stale_ballot"),
        (lambda: _cast(world, vote, 1, version=vote.version - 1), Conflict, "stale_ballot"),
        (
            lambda: _cast(world, vote, world["make_user"](Role.RESIDENT, world["tree"]["g1a"])),
            PermissionDenied,
            "not_a_verified_resident",
        ),
    ]
    for call, error, code in cases:
        with pytest.raises(error) as caught:
            call()
        assert caught.value.code == code
    assert _counts() == before


def test_before_opening_and_after_closing_are_refused(world):
    vote = _vote(world, opens_at=timezone.now() + timedelta(days=1))
    vote = services.vote_open(actor=world["staff"], vote=vote, version=vote.version)
    with pytest.raises(Conflict) as caught:
        _cast(world, vote, 0)
    assert caught.value.code == "vote_not_open"
    later = timezone.now() + timedelta(days=2)
    services.vote_cast(
        actor=world["voters"][0][0], vote=vote, choice=0, version=vote.version, now=later
    )
    vote = services.vote_close(actor=world["staff"], vote=vote, version=vote.version)
    before = _counts()
    with pytest.raises(Conflict) as caught:
        _cast(world, vote, 1)
    assert caught.value.code == "vote_closed"
    assert _counts() == before


def test_moving_in_after_opening_cannot_vote_moving_out_is_refused(world):
    vote = _open(world)
    newcomer = world["make_user"](Role.RESIDENT, world["tree"]["g1a"])
    bind(newcomer, resident(household(world["tree"]["g1a"], "NEW"), "新住户"))
    leaver = world["voters"][1][1]
    leaver.residence = "away"
    leaver.save()
    before = _counts()
    for who in (newcomer, world["voters"][1][0]):
        with pytest.raises(PermissionDenied) as caught:
            _cast(world, vote, who)
        assert caught.value.code == "not_in_electorate"
    assert _counts() == before


def test_household_form_first_adult_wins(world):
    home = world["homes"][0]
    spouse_user = world["make_user"](Role.RESIDENT, world["tree"]["g1a"])
    bind(spouse_user, resident(home, "配偶", relation="spouse"))
    child_user = world["make_user"](Role.RESIDENT, world["tree"]["g1a"])
    bind(child_user, resident(home, "少年", birth_date=turning(17), relation="child"))
    vote = _open(world, electorate_form="households")
    assert vote.electorate_size == 3  # three households with an adult living there
    with pytest.raises(PermissionDenied):
        _cast(world, vote, child_user)  # a minor cannot cast for the household
    _cast(world, vote, spouse_user)
    with pytest.raises(Conflict) as caught:
        _cast(world, vote, 0)
    assert caught.value.code == "already_voted"
    assert Turnout.objects.get(vote=vote).resident.name == "配偶"


def test_eighteen_today_votes(world):
    user = world["make_user"](Role.RESIDENT, world["tree"]["g1a"])
    bind(user, resident(world["homes"][1], "成年", birth_date=turning(18), relation="child"))
    vote = _open(world)
    assert vote.electorate_size == 4
    _cast(world, vote, user)


def test_representatives_form(world):
    community = world["tree"]["c1"]
    rep = services.representative_designate(
        actor=world["staff"], community=community, resident=world["voters"][2][1]
    )
    with pytest.raises(Conflict):
        services.representative_designate(
            actor=world["staff"], community=community, resident=world["voters"][2][1]
        )
    vote = _open(world, electorate_form="representatives")
    assert vote.electorate_size == 1
    with pytest.raises(PermissionDenied):
        _cast(world, vote, 0)
    _cast(world, vote, 2)
    services.representative_end(actor=world["staff"], representative=rep)
    assert rep.__class__.objects.get(pk=rep.pk).ended_at is not None


def test_open_ballot_keeps_the_choice_with_the_voter(world):
    vote = _open(world, secrecy="open")
    turnout, _code = _cast(world, vote, 0, 1)
    assert turnout.open_choice == 1


def test_paper_ballots_need_a_second_person(world):
    vote = _open(world, method="both")
    other = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c1"])
    services.paper_turnout(actor=world["staff"], vote=vote, resident=world["voters"][0][1])
    with pytest.raises(Conflict):  # the paper voter cannot vote online as well
        _cast(world, vote, 0)
    sheet = services.paper_enter(actor=world["staff"], vote=vote, choice=1)
    with pytest.raises(ValidationFailed):
        services.paper_enter(actor=world["staff"], vote=vote, choice=9)
    with pytest.raises(PermissionDenied) as caught:
        services.paper_check(actor=world["staff"], paper=sheet, confirm=True)
    assert caught.value.code == "same_person"
    with pytest.raises(Conflict) as caught:
        services.vote_close(actor=world["staff"], vote=vote, version=vote.version)
    assert caught.value.code == "paper_unchecked"
    services.paper_check(actor=other, paper=sheet, confirm=True)
    assert Ballot.objects.filter(vote=vote, channel="paper").count() == 1
    # More sheets than voters on the register: refused.
    extra = services.paper_enter(actor=world["staff"], vote=vote, choice=0)
    with pytest.raises(Conflict) as caught:
        services.paper_check(actor=other, paper=extra, confirm=True)
    assert caught.value.code == "more_ballots_than_voters"
    with pytest.raises(ValidationFailed):
        services.paper_check(actor=other, paper=extra, confirm=False)
    services.paper_check(actor=other, paper=extra, confirm=False, reason="废票")
    assert PaperBallot.objects.get(pk=extra.pk).state == "rejected"
    vote = services.vote_close(actor=world["staff"], vote=vote, version=vote.version)
    assert vote.result["counts"] == [0, 1] and vote.result["voters"] == 1


def test_closing_stores_the_result_once_and_the_topic_can_be_decided(world):
    vote = _open(world)
    _cast(world, vote, 0, 0)
    _cast(world, vote, 1, 0)
    vote = services.vote_close(actor=world["staff"], vote=vote, version=vote.version)
    assert vote.result["counts"] == [2, 0]
    assert (vote.outcome, vote.quorum_met, vote.majority_reached) == ("passed", True, True)
    assert vote.result["turnout"] == round(2 / 3, 4)
    assert TopicLog.objects.filter(action__startswith="vote_").count() == 1
    with pytest.raises(Conflict):
        services.vote_close(actor=world["staff"], vote=vote, version=vote.version)
    topic = Topic.objects.get(pk=world["topic"].pk)
    topic = move_topic(actor=world["staff"], topic=topic, action="decide", version=topic.version)
    assert topic.state == Topic.State.DECIDED


def test_the_job_closes_votes_at_their_closing_time(world):
    vote = _open(world)
    assert services.votes_close_due() == 0
    later = vote.closes_at + timedelta(minutes=1)
    assert services.votes_close_due(now=later) == 1
    vote.refresh_from_db()
    assert vote.state == "closed" and vote.outcome == "no_quorum"
    assert vote.closed_by_name == "system:participation-votes"


def test_the_scheduled_command_closes_votes_past_their_time(world):
    from io import StringIO

    from django.core.management import call_command

    vote = _open(world)
    type(vote).objects.filter(pk=vote.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("votes_close_due", stdout=out)
    assert out.getvalue().strip() == "votes closed: 1"
    vote.refresh_from_db()
    assert vote.state == "closed"


@pytest.mark.parametrize(
    "kind, counts, voters, electorate, outcome",
    [
        ("binding", [3, 2], 5, 10, "no_quorum"),  # exactly half took part
        ("binding", [4, 2], 6, 10, "passed"),  # half + 1 took part, 4 of 6 agree
        ("binding", [3, 3], 6, 10, "failed"),  # exactly half of those voting agree
        ("binding", [4, 3], 7, 10, "passed"),  # half + 1 of 7 (rounded up) agree
        ("binding", [6, 0], 6, 11, "passed"),  # 6 of 11 is more than half
        ("binding", [5, 0], 5, 11, "no_quorum"),
        ("advisory", [2, 1], 3, 10, "passed"),  # no quorum for advisory votes
        ("advisory", [2, 2], 4, 10, "failed"),  # a tie is no simple majority
        ("advisory", [0, 0], 0, 10, "failed"),
    ],
)
def test_quorum_and_majority_boundaries(kind, counts, voters, electorate, outcome):
    vote = Vote(
        kind=kind,
        electorate_size=electorate,
        rules={"quorum_share": 0.5, "majority_share": 0.5, "advisory_quorum": False},
    )
    assert services.tally(vote, counts, voters)["outcome"] == outcome


def test_three_options_need_more_than_half_of_the_ballots():
    vote = Vote(kind="binding", electorate_size=10, rules={})
    result = services.tally(vote, [4, 3, 1], 8)
    assert (result["outcome"], result["winner"]) == ("failed", None)
    result = services.tally(vote, [5, 3, 0], 8)
    assert (result["outcome"], result["winner"]) == ("passed", 0)


def test_no_query_can_join_a_secret_ballot_to_its_voter(db):
    """The ballot table has no column that refers to an elector, a resident, a household or
    an account; its key is random and its only time is the day; and the turnout holds no
    choice for a secret vote (checked on the data in the other tests)."""
    from django.db import models

    from gridgov.accounts.models import User
    from gridgov.people.models import Household, Resident

    personal = {Elector, Turnout, Resident, Household, User}
    for model in (Ballot,):
        columns = {f.column for f in model._meta.concrete_fields}
        assert columns == {"id", "vote_id", "choice", "channel", "receipt_hash", "day"}
        for f in model._meta.concrete_fields:
            if f.is_relation:
                assert f.related_model is Vote, f.name
            assert not isinstance(f, (models.DateTimeField, models.AutoField)), f.name
        with connection.cursor() as cursor:
            described = connection.introspection.get_table_description(cursor, model._meta.db_table)
            relations = connection.introspection.get_relations(cursor, model._meta.db_table)
        assert {c.name for c in described} == columns
        targets = {relation[1] for relation in relations.values()}
        assert targets == {Vote._meta.db_table}
        assert not targets & {m._meta.db_table for m in personal}
    # Paper sheets name the staff who entered and checked them, never a voter.
    paper_relations = {
        f.name: f.related_model for f in PaperBallot._meta.concrete_fields if f.is_relation
    }
    assert paper_relations == {"vote": Vote, "entered_by": User, "checked_by": User}
    # The turnout refers to the elector and the voter, never to a ballot.
    assert all(f.related_model is not Ballot for f in Turnout._meta.concrete_fields)


def test_secret_ballots_are_unordered_and_undated(world):
    vote = _open(world)
    for who in range(3):
        _cast(world, vote, who, who % 2)
    ids = list(Ballot.objects.filter(vote=vote).values_list("id", flat=True))
    assert all(len(i) == 32 for i in ids)
    assert set(Ballot.objects.filter(vote=vote).values_list("day", flat=True)) == {
        timezone.localdate()
    }
    assert not Turnout.objects.filter(vote=vote, open_choice__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections")
def test_fifty_concurrent_casts_by_one_voter_make_one_vote(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    topic = Topic.objects.create(
        org_unit=org_tree["c1"], title="并发", source=Topic.Source.COMMITTEE, created_by=staff
    )
    topic = move_topic(actor=staff, topic=topic, action="select", version=1)
    user = make_user(Role.RESIDENT, org_tree["g1a"])
    bind(user, resident(household(org_tree["g1a"], "R1"), "并发居民"))
    vote = services.vote_create(
        actor=staff,
        topic=topic,
        data={"question": "q", "options": ["a", "b"], "closes_at": timezone.now() + timedelta(1)},
    )
    vote = services.vote_open(actor=staff, vote=vote, version=vote.version)
    barrier = threading.Barrier(50)
    outcomes: list = []

    def cast(index):
        from django.db import connections

        try:
            barrier.wait(timeout=20)
            outcomes.append(
                services.vote_cast(actor=user, vote=vote, choice=index % 2, version=vote.version)
            )
        except Conflict as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wins = [o for o in outcomes if not isinstance(o, Conflict)]
    losses = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(outcomes) == 50
    assert len(wins) == 1 and all(o.code == "already_voted" for o in losses)
    assert Turnout.objects.filter(vote=vote).count() == 1
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert AuditRecord.objects.filter(action="participation.vote.cast").count() == 1
