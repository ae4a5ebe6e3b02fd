"""Reads of votes: staff read votes in their scope; a resident reads the votes that cover
their grid (an account is scoped to its grid) and casts only where they are an elector."""

from __future__ import annotations

from django.db.models import Q

from gridgov.core.errors import NotFound
from gridgov.core.scoping import access_object
from gridgov.participation.models import Elector, PaperBallot, Topic, Turnout, Vote

TAKE_PART = "participation.take_part"


def vote_list(*, actor, state: str = ""):
    qs = Vote.objects.visible_to(actor, "view").select_related("topic")
    if state:
        qs = qs.filter(state=state)
    return qs


def vote_get(*, actor, uid, action: str = "view") -> Vote:
    return access_object(actor, Vote.objects.select_related("topic"), action, uid=uid)


def topic_get(*, actor, pk, action: str = "view") -> Topic:
    return access_object(actor, Topic.objects.select_related("org_unit"), action, pk=pk)


def _around(actor) -> Q | None:
    """Votes whose unit holds or lies in a unit where the account takes part."""
    if not getattr(actor, "is_authenticated", False):
        return None
    paths = actor.scope_paths(TAKE_PART)
    if not paths:
        return None
    query = Q()
    for path in paths:
        prefixes = [path[:n] for n in range(1, len(path) + 1)]
        query |= Q(scope_path__in=prefixes) | Q(scope_path__startswith=path)
    return query


def resident_vote_get(*, actor, uid) -> Vote:
    """A vote covering the account's own area (404 otherwise, whether it exists or not)."""
    query = _around(actor)
    if query is None:
        raise NotFound()
    try:
        return (
            Vote.objects.select_related("topic").exclude(state=Vote.State.DRAFT).get(query, uid=uid)
        )
    except (Vote.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def resident_electors(*, resident):
    """The resident's own elector rows and their household's."""
    return Elector.objects.filter(Q(resident=resident) | Q(household_id=resident.household_id))


def resident_votes(*, resident):
    """The votes the resident (or their household) is an elector of, newest first."""
    electors = resident_electors(resident=resident)
    return (
        Vote.objects.filter(pk__in=electors.values("vote_id"))
        .select_related("topic")
        .order_by("-opened_at")
    )


def voted(*, vote: Vote, resident) -> Turnout | None:
    return (
        Turnout.objects.filter(vote=vote)
        .filter(Q(elector__resident=resident) | Q(elector__household_id=resident.household_id))
        .first()
    )


def paper_queue(*, vote: Vote):
    return PaperBallot.objects.filter(vote=vote, state=PaperBallot.State.ENTERED).select_related(
        "entered_by"
    )


def turnout_summary(vote: Vote) -> dict:
    voters = Turnout.objects.filter(vote=vote)
    online = voters.filter(channel=Turnout.Channel.ONLINE).count()
    paper = voters.filter(channel=Turnout.Channel.PAPER).count()
    size = vote.electorate_size
    return {
        "online": online,
        "paper": paper,
        "voters": online + paper,
        "electorate": size,
        "share": round((online + paper) * 100 / size, 1) if size else None,
    }
