"""The state machines of needs and service orders, on the shared ``core.workflow``.

Need: 已登记 → 已核实 → 匹配中 → 已派单 → 服务中 → 已满足 / 部分满足 / 无法满足 (转项目 or
转介) → 已回访, plus 已失效 from any open state. A refused or timed-out order sends its need
from 已派单 back to 匹配中. Order: 已派单 → 已接单 / 已拒单 / 超时 → 服务中 → 已完成 → 已评价,
or 已取消 while in hand. The pages and the API offer exactly what ``MACHINE.offered`` says."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.audit.services import SystemActor
from gridgov.core.scoping import path_in_scope
from gridgov.core.workflow import Guard, StateMachine, Transition
from gridgov.lists.models import (
    Booking,
    MatchProposalRow,
    Need,
    Project,
    ResourceOperator,
    ServiceOrder,
)


def may_act(actor, obj, permission: str) -> bool:
    if isinstance(actor, SystemActor):
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    return path_in_scope(actor, obj.scope_path, permission)


def may_act_on_order(actor, order, permission: str) -> bool:
    """``lists.serve`` actions (accept, refuse, start, complete) are the provider's: an
    account that operates the order's resource takes them, within its ``lists.serve``
    scope, and a dispatcher (``lists.dispatch`` in scope) may record them on its behalf.
    Every other action needs its permission in the order's scope."""
    if permission != "lists.serve" or isinstance(actor, SystemActor):
        return may_act(actor, order, permission)
    if may_act(actor, order, "lists.dispatch"):
        return True
    # Holding lists.serve in the order's scope is not enough: the resource must be its own.
    return (
        may_act(actor, order, "lists.serve")
        and ResourceOperator.objects.filter(user=actor, resource_id=order.resource_id).exists()
    )


N = Need.State
OPEN = frozenset(Need.OPEN_STATES)
NEED_TRANSITIONS = [
    Transition("verify", _("verify"), frozenset({N.REGISTERED}), N.VERIFIED, "lists.manage"),
    Transition(
        "start_matching",
        _("start matching"),
        frozenset({N.REGISTERED, N.VERIFIED}),
        N.MATCHING,
        "lists.manage",
    ),
    # Driven by orders (dispatch, acceptance and start, refusal or timeout, rating).
    Transition("dispatch", _("dispatch"), frozenset({N.MATCHING}), N.DISPATCHED, "lists.dispatch"),
    Transition(
        "rematch", _("back to matching"), frozenset({N.DISPATCHED}), N.MATCHING, "lists.dispatch"
    ),
    Transition(
        "serve", _("service started"), frozenset({N.DISPATCHED}), N.IN_SERVICE, "lists.dispatch"
    ),
    Transition("met", _("met"), frozenset({N.IN_SERVICE}), N.MET, "lists.dispatch"),
    Transition(
        "partly_met", _("partly met"), frozenset({N.IN_SERVICE}), N.PARTLY_MET, "lists.dispatch"
    ),
    # The resident says the service did not meet it: back to matching for another resource.
    Transition(
        "not_met",
        _("not met: match again"),
        frozenset({N.IN_SERVICE}),
        N.MATCHING,
        "lists.dispatch",
    ),
    Transition(
        "unmet",
        _("cannot be met"),
        frozenset({N.MATCHING, N.IN_SERVICE}),
        N.UNMET,
        "lists.manage",
        needs_reason=True,
    ),
    Transition(
        "follow_up",
        _("record the follow-up visit"),
        frozenset({N.MET, N.PARTLY_MET, N.UNMET}),
        N.FOLLOWED_UP,
        "lists.manage",
    ),
    Transition(
        "expire",
        _("mark no longer valid"),
        frozenset({N.REGISTERED, N.VERIFIED, N.MATCHING}),
        N.EXPIRED,
        "lists.manage",
        needs_reason=True,
    ),
]
# Actions staff take on the need page; the others follow its orders.
NEED_MANUAL = ("verify", "start_matching", "unmet", "follow_up", "expire")
NEED_MACHINE = StateMachine(NEED_TRANSITIONS, may=may_act)

O = ServiceOrder.State  # noqa: E741
ORDER_TRANSITIONS = [
    # The provider's own steps (lists.serve; a dispatcher may record them on its behalf).
    Transition("accept", _("accept"), frozenset({O.DISPATCHED}), O.ACCEPTED, "lists.serve"),
    Transition(
        "refuse",
        _("refuse"),
        frozenset({O.DISPATCHED}),
        O.REFUSED,
        "lists.serve",
        needs_reason=True,
    ),
    Transition(
        "start", _("start the service"), frozenset({O.ACCEPTED}), O.IN_SERVICE, "lists.serve"
    ),
    Transition("complete", _("complete"), frozenset({O.IN_SERVICE}), O.COMPLETED, "lists.serve"),
    Transition(
        "rate", _("record the ratings"), frozenset({O.COMPLETED}), O.RATED, "lists.dispatch"
    ),
    Transition(
        "cancel",
        _("cancel"),
        frozenset({O.DISPATCHED, O.ACCEPTED}),
        O.CANCELLED,
        "lists.dispatch",
        needs_reason=True,
    ),
    Transition(
        "time_out",
        _("not accepted in time"),
        frozenset({O.DISPATCHED}),
        O.TIMED_OUT,
        "lists.dispatch",
    ),
]
ORDER_MANUAL = ("accept", "refuse", "start", "complete", "rate", "cancel")
# The steps a provider account takes on its own orders.
PROVIDER_ACTIONS = ("accept", "refuse", "start", "complete")
ORDER_MACHINE = StateMachine(ORDER_TRANSITIONS, may=may_act_on_order)

# A proposal row of the optimiser (智能匹配): a person confirms it, dispatches another
# candidate instead, or rejects it; a row without a resource (nobody could serve the need)
# takes no action here (the need's page still offers the manual match).
P = MatchProposalRow.State
PROPOSAL_TRANSITIONS = [
    Transition("confirm", _("confirm"), frozenset({P.PROPOSED}), P.CONFIRMED, "lists.dispatch"),
    Transition(
        "change",
        _("dispatch another candidate"),
        frozenset({P.PROPOSED}),
        P.CHANGED,
        "lists.dispatch",
    ),
    Transition(
        "reject",
        _("reject"),
        frozenset({P.PROPOSED}),
        P.REJECTED,
        "lists.dispatch",
        needs_reason=True,
    ),
]
PROPOSAL_MACHINE = StateMachine(PROPOSAL_TRANSITIONS, may=may_act)


# Projects (项目清单) ---------------------------------------------------------------------------
# 需求调研 → 方案设计 → 预算审批 → 实施 → 绩效评估 → 居民评议 → 结项, or 已撤销 (with a reason)
# from any open step. ``lists.manage`` moves a project; the budget approval (and sending the
# plan back) needs ``lists.approve`` in the project's scope: the street approves what a
# community proposes.

PS = Project.State

_PLANNED = Guard(
    "not_planned",
    lambda actor, p: bool(p.planned_start and p.planned_end and p.funding_source),
    _("Give the planned start and end and the funding source before asking for approval."),
)
_COUNTED = Guard(
    "no_beneficiaries",
    lambda actor, p: p.beneficiaries is not None,
    _("Record the number of beneficiaries before the residents' review."),
)
_RATED = Guard(
    "not_rated",
    lambda actor, p: p.rating_count > 0,
    _("Record at least one resident's rating before closing the project."),
)

PROJECT_TRANSITIONS = [
    Transition(
        "design", _("start the plan design"), frozenset({PS.RESEARCH}), PS.DESIGN, "lists.manage"
    ),
    Transition(
        "submit_budget",
        _("ask for budget approval"),
        frozenset({PS.DESIGN}),
        PS.BUDGET_APPROVAL,
        "lists.manage",
        guards=(_PLANNED,),
    ),
    Transition(
        "approve_budget",
        _("approve the budget"),
        frozenset({PS.BUDGET_APPROVAL}),
        PS.IMPLEMENTING,
        "lists.approve",
    ),
    Transition(
        "return_budget",
        _("send the plan back"),
        frozenset({PS.BUDGET_APPROVAL}),
        PS.DESIGN,
        "lists.approve",
        needs_reason=True,
    ),
    Transition(
        "evaluate",
        _("start the performance evaluation"),
        frozenset({PS.IMPLEMENTING}),
        PS.EVALUATION,
        "lists.manage",
    ),
    Transition(
        "resident_review",
        _("open the residents' review"),
        frozenset({PS.EVALUATION}),
        PS.RESIDENT_REVIEW,
        "lists.manage",
        guards=(_COUNTED,),
    ),
    # A resident's rating, recorded by staff on the resident's behalf (the state stays).
    Transition(
        "rate",
        _("record a resident's rating"),
        frozenset({PS.RESIDENT_REVIEW}),
        None,
        "lists.manage",
    ),
    Transition(
        "close",
        _("close the project"),
        frozenset({PS.RESIDENT_REVIEW}),
        PS.CLOSED,
        "lists.manage",
        guards=(_RATED,),
    ),
    Transition(
        "cancel",
        _("cancel the project"),
        frozenset(Project.OPEN_STATES),
        PS.CANCELLED,
        "lists.manage",
        needs_reason=True,
    ),
]
PROJECT_MACHINE = StateMachine(PROJECT_TRANSITIONS, may=may_act)


# Bookings ------------------------------------------------------------------------------------
# requested → approved / rejected / cancelled; approved → checked in / no-show / cancelled;
# checked in → completed. Booking and cancelling need ``lists.book`` in the scope of the
# keeper or of the unit the booking is for; the keeper's decisions (approve, reject, check
# in, no-show, complete) need ``lists.manage`` in the keeper's scope.


def may_book(actor, obj, permission: str) -> bool:
    if isinstance(actor, SystemActor):
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    if permission == "lists.book" and path_in_scope(actor, obj.requester_path, permission):
        return True
    return path_in_scope(actor, obj.scope_path, permission)


def _booking_policy():
    from gridgov.core.policies import policy_in_force

    return policy_in_force("lists.bookings").value


def _checkin_open(actor, booking) -> bool:
    from datetime import timedelta

    from django.utils import timezone

    rules = _booking_policy()
    now = timezone.now()
    return (
        booking.start_at - timedelta(minutes=rules.checkin_early_minutes)
        <= now
        < booking.end_at + timedelta(minutes=rules.no_show_grace_minutes)
    )


def _grace_passed(actor, booking) -> bool:
    from datetime import timedelta

    from django.utils import timezone

    rules = _booking_policy()
    return timezone.now() >= booking.end_at + timedelta(minutes=rules.no_show_grace_minutes)


def _not_started(actor, booking) -> bool:
    from django.utils import timezone

    return timezone.now() < booking.start_at


B = Booking.State
BOOKING_TRANSITIONS = [
    Transition(
        "approve",
        _("approve"),
        frozenset({B.REQUESTED}),
        B.APPROVED,
        "lists.manage",
        guards=(
            Guard(
                "slot_started",
                _not_started,
                _("The slot has already begun: it can no longer be approved."),
            ),
        ),
    ),
    Transition("reject", _("reject"), frozenset({B.REQUESTED}), B.REJECTED, "lists.manage", True),
    Transition(
        "cancel",
        _("cancel the booking"),
        frozenset({B.REQUESTED, B.APPROVED}),
        B.CANCELLED,
        "lists.book",
        needs_reason=True,
        guards=(
            Guard(
                "slot_started",
                _not_started,
                _("The slot has already begun: it can no longer be cancelled."),
            ),
        ),
    ),
    Transition(
        "check_in",
        _("check in"),
        frozenset({B.APPROVED}),
        B.CHECKED_IN,
        "lists.manage",
        guards=(
            Guard(
                "checkin_closed",
                _checkin_open,
                _("Check-in is open from shortly before the start until shortly after the end."),
            ),
        ),
    ),
    Transition(
        "no_show",
        _("mark as no-show"),
        frozenset({B.APPROVED}),
        B.NO_SHOW,
        "lists.manage",
        guards=(
            Guard(
                "too_early",
                _grace_passed,
                _("A no-show can be marked only after the slot's end and the grace time."),
            ),
        ),
    ),
    Transition("complete", _("complete"), frozenset({B.CHECKED_IN}), B.COMPLETED, "lists.manage"),
]
BOOKING_MACHINE = StateMachine(BOOKING_TRANSITIONS, may=may_book)
