"""The votes API under ``/api/v1/participation/votes``: set up, open, close, cast, paper
voters and ballots, results. Staff act in their scope; residents cast where they are an
elector. Refusals: 409 ``already_voted``, ``vote_closed``, ``vote_not_open``,
``stale_ballot``; 403 ``not_in_electorate``, ``not_a_verified_resident``."""

from datetime import datetime
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    page_slice,
)
from gridgov.core.errors import NotFound
from gridgov.participation import selectors_votes as selectors
from gridgov.participation import services_votes as services
from gridgov.participation.models import PaperBallot
from gridgov.people.models import Resident

router = PermissionRouter(tags=["participation"])


class VoteOut(Schema):
    uid: UUID
    topic: int
    question: str
    options: list[str]
    kind: str
    secrecy: str
    electorate_form: str
    method: str
    opens_at: datetime
    closes_at: datetime
    state: str
    electorate_size: int
    outcome: str
    closed_at: datetime | None
    version: int

    @staticmethod
    def resolve_topic(obj):
        return obj.topic_id


class VotePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[VoteOut]


class VoteIn(Schema):
    """``options``: two or more; ``kind``: binding or advisory; ``secrecy``: secret or open;
    ``electorate_form``: persons, households or representatives; ``method``: online, paper
    or both (the policy's defaults when left out)."""

    topic: int
    question: line(300)
    options: list[line(100)]
    kind: line(10) = "binding"
    secrecy: line(8) = ""
    electorate_form: line(16) = ""
    method: line(8) = ""
    opens_at: datetime | None = None
    closes_at: datetime


class VersionIn(Schema):
    version: Version


class CastIn(Schema):
    """``choice``: the option's index (0-based); ``version``: the vote's, as read."""

    choice: int
    version: Version


class ReceiptOut(Schema):
    receipt: str
    channel: str


class ReceiptIn(Schema):
    code: line(20)


class CountedOut(Schema):
    counted: bool


class PaperVoterIn(Schema):
    resident: UUID


class PaperBallotIn(Schema):
    choice: int


class PaperCheckIn(Schema):
    confirm: bool
    reason: line(300) = ""


class PaperOut(Schema):
    id: str
    choice: int
    state: str


class ResultOut(Schema):
    uid: UUID
    state: str
    electorate: int
    voters: int
    online: int
    paper: int
    turnout: float | None
    counts: list[int] | None
    quorum_met: bool | None
    majority_reached: bool | None
    outcome: str


@router.get("/participation/votes", response=VotePage)
@api_requires("participation.view")
def vote_list(request, state: line(8) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors.vote_list(actor=request.user, state=state)
    items, limit, offset = page_slice(qs, offset, limit)
    return VotePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/participation/votes", response={201: VoteOut})
@api_requires("participation.manage")
def vote_create(request, payload: VoteIn):
    """Set up a vote on a topic selected or under discussion (409 otherwise)."""
    topic = selectors.topic_get(actor=request.user, pk=payload.topic, action="manage")
    data = payload.model_dump(exclude={"topic"})
    vote = services.vote_create(actor=request.user, topic=topic, data=data)
    return Status(201, vote)


@router.get("/participation/votes/{uid}", response=VoteOut)
@api_requires("participation.view")
def vote_get(request, uid: UUID):
    return selectors.vote_get(actor=request.user, uid=uid)


@router.post("/participation/votes/{uid}/open", response=VoteOut)
@api_requires("participation.manage")
def vote_open(request, uid: UUID, payload: VersionIn):
    """Open: the topic moves to 表决中 and the electorate is frozen from the registry."""
    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    return services.vote_open(actor=request.user, vote=vote, version=payload.version)


@router.post("/participation/votes/{uid}/close", response=VoteOut)
@api_requires("participation.manage")
def vote_close(request, uid: UUID, payload: VersionIn):
    """Close and count (409 ``paper_unchecked`` while paper ballots wait for their check)."""
    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    return services.vote_close(actor=request.user, vote=vote, version=payload.version)


@router.post("/participation/votes/{uid}/ballots", response={201: ReceiptOut})
@api_requires("participation.take_part")
def vote_cast(request, uid: UUID, payload: CastIn):
    """Cast one's ballot; the receipt code is returned once (only its hash is kept)."""
    vote = selectors.resident_vote_get(actor=request.user, uid=uid)
    _turnout, code = services.vote_cast(
        actor=request.user, vote=vote, choice=payload.choice, version=payload.version
    )
    return Status(201, {"receipt": code, "channel": "online"})


@router.post("/participation/votes/{uid}/receipt-check", response=CountedOut)
@api_requires("participation.take_part")
def receipt_check(request, uid: UUID, payload: ReceiptIn):
    """Whether a ballot with this receipt code is among the vote's ballots."""
    vote = selectors.resident_vote_get(actor=request.user, uid=uid)
    return {"counted": services.receipt_counted(vote, payload.code)}


@router.post("/participation/votes/{uid}/paper-voters", response={201: VersionIn})
@api_requires("participation.manage")
def paper_voter(request, uid: UUID, payload: PaperVoterIn):
    """Record from the signed register that a resident (or their household) voted on paper."""
    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    resident = Resident.objects.visible_to(request.user, "view").filter(uid=payload.resident)
    if not resident.exists():
        raise NotFound()
    services.paper_turnout(actor=request.user, vote=vote, resident=resident.get())
    return Status(201, {"version": vote.version})


@router.post("/participation/votes/{uid}/paper-ballots", response={201: PaperOut})
@api_requires("participation.manage")
def paper_enter(request, uid: UUID, payload: PaperBallotIn):
    """Enter one paper ballot sheet; another member of staff confirms it."""
    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    return Status(201, services.paper_enter(actor=request.user, vote=vote, choice=payload.choice))


@router.post("/participation/votes/{uid}/paper-ballots/{sheet}/check", response=PaperOut)
@api_requires("participation.manage")
def paper_check(request, uid: UUID, sheet: line(32), payload: PaperCheckIn):
    """Confirm or reject (with the reason) a sheet entered by someone else (403
    ``same_person`` for one's own)."""
    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    paper = PaperBallot.objects.filter(vote=vote, pk=sheet).first()
    if paper is None:
        raise NotFound()
    return services.paper_check(
        actor=request.user, paper=paper, confirm=payload.confirm, reason=payload.reason
    )


@router.get("/participation/votes/{uid}/results", response=ResultOut)
@api_requires("participation.view")
def vote_results(request, uid: UUID):
    """Turnout while open; counts, quorum, majority and outcome once closed."""
    vote = selectors.vote_get(actor=request.user, uid=uid)
    summary = selectors.turnout_summary(vote)
    result = vote.result or {}
    return {
        "uid": vote.uid,
        "state": vote.state,
        "electorate": vote.electorate_size,
        "voters": summary["voters"],
        "online": summary["online"],
        "paper": summary["paper"],
        "turnout": result.get("turnout"),
        "counts": result.get("counts"),
        "quorum_met": vote.quorum_met,
        "majority_reached": vote.majority_reached,
        "outcome": vote.outcome,
    }
