"""The deliberation API (议事): topics with their proposals, comments, decision and
report-back for staff (``/participation/topics``, ``/participation/proposals``), and the
resident's own (``/participation/me/…``: the topics and proposals of their grid and
community). Errors: 400 ``validation_failed`` with a message per field, 403 (no
permission, or ``not_a_verified_resident``), 404 (outside the actor's scope or units), 409
(stale version, wrong state, ``already_cosigned``, ``own_proposal``). The same services as
the pages."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.participation import selectors_deliberation as selectors
from gridgov.participation import services_deliberation as services
from gridgov.participation.models import Comment, Topic
from gridgov.participation.workflow import TOPIC_MACHINE
from gridgov.residents.selectors import require_resident

router = PermissionRouter(tags=["participation"])

STAFF = "participation.view"
MANAGE = "participation.manage"
TAKE_PART = "participation.take_part"


class DecisionOut(Schema):
    outcome: str
    summary: str
    reason: str
    project: UUID | None
    event: UUID | None
    implementation: str
    report_due: date
    report_text: str
    reported_at: datetime | None
    decided_at: datetime


class TimelineOut(Schema):
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str


class CommentOut(Schema):
    uid: UUID
    at: datetime
    text: str  # a removed comment: "" (see removed_reason)
    removed: bool
    removed_reason: str


class TopicOut(Schema):
    id: int
    unit: str
    unit_name: str
    title: str
    state: str
    source: str
    meeting_type: str
    meeting_at: datetime | None
    meeting_place: str
    overdue: bool
    version: int


class TopicDetailOut(TopicOut):
    description: str
    reason: str
    is_major: bool
    resident_reps: int
    experts: int
    merchants: int
    departments: str
    source_event: UUID | None
    source_need: UUID | None
    actions: list[str]
    decision: DecisionOut | None
    timeline: list[TimelineOut]
    comments: list[CommentOut]
    proposals: list[UUID]


class TopicPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[TopicOut]


class TopicIn(Schema):
    """``org_unit``: the code of a community or grid in your scope; ``source``: proposal,
    committee, event, need or survey (event and need name their record's uid);
    ``meeting_type``: hearing, coordination, review or online (a meeting needs its
    ``meeting_at``); participants by kind: counts, and the departments' names."""

    org_unit: line(20)
    title: line(120)
    description: lines(4000) = ""
    source: line(12)
    meeting_type: line(14) = "online"
    is_major: bool = False
    meeting_at: datetime | None = None
    meeting_place: line(120) = ""
    resident_reps: int = 0
    experts: int = 0
    merchants: int = 0
    departments: line(300) = ""
    source_event: UUID | None = None
    source_need: UUID | None = None


class TopicChangeIn(TopicIn):
    version: Version


class TransitionIn(Schema):
    """``select``, ``reject`` (with ``reason``), ``open_discussion``."""

    action: line(20)
    version: Version
    reason: line(500) = ""


class DecisionIn(Schema):
    """``outcome``: adopted, changed (adopted with changes) or not_adopted (needs
    ``reason``); ``project`` / ``event``: the uid of the linked record."""

    outcome: line(12)
    summary: lines(4000) = ""
    reason: line(500) = ""
    project: UUID | None = None
    event: UUID | None = None
    version: Version


class ImplementationIn(Schema):
    implementation: line(12)
    version: Version


class ReportBackIn(Schema):
    text: lines(4000)
    version: Version


class ReasonIn(Schema):
    reason: line(500)
    version: Version | None = None


class ProposalOut(Schema):
    uid: UUID
    unit: str
    title: str
    body: str
    state: str
    cosign_count: int
    on_behalf: bool
    topic: int | None
    hidden: bool
    hidden_reason: str
    reason: str
    created_at: datetime
    version: int


class ProposalPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ProposalOut]


class ProposalIn(Schema):
    """``org_unit``: the resident's grid (default) or community; ``topic``: a topic of
    theirs that collects proposals; ``resident``: staff with ``participation.assist`` enter
    it on that resident's behalf (代办); ``draft`` keeps it unsubmitted."""

    title: line(120)
    body: lines(4000)
    org_unit: line(20) = ""
    topic: int | None = None
    resident: UUID | None = None
    draft: bool = False


class IncludeIn(Schema):
    """Without ``topic`` a new topic in 征集中 is made from the proposal."""

    topic: int | None = None
    version: Version


class CommentIn(Schema):
    body: lines(2000)


def _comment(c: Comment) -> dict:
    removed = c.removed_at is not None
    return {
        "uid": c.uid,
        "at": c.created_at,
        "text": "" if removed else c.body,
        "removed": removed,
        "removed_reason": c.removed_reason,
    }


def _topic(t: Topic, actor=None) -> dict:
    decision = getattr(t, "decision", None) if hasattr(t, "decision") else None
    return {
        "id": t.pk,
        "unit": t.org_unit.code,
        "unit_name": t.org_unit.name,
        "title": t.title,
        "state": t.state,
        "source": t.source,
        "meeting_type": t.meeting_type,
        "meeting_at": t.meeting_at,
        "meeting_place": t.meeting_place,
        "overdue": selectors.is_overdue(t),
        "version": t.version,
        "_decision": decision,
    }


def _detail(t: Topic, actor, *, staff: bool) -> dict:
    out = _topic(t)
    decision = out.pop("_decision")
    out.update(
        description=t.description,
        reason=t.reason,
        is_major=t.is_major,
        resident_reps=t.resident_reps,
        experts=t.experts,
        merchants=t.merchants,
        departments=t.departments,
        source_event=t.source_event.uid if staff and t.source_event_id else None,
        source_need=t.source_need.uid if staff and t.source_need_id else None,
        actions=TOPIC_MACHINE.offered(actor, t) if staff else [],
        decision=None
        if decision is None
        else {
            "outcome": decision.outcome,
            "summary": decision.summary,
            "reason": decision.reason,
            "project": decision.project.uid if decision.project_id else None,
            "event": decision.event.uid if decision.event_id else None,
            "implementation": decision.implementation,
            "report_due": decision.report_due,
            "report_text": decision.report_text,
            "reported_at": decision.reported_at,
            "decided_at": decision.decided_at,
        },
        timeline=[
            {
                "at": e.at,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor_name if staff else "",
                "note": e.note,
            }
            for e in t.log.all()
        ],
        comments=[_comment(c) for c in selectors.comments_of(t)],
        proposals=[
            p.uid
            for p in t.proposals.all()
            if staff or (p.hidden_at is None and p.state != p.State.DRAFT)
        ],
    )
    return out


def _proposal(p) -> dict:
    return {
        "uid": p.uid,
        "unit": p.org_unit.code,
        "title": p.title,
        "body": p.body,
        "state": p.state,
        "cosign_count": p.cosign_count,
        "on_behalf": p.on_behalf,
        "topic": p.topic_id,
        "hidden": p.hidden_at is not None,
        "hidden_reason": p.hidden_reason,
        "reason": p.reason,
        "created_at": p.created_at,
        "version": p.version,
    }


# Staff ---------------------------------------------------------------------------------


@router.get("/participation/topics", response=TopicPage)
@api_requires(STAFF)
def topic_list(
    request,
    state: line(14) = "",
    unit: line(20) = "",
    queue: line(12) = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    """``queue=overdue``: adopted topics past their report-back date (red)."""
    qs = selectors.topic_list(actor=request.user, state=state, unit=unit, queue=queue)
    items, limit, offset = page_slice(qs, offset, limit)
    rows = []
    for t in items:
        row = _topic(t)
        row.pop("_decision")
        rows.append(row)
    return {"count": qs.count(), "offset": offset, "limit": limit, "items": rows}


@router.post("/participation/topics", response={201: TopicDetailOut})
@api_requires(MANAGE)
def topic_create(request, payload: TopicIn):
    data = payload.model_dump()
    topic = services.topic_create(actor=request.user, data=data)
    topic = selectors.topic_get(actor=request.user, pk=topic.pk)
    return Status(201, _detail(topic, request.user, staff=True))


@router.get("/participation/topics/{topic_id}", response=TopicDetailOut)
@api_requires(STAFF)
def topic_get(request, topic_id: int):
    topic = selectors.topic_get(actor=request.user, pk=topic_id)
    return _detail(topic, request.user, staff=True)


@router.put("/participation/topics/{topic_id}", response=TopicDetailOut)
@api_requires(MANAGE)
def topic_change(request, topic_id: int, payload: TopicChangeIn):
    topic = selectors.topic_get(actor=request.user, pk=topic_id, action="manage")
    services.topic_update(
        actor=request.user, topic=topic, data=payload.model_dump(), version=payload.version
    )
    return _detail(selectors.topic_get(actor=request.user, pk=topic_id), request.user, staff=True)


@router.post("/participation/topics/{topic_id}/transitions", response=TopicDetailOut)
@api_requires(MANAGE)
def topic_transition(request, topic_id: int, payload: TransitionIn):
    topic = selectors.topic_get(actor=request.user, pk=topic_id, action="manage")
    services.topic_transition(
        actor=request.user,
        topic=topic,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
    )
    return _detail(selectors.topic_get(actor=request.user, pk=topic_id), request.user, staff=True)


@router.post("/participation/topics/{topic_id}/decision", response=TopicDetailOut)
@api_requires(MANAGE)
def topic_decide(request, topic_id: int, payload: DecisionIn):
    topic = selectors.topic_get(actor=request.user, pk=topic_id, action="manage")
    data = payload.model_dump()
    data["project"] = str(payload.project) if payload.project else ""
    data["event"] = str(payload.event) if payload.event else ""
    services.decision_record(actor=request.user, topic=topic, data=data, version=payload.version)
    return _detail(selectors.topic_get(actor=request.user, pk=topic_id), request.user, staff=True)


@router.post("/participation/topics/{topic_id}/implementation", response=TopicDetailOut)
@api_requires(MANAGE)
def topic_implementation(request, topic_id: int, payload: ImplementationIn):
    topic = selectors.topic_get(actor=request.user, pk=topic_id, action="manage")
    services.decision_implementation(
        actor=request.user,
        topic=topic,
        implementation=payload.implementation,
        version=payload.version,
    )
    return _detail(selectors.topic_get(actor=request.user, pk=topic_id), request.user, staff=True)


@router.post("/participation/topics/{topic_id}/report-back", response=TopicDetailOut)
@api_requires(MANAGE)
def topic_report_back(request, topic_id: int, payload: ReportBackIn):
    topic = selectors.topic_get(actor=request.user, pk=topic_id, action="manage")
    services.report_back(
        actor=request.user, topic=topic, text=payload.text, version=payload.version
    )
    return _detail(selectors.topic_get(actor=request.user, pk=topic_id), request.user, staff=True)


@router.post("/participation/topics/{topic_id}/comments/{uid}/remove", response=TopicDetailOut)
@api_requires(MANAGE)
def comment_remove(request, topic_id: int, uid: UUID, payload: ReasonIn):
    topic = selectors.topic_get(actor=request.user, pk=topic_id, action="manage")
    comment = topic.comments.filter(uid=uid).first()
    if comment is None:
        from gridgov.core.errors import NotFound

        raise NotFound()
    services.comment_remove(actor=request.user, comment=comment, reason=payload.reason)
    return _detail(selectors.topic_get(actor=request.user, pk=topic_id), request.user, staff=True)


@router.get("/participation/proposals", response=ProposalPage)
@api_requires(STAFF)
def proposal_list(
    request, state: line(12) = "", queue: line(12) = "", offset: Offset = 0, limit: Limit = 50
):
    """``queue=candidates``: co-signed proposals waiting to be taken into a topic."""
    qs = selectors.proposal_list(actor=request.user, state=state, queue=queue)
    items, limit, offset = page_slice(qs, offset, limit)
    return {
        "count": qs.count(),
        "offset": offset,
        "limit": limit,
        "items": [_proposal(p) for p in items],
    }


@router.post("/participation/proposals", response={201: ProposalOut})
@api_requires("participation.take_part|participation.assist")
def proposal_create(request, payload: ProposalIn):
    """A resident's own proposal, or (``resident``) one entered on a resident's behalf."""
    data = payload.model_dump()
    proposal = services.proposal_create(
        actor=request.user,
        data=data,
        on_behalf_of=str(payload.resident) if payload.resident else "",
    )
    return Status(201, _proposal(proposal))


@router.get("/participation/proposals/{uid}", response=ProposalOut)
@api_requires(STAFF)
def proposal_get(request, uid: UUID):
    return _proposal(selectors.proposal_get(actor=request.user, uid=uid))


@router.post("/participation/proposals/{uid}/hide", response=ProposalOut)
@api_requires(MANAGE)
def proposal_hide(request, uid: UUID, payload: ReasonIn):
    proposal = selectors.proposal_get(actor=request.user, uid=uid, action="manage")
    version = payload.version if payload.version is not None else proposal.version
    return _proposal(
        services.proposal_hide(
            actor=request.user, proposal=proposal, reason=payload.reason, version=version
        )
    )


@router.post("/participation/proposals/{uid}/decline", response=ProposalOut)
@api_requires(MANAGE)
def proposal_decline(request, uid: UUID, payload: ReasonIn):
    proposal = selectors.proposal_get(actor=request.user, uid=uid, action="manage")
    version = payload.version if payload.version is not None else proposal.version
    return _proposal(
        services.proposal_decline(
            actor=request.user, proposal=proposal, reason=payload.reason, version=version
        )
    )


@router.post("/participation/proposals/{uid}/include", response=ProposalOut)
@api_requires(MANAGE)
def proposal_include(request, uid: UUID, payload: IncludeIn):
    proposal = selectors.proposal_get(actor=request.user, uid=uid, action="manage")
    topic = None
    if payload.topic is not None:
        topic = selectors.topic_get(actor=request.user, pk=payload.topic, action="manage")
    return _proposal(
        services.proposal_include(
            actor=request.user, proposal=proposal, version=payload.version, topic=topic
        )
    )


# The resident's own ---------------------------------------------------------------------


@router.get("/participation/me/topics", response=TopicPage)
@api_requires(TAKE_PART)
def my_topic_list(request, state: line(14) = "", offset: Offset = 0, limit: Limit = 50):
    resident = require_resident(request.user)
    qs = selectors.resident_topic_list(resident=resident, state=state)
    items, limit, offset = page_slice(qs, offset, limit)
    rows = []
    for t in items:
        row = _topic(t)
        row.pop("_decision")
        rows.append(row)
    return {"count": qs.count(), "offset": offset, "limit": limit, "items": rows}


@router.get("/participation/me/topics/{topic_id}", response=TopicDetailOut)
@api_requires(TAKE_PART)
def my_topic_get(request, topic_id: int):
    resident = require_resident(request.user)
    topic = selectors.resident_topic_get(resident=resident, pk=topic_id)
    return _detail(topic, request.user, staff=False)


@router.post("/participation/me/topics/{topic_id}/comments", response={201: CommentOut})
@api_requires(TAKE_PART)
def my_comment_create(request, topic_id: int, payload: CommentIn):
    comment = services.comment_create(actor=request.user, topic_pk=topic_id, body=payload.body)
    return Status(201, _comment(comment))


@router.get("/participation/me/proposals", response=ProposalPage)
@api_requires(TAKE_PART)
def my_proposal_list(request, offset: Offset = 0, limit: Limit = 50):
    resident = require_resident(request.user)
    qs = selectors.resident_proposal_list(resident=resident)
    items, limit, offset = page_slice(qs, offset, limit)
    return {
        "count": qs.count(),
        "offset": offset,
        "limit": limit,
        "items": [_proposal(p) for p in items],
    }


@router.post("/participation/me/proposals/{uid}/cosign", response=ProposalOut)
@api_requires(TAKE_PART)
def my_proposal_cosign(request, uid: UUID):
    """附议: once per resident (409 ``already_cosigned``), never one's own (409
    ``own_proposal``)."""
    return _proposal(services.proposal_cosign(actor=request.user, proposal_uid=uid))


@router.post("/participation/me/proposals/{uid}/submit", response=ProposalOut)
@api_requires(TAKE_PART)
def my_proposal_submit(request, uid: UUID):
    resident = require_resident(request.user)
    proposal = selectors.resident_proposal_get(resident=resident, uid=uid)
    return _proposal(services.proposal_submit(actor=request.user, proposal=proposal))
