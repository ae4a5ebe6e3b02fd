"""The state machine of the event loop, declared once.

Each action names the states it may start from, the state it leads to, and the
permission it needs (checked against the event's unit). ``services.transition`` is the
only code that applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.events.models import State

S = State


@dataclass(frozen=True)
class Transition:
    action: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the state does not change (a request, a rating)
    permission: str
    needs_reason: bool = False


def _t(action, label, sources, target, permission, needs_reason=False):
    return Transition(action, label, frozenset(sources), target, permission, needs_reason)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("accept", _("Accept"), [S.REPORTED], S.ACCEPTED, "events.dispatch"),
        _t("reject", _("Do not accept"), [S.REPORTED], S.REJECTED, "events.dispatch", True),
        _t(
            "merge",
            _("Merge into another event"),
            [S.REPORTED, S.ACCEPTED, S.CLASSIFIED],
            S.MERGED,
            "events.dispatch",
        ),
        _t(
            "out_of_area",
            _("Not in our jurisdiction"),
            [S.REPORTED, S.ACCEPTED, S.CLASSIFIED],
            S.OUT_OF_AREA,
            "events.dispatch",
            True,
        ),
        _t("classify", _("Register"), [S.ACCEPTED], S.CLASSIFIED, "events.dispatch"),
        _t("dispatch", _("Dispatch"), [S.CLASSIFIED], S.DISPATCHED, "events.dispatch"),
        _t(
            "escalate",
            _("Escalate (吹哨)"),
            [S.CLASSIFIED, S.DISPATCHED, S.HANDLING],
            S.DISPATCHED,
            "events.dispatch",
            True,
        ),
        _t(
            "reassign",
            _("Reassign"),
            [S.DISPATCHED, S.HANDLING],
            S.DISPATCHED,
            "events.dispatch",
        ),
        _t("check_in", _("Check in (报到)"), [S.DISPATCHED], S.HANDLING, "events.handle"),
        _t(
            "return",
            _("Return to the dispatcher"),
            [S.DISPATCHED, S.HANDLING],
            S.CLASSIFIED,
            "events.handle",
            True,
        ),
        _t(
            "wait_reporter",
            _("Wait for the reporter"),
            [S.HANDLING],
            S.WAITING,
            "events.handle",
            True,
        ),
        _t("reporter_replied", _("Reporter replied"), [S.WAITING], S.HANDLING, "events.handle"),
        _t("handle", _("Report as handled"), [S.HANDLING], S.HANDLED, "events.handle"),
        _t("verify_pass", _("Verified: fixed"), [S.HANDLED], S.CLOSED, "events.verify"),
        _t(
            "verify_fail",
            _("Verified: not fixed (rework)"),
            [S.HANDLED],
            S.HANDLING,
            "events.verify",
            True,
        ),
        _t(
            "unfounded",
            _("Not substantiated"),
            [S.ACCEPTED, S.CLASSIFIED, S.DISPATCHED, S.HANDLING],
            S.UNFOUNDED,
            "events.dispatch",
            True,
        ),
        _t(
            "request_extension",
            _("Ask for more time"),
            [S.DISPATCHED, S.HANDLING, S.WAITING],
            None,
            "events.handle",
            True,
        ),
        _t(
            "decide_extension",
            _("Decide on more time"),
            [S.DISPATCHED, S.HANDLING, S.WAITING],
            None,
            "events.dispatch",
        ),
        _t(
            "request_suspension",
            _("Propose suspension (挂账)"),
            [S.DISPATCHED, S.HANDLING],
            None,
            "events.handle",
            True,
        ),
        _t(
            "decide_suspension",
            _("Decide on suspension"),
            [S.DISPATCHED, S.HANDLING],
            None,  # approved → suspended, refused → unchanged
            "events.dispatch",
        ),
        _t("resume", _("Resume"), [S.SUSPENDED], S.HANDLING, "events.dispatch"),
        _t("reopen", _("Reopen"), [S.CLOSED], S.HANDLING, "events.dispatch", True),
    ]
}

# Timeline steps that are not staff actions.
STEP_LABELS = {
    "report": _("Reported"),
    "rate": _("Rated by the reporter"),
    "overdue_escalate": _("Overdue: escalated automatically"),
}

# The reporter's rating is not a staff action: it is checked by tracking code or account.
RATE = "rate"


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
