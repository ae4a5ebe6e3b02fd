"""Monthly scores ``/api/v1/scores`` and rectification cases ``/api/v1/rectifications``,
scoped like the pages."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema

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
from gridgov.core.errors import ValidationFailed
from gridgov.groups import selectors
from gridgov.groups import services_rectifications as cases
from gridgov.groups import services_scores as scores
from gridgov.groups.services_snapshots import month_of

router = PermissionRouter(tags=["chat groups"])


class ScoreOut(Schema):
    uid: UUID
    group: UUID
    group_name: str
    month: date
    street: str
    data: float | None
    service: float | None
    security: float | None
    development: float | None
    total: float
    stars: int
    rank: int | None
    ranked_among: int
    policy_version: int

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_street(obj):
        return obj.street.code


class ScorePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ScoreOut]


def _month(text: str):
    if not text:
        return None
    first = month_of(text)
    if first is None:
        raise ValidationFailed(details={"month": ["YYYY-MM"]})
    return first


@router.get("/scores", response=ScorePage)
@api_requires("groups.view")
def score_list(
    request, month: line(7) = "", street: line(20) = "", offset: Offset = 0, limit: Limit = 50
):
    """Scores of the caller's area by month (YYYY-MM) and street code; ``rank`` is within
    the street (1 = best) among ``ranked_among`` groups."""
    qs = selectors.score_list(actor=request.user, month=_month(month), street=street)
    items, limit, offset = page_slice(qs, offset, limit)
    return ScorePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


class RecomputeIn(Schema):
    month: line(7)


class ScoringRunOut(Schema):
    month: date
    scored: int
    changed: int
    policy_version: int
    cases_opened: int


@router.post("/scores/recompute", response=ScoringRunOut)
@api_requires("groups.supervise")
def score_recompute(request, payload: RecomputeIn):
    """Score the month (YYYY-MM) of every group of the caller's area again under the scoring
    policy in force and rank the streets again; ``changed`` counts the scores written."""
    month = _month(payload.month)
    if month is None:
        raise ValidationFailed(details={"month": ["YYYY-MM"]})
    return scores.score_month(month=month, actor=request.user)


class ItemOut(Schema):
    id: int
    text: str
    due_at: datetime
    done_at: datetime | None
    colour: str


class CaseOut(Schema):
    uid: UUID
    group: UUID
    group_name: str
    trigger: str
    reason: str
    klass_at_trigger: str
    state: str
    colour: str
    supervisor: str | None
    restrict_posting_checked_at: datetime | None
    opened_at: datetime
    closed_at: datetime | None
    review_note: str
    items: list[ItemOut]
    evidence: int
    policy_version: int
    version: int

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_colour(obj):
        return cases.case_colour(obj)

    @staticmethod
    def resolve_supervisor(obj):
        return obj.supervisor.username if obj.supervisor_id else None

    @staticmethod
    def resolve_items(obj):
        return [
            {
                "id": i.pk,
                "text": i.text,
                "due_at": i.due_at,
                "done_at": i.done_at,
                "colour": cases.item_colour(i, obj),
            }
            for i in obj.items.all()
        ]

    @staticmethod
    def resolve_evidence(obj):
        return obj.evidence.count()


class CaseDetailOut(CaseOut):
    actions: list[str]


class CasePage(Schema):
    count: int
    offset: int
    limit: int
    items: list[CaseOut]


class CaseActionIn(Schema):
    """``action``: supervise, check_restriction, request_closure, close, send_back (with
    ``note``), or item_done (with ``item``)."""

    action: line(20)
    version: Version
    note: lines(500) = ""
    item: int | None = None


@router.get("/rectifications", response=CasePage)
@api_requires("groups.view")
def rectification_list(request, state: line(12) = "", offset: Offset = 0, limit: Limit = 50):
    """Cases of the caller's area; ``state``: open, review, closed or in_progress."""
    qs = selectors.rectification_list(actor=request.user, state=state)
    items, limit, offset = page_slice(qs, offset, limit)
    return CasePage(count=qs.count(), offset=offset, limit=limit, items=list(items))


def _detail(request, uid):
    case = selectors.rectification_get(actor=request.user, uid=uid)
    case.actions = cases.CASE_MACHINE.offered(request.user, case)
    return case


@router.get("/rectifications/{uid}", response=CaseDetailOut)
@api_requires("groups.view")
def rectification_get(request, uid: UUID):
    return _detail(request, uid)


@router.post("/rectifications/{uid}/actions", response=CaseDetailOut)
@api_requires("groups.register|groups.supervise")
def rectification_action(request, uid: UUID, payload: CaseActionIn):
    case = selectors.rectification_get(actor=request.user, uid=uid)
    if payload.action == "item_done":
        cases.item_done(actor=request.user, case=case, item_id=payload.item)
    else:
        cases.case_action(
            actor=request.user,
            case=case,
            action=payload.action,
            version=payload.version,
            note=payload.note,
        )
    return _detail(request, uid)
