"""The state machine of the event loop, declared once.

Each action names the states it may start from, the state it leads to, the permission it
needs (in the event's scope) and its guards: conditions on who acts and on the event's
other records (its handler, a pending request, the reopening window). The actions a page
or the API offers and the checks ``services.transition`` makes are both answered by
``MACHINE``, so an action that is offered is an action that is allowed.

``Guard``, ``Transition`` and ``StateMachine`` are the shared machine of ``core.workflow``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.audit.services import SystemActor
from gridgov.core.errors import PermissionDenied
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope
from gridgov.core.workflow import Guard, StateMachine, Transition
from gridgov.events.models import Event, EventRequest, State

# Who may act on an event -------------------------------------------------------------


def _department_member(actor, event: Event) -> bool:
    return bool(event.department_id) and event.department.members.filter(pk=actor.pk).exists()


def may_act(actor, event: Event, permission: str) -> bool:
    """The permission in the event's scope. A department handler acts only on the events
    given to one of their departments (that is all they see)."""
    if isinstance(actor, SystemActor):
        return True  # automatic routing of device alarms
    if not getattr(actor, "is_authenticated", False):
        return False
    from gridgov.accounts.roles import Role

    department_only = actor.roles and actor.roles <= {Role.DEPARTMENT_HANDLER}
    if department_only:
        return permission == "events.handle" and _department_member(actor, event)
    return path_in_scope(actor, event.scope_path, permission)


def is_handler(actor, event: Event) -> bool:
    """The person the event is assigned to; while nobody is (it was escalated to a unit or
    a department that must check in), whoever handles events for that unit or department."""
    if isinstance(actor, SystemActor):
        return True
    if event.assignee_id is not None:
        return event.assignee_id == getattr(actor, "pk", None)
    if _department_member(actor, event):
        return True
    unit = event.responsible_unit
    return unit is not None and path_in_scope(actor, unit.path, "events.handle")


def _not_own_work(actor, event: Event) -> bool:
    """On-site verification is someone else's than the handler's (policy, on by default)."""
    if not policy_get("events.loop").separate_verifier:
        return True
    return event.assignee_id is None or event.assignee_id != getattr(actor, "pk", None)


def _pending(kind: str) -> Callable[[Any, Event], bool]:
    def check(actor, event: Event) -> bool:
        return EventRequest.objects.filter(event=event, kind=kind, status="pending").exists()

    return check


def _none_pending(kind: str) -> Callable[[Any, Event], bool]:
    def check(actor, event: Event) -> bool:
        return not _pending(kind)(actor, event)

    return check


def _within_reopen_window(actor, event: Event) -> bool:
    window = policy_get("events.loop").reopen_days
    return event.closed_at is None or timezone.now() - event.closed_at <= timedelta(days=window)


def _reopen_window_message(event: Event) -> str:
    return gettext("Events can be reopened within %(n)d days of closing.") % {
        "n": policy_get("events.loop").reopen_days
    }


def _someone_to_dispatch_to(actor, event: Event) -> bool:
    """The grid's staff the dispatch form lists (device alarms pick the grid's assigned
    worker themselves)."""
    from gridgov.events.selectors import grid_staff_for

    return isinstance(actor, SystemActor) or bool(grid_staff_for(event))


def _someone_else_to_reassign_to(actor, event: Event) -> bool:
    from gridgov.events.selectors import grid_staff_for

    return any(u.pk != event.assignee_id for u in grid_staff_for(event))


def _another_event_to_merge_into(actor, event: Event) -> bool:
    return Event.objects.visible_to(actor).exclude(pk=event.pk).exclude(state=State.MERGED).exists()


HANDLER = Guard(
    "not_the_handler",
    is_handler,
    _("This event is assigned to someone else."),
    PermissionDenied,
)
NOT_OWN_WORK = Guard(
    "own_work",
    _not_own_work,
    _("You handled this event: someone else verifies it on site."),
    PermissionDenied,
)
NO_PENDING_EXTENSION = Guard(
    "request_pending",
    _none_pending(EventRequest.Kind.EXTENSION),
    _("A request is already waiting for a decision."),
)
NO_PENDING_SUSPENSION = Guard(
    "request_pending",
    _none_pending(EventRequest.Kind.SUSPENSION),
    _("A request is already waiting for a decision."),
)
PENDING_EXTENSION = Guard(
    "nothing_pending",
    _pending(EventRequest.Kind.EXTENSION),
    _("No request is waiting for a decision."),
)
PENDING_SUSPENSION = Guard(
    "nothing_pending",
    _pending(EventRequest.Kind.SUSPENSION),
    _("No request is waiting for a decision."),
)
REOPEN_WINDOW = Guard("reopen_window_passed", _within_reopen_window, _reopen_window_message)
SOMEONE_TO_DISPATCH_TO = Guard(
    "nobody_to_dispatch_to",
    _someone_to_dispatch_to,
    _("Nobody can handle events here yet: assign a grid worker to the grid first."),
)
SOMEONE_ELSE = Guard(
    "nobody_else",
    _someone_else_to_reassign_to,
    _("Nobody else can handle events here."),
)
MERGE_TARGET = Guard(
    "nothing_to_merge_into",
    _another_event_to_merge_into,
    _("There is no other event to merge it into."),
)

# The table ---------------------------------------------------------------------------

S = State


def _t(action, label, sources, target, permission, needs_reason=False, guards=()):
    return Transition(
        action, label, frozenset(sources), target, permission, needs_reason, tuple(guards)
    )


HANDLE, DISPATCH, VERIFY = "events.handle", "events.dispatch", "events.verify"
UNRESOLVABLE = [S.ACCEPTED, S.CLASSIFIED, S.DISPATCHED, S.HANDLING]

MACHINE = StateMachine(
    [
        _t("accept", _("Accept"), [S.REPORTED], S.ACCEPTED, DISPATCH),
        _t("reject", _("Do not accept"), [S.REPORTED], S.REJECTED, DISPATCH, True),
        _t(
            "merge",
            _("Merge into another event"),
            [S.REPORTED, S.ACCEPTED, S.CLASSIFIED],
            S.MERGED,
            DISPATCH,
            guards=[MERGE_TARGET],
        ),
        _t(
            "out_of_area",
            _("Not in our jurisdiction"),
            [S.REPORTED, S.ACCEPTED, S.CLASSIFIED],
            S.OUT_OF_AREA,
            DISPATCH,
            True,
        ),
        _t("classify", _("Register"), [S.ACCEPTED], S.CLASSIFIED, DISPATCH),
        _t(
            "dispatch",
            _("Dispatch"),
            [S.CLASSIFIED],
            S.DISPATCHED,
            DISPATCH,
            guards=[SOMEONE_TO_DISPATCH_TO],
        ),
        _t(
            "escalate",
            _("Escalate (吹哨)"),
            [S.CLASSIFIED, S.DISPATCHED, S.HANDLING],
            S.DISPATCHED,
            DISPATCH,
            True,
        ),
        _t(
            "reassign",
            _("Reassign"),
            [S.DISPATCHED, S.HANDLING],
            S.DISPATCHED,
            DISPATCH,
            guards=[SOMEONE_ELSE],
        ),
        _t(
            "check_in",
            _("Check in (报到)"),
            [S.DISPATCHED],
            S.HANDLING,
            HANDLE,
            guards=[HANDLER],
        ),
        _t(
            "return",
            _("Return to the dispatcher"),
            [S.DISPATCHED, S.HANDLING],
            S.CLASSIFIED,
            HANDLE,
            True,
            guards=[HANDLER],
        ),
        _t(
            "wait_reporter",
            _("Wait for the reporter"),
            [S.HANDLING],
            S.WAITING,
            HANDLE,
            True,
            guards=[HANDLER],
        ),
        _t(
            "reporter_replied",
            _("Reporter replied"),
            [S.WAITING],
            S.HANDLING,
            HANDLE,
            guards=[HANDLER],
        ),
        _t("handle", _("Report as handled"), [S.HANDLING], S.HANDLED, HANDLE, guards=[HANDLER]),
        _t(
            "verify_pass",
            _("Verified: fixed"),
            [S.HANDLED],
            S.CLOSED,
            VERIFY,
            guards=[NOT_OWN_WORK],
        ),
        _t(
            "verify_fail",
            _("Verified: not fixed (rework)"),
            [S.HANDLED],
            S.HANDLING,
            VERIFY,
            True,
            guards=[NOT_OWN_WORK],
        ),
        _t("unfounded", _("Not substantiated"), UNRESOLVABLE, S.UNFOUNDED, DISPATCH, True),
        _t(
            "request_extension",
            _("Ask for more time"),
            [S.DISPATCHED, S.HANDLING, S.WAITING],
            None,
            HANDLE,
            True,
            guards=[HANDLER, NO_PENDING_EXTENSION],
        ),
        _t(
            "decide_extension",
            _("Decide on more time"),
            [S.DISPATCHED, S.HANDLING, S.WAITING],
            None,
            DISPATCH,
            guards=[PENDING_EXTENSION],
        ),
        _t(
            "request_suspension",
            _("Propose suspension (挂账)"),
            [S.DISPATCHED, S.HANDLING],
            None,
            HANDLE,
            True,
            guards=[HANDLER, NO_PENDING_SUSPENSION],
        ),
        _t(
            "decide_suspension",
            _("Decide on suspension"),
            [S.DISPATCHED, S.HANDLING],
            None,  # approved → suspended, refused → unchanged
            DISPATCH,
            guards=[PENDING_SUSPENSION],
        ),
        _t("resume", _("Resume"), [S.SUSPENDED], S.HANDLING, DISPATCH),
        _t("reopen", _("Reopen"), [S.CLOSED], S.HANDLING, DISPATCH, True, [REOPEN_WINDOW]),
    ],
    may=may_act,
)
TRANSITIONS: dict[str, Transition] = MACHINE.transitions

# Timeline steps that are not staff actions.
STEP_LABELS = {
    "report": _("Reported"),
    "rate": _("Rated by the reporter"),
    "overdue_escalate": _("Overdue: escalated automatically"),
    "recompute_deadline": _("Deadline recalculated for the official holidays"),
}

# The reporter's rating is not a staff action: it is checked by tracking code or account.
RATE = "rate"


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
