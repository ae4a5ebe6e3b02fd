"""The matching API (「智能匹配+人工协调」): propose over a community's or grid's needs in
匹配中, read a proposal with each row's explanation, and confirm, change or reject a row
(or confirm every row still valid). ``lists.dispatch`` in scope throughout; the same
services as the matching page (``lists/matching_services.py``). Personal data leaves only
masked: the household number, never a name."""

from datetime import datetime
from typing import Any
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
from gridgov.lists import matching_services as ms
from gridgov.lists.models import MatchProposal, MatchProposalRow
from gridgov.lists.workflow import PROPOSAL_MACHINE

router = PermissionRouter(tags=["lists"])


class ProposeIn(Schema):
    """``unit``: the code of a community or grid where you may dispatch; ``category``:
    only needs of this category (optional)."""

    unit: line(20)
    category: line(20) = ""


class RowOut(Schema):
    uid: UUID
    rank: int
    need: UUID
    need_category: str
    household_number: str
    need_state: str
    state: str
    stale: bool
    priority: int
    resource: UUID | None
    resource_name: str
    distance_m: int | None
    unserved_reason: str
    explanation: dict[str, Any]
    order: UUID | None
    reason: str
    decided_at: datetime | None
    actions: list[str]
    version: int

    @staticmethod
    def resolve_need(obj):
        return obj.need.uid

    @staticmethod
    def resolve_need_category(obj):
        return obj.need.category.code

    @staticmethod
    def resolve_household_number(obj):
        return obj.need.household.number

    @staticmethod
    def resolve_need_state(obj):
        return obj.need.state

    @staticmethod
    def resolve_resource(obj):
        return obj.resource.uid if obj.resource_id else None

    @staticmethod
    def resolve_resource_name(obj):
        return obj.resource.name if obj.resource_id else ""

    @staticmethod
    def resolve_distance_m(obj):
        return None if obj.distance_m is None else round(obj.distance_m)

    @staticmethod
    def resolve_order(obj):
        return obj.order.uid if obj.order_id else None


class ProposalOut(Schema):
    uid: UUID
    unit: str
    unit_name: str
    category: str
    created_at: datetime
    created_by: str
    method: str
    policy_version: int
    seconds: float
    needs_total: int
    proposed_count: int
    objective: dict[str, Any]
    greedy_objective: dict[str, Any]

    @staticmethod
    def resolve_unit(obj):
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_category(obj):
        return obj.category.code if obj.category_id else ""

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by_name


class ProposalDetailOut(ProposalOut):
    rows: list[RowOut]

    @staticmethod
    def resolve_rows(obj):
        return obj.rows_out


class ProposalPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ProposalOut]


class ConfirmIn(Schema):
    version: Version
    note: line(300) = ""


class ChangeIn(ConfirmIn):
    resource: UUID


class RejectIn(Schema):
    version: Version
    reason: line(300)


class ConfirmAllOut(Schema):
    confirmed: list[UUID]
    skipped: list[dict[str, Any]]
    proposal: ProposalDetailOut


def _row(request, row: MatchProposalRow) -> MatchProposalRow:
    row.stale = ms.row_is_stale(row)
    offered = PROPOSAL_MACHINE.offered(request.user, row)
    row.actions = [a for a in offered if a == "reject"] if row.stale else offered
    return row


def _detail(request, proposal: MatchProposal) -> MatchProposal:
    proposal.rows_out = [_row(request, r) for r in ms.proposal_rows(proposal)]
    return proposal


def _get_row(request, uid: UUID, row: UUID) -> MatchProposalRow:
    proposal = ms.proposal_get(actor=request.user, uid=uid)
    return ms.row_get(actor=request.user, proposal=proposal, uid=row)


@router.post("/matches", response={201: ProposalDetailOut})
@api_requires("lists.dispatch")
def match_propose(request, payload: ProposeIn):
    """Run the optimiser over the needs in 匹配中 of ``unit`` and store its proposal: one
    row per need with the resource proposed and the explanation (why, alternatives,
    distance), or why nobody can serve it."""
    proposal = ms.propose(actor=request.user, unit=payload.unit, category=payload.category)
    return Status(201, _detail(request, ms.proposal_get(actor=request.user, uid=proposal.uid)))


@router.get("/matches", response=ProposalPage)
@api_requires("lists.dispatch")
def match_list(request, offset: Offset = 0, limit: Limit = 50):
    qs = ms.proposal_list(actor=request.user)
    items, limit, offset = page_slice(qs, offset, limit)
    return ProposalPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.get("/matches/{uid}", response=ProposalDetailOut)
@api_requires("lists.dispatch")
def match_get(request, uid: UUID):
    return _detail(request, ms.proposal_get(actor=request.user, uid=uid))


@router.post("/matches/{uid}/rows/{row}/confirm", response=RowOut)
@api_requires("lists.dispatch")
def match_confirm(request, uid: UUID, row: UUID, payload: ConfirmIn):
    """Dispatch the need to the proposed resource. 409 when the row was decided meanwhile,
    the need left 匹配中 or changed, or the resource's capacity is used up."""
    found = _get_row(request, uid, row)
    ms.confirm(actor=request.user, row=found, version=payload.version, note=payload.note)
    return _row(request, _get_row(request, uid, row))


@router.post("/matches/{uid}/rows/{row}/change", response=RowOut)
@api_requires("lists.dispatch")
def match_change(request, uid: UUID, row: UUID, payload: ChangeIn):
    """Dispatch the need to another of its candidates instead."""
    found = _get_row(request, uid, row)
    ms.change(
        actor=request.user,
        row=found,
        version=payload.version,
        resource_uid=payload.resource,
        note=payload.note,
    )
    return _row(request, _get_row(request, uid, row))


@router.post("/matches/{uid}/rows/{row}/reject", response=RowOut)
@api_requires("lists.dispatch")
def match_reject(request, uid: UUID, row: UUID, payload: RejectIn):
    """Turn the proposal down with a reason; the need stays in 匹配中."""
    found = _get_row(request, uid, row)
    ms.reject(actor=request.user, row=found, version=payload.version, reason=payload.reason)
    return _row(request, _get_row(request, uid, row))


@router.post("/matches/{uid}/confirm-all", response=ConfirmAllOut)
@api_requires("lists.dispatch")
def match_confirm_all(request, uid: UUID):
    """Confirm every pending row that is still valid; the others are listed with why."""
    proposal = ms.proposal_get(actor=request.user, uid=uid)
    result = ms.confirm_all(actor=request.user, proposal=proposal)
    return {
        "confirmed": [r.uid for r in result.confirmed],
        "skipped": [
            {"row": str(r.uid), "code": exc.code, "message": str(exc.message)}
            for r, exc in result.skipped
        ],
        "proposal": _detail(request, proposal),
    }
