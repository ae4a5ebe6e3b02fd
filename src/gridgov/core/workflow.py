"""A declarative state machine, shared by every app whose records move through states
(events, visit reviews, …).

Each action names the states it may start from, the state it leads to, the permission it
needs (in the object's scope) and its guards: conditions on who acts and on the object's
other records. The actions a page or the API offers and the checks a service makes before
applying one are both answered by ``StateMachine``, so an action that is offered is an
action that is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext

from gridgov.core.errors import Conflict, GridGovError, PermissionDenied, ValidationFailed
from gridgov.core.text import free_text


@dataclass(frozen=True)
class Guard:
    """A condition an action needs beyond its source state and permission. ``allows``
    answers for (actor, object); ``message`` (text, or a function of the object) says why
    it is refused, with ``error`` (403 for who acts, 409 for the object's situation)."""

    code: str
    allows: Callable[[Any, Any], bool]
    message: str | Promise | Callable[[Any], str]
    error: type[GridGovError] = Conflict

    def refusal(self, obj) -> GridGovError:
        message = self.message(obj) if callable(self.message) else self.message
        return self.error(message, code=self.code)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the state does not change (a request, a decision)
    permission: str
    needs_reason: bool = False
    guards: tuple[Guard, ...] = ()


class StateMachine:
    """The transitions of one kind of object, and the one answer to "may this actor take
    this action on this object now?" that both offering and applying use.

    ``may(actor, obj, permission)`` checks the permission in the object's scope; objects
    have a ``state``, a ``version`` and ``get_state_display()``.
    """

    def __init__(self, transitions: Iterable[Transition], *, may: Callable[..., bool]):
        self.transitions: dict[str, Transition] = {t.action: t for t in transitions}
        self.may = may

    def refusal(
        self, actor, obj, action: str, *, permission: str | None = None, version: int | None = None
    ) -> GridGovError | None:
        """Why ``actor`` may not take ``action`` on ``obj`` now, or None when they may.

        In order: the permission in scope (403), the version the actor saw (409), the
        source state (409 ``illegal_transition``), then the guards."""
        definition = self.transitions[action]
        if not self.may(actor, obj, permission or definition.permission):
            return PermissionDenied()
        if version is not None and version != obj.version:
            return Conflict(
                gettext("Someone else changed this meanwhile; it is now “%(state)s”. Reload.")
                % {"state": obj.get_state_display()},
                details={"state": obj.state, "version": obj.version},
            )
        if obj.state not in definition.sources:
            return Conflict(
                gettext("“%(action)s” is not possible while it is “%(state)s”.")
                % {"action": definition.label, "state": obj.get_state_display()},
                code="illegal_transition",
                details={"state": obj.state, "action": action},
            )
        for guard in definition.guards:
            if not guard.allows(actor, obj):
                return guard.refusal(obj)
        return None

    def offered(self, actor, obj) -> list[str]:
        """The actions ``actor`` may take on ``obj`` now, in the table's order."""
        return [a for a in self.transitions if self.refusal(actor, obj, a) is None]


def locked_for_transition(machine: StateMachine, record, *, actor, action: str, version, note):
    """The row locked for one of ``machine``'s actions (call inside the transaction), with
    the action's definition and the note (``(text, limit)``) cleaned: an unknown action,
    a refusal of the machine (state, permission in scope, version) or a missing reason is
    raised, in that order."""
    if action not in machine.transitions:
        raise ValidationFailed(details={"action": [gettext("Unknown action.")]})
    definition = machine.transitions[action]
    errors: dict = {}
    text = free_text(note[0], "note", note[1], errors)
    if definition.needs_reason and not text and "note" not in errors:
        errors["note"] = [gettext("Say why.")]
    locked = type(record).objects.select_for_update().get(pk=record.pk)
    refusal = machine.refusal(actor, locked, action, version=version)
    if refusal is not None:
        raise refusal
    if errors:
        raise ValidationFailed(details=errors)
    return locked, definition, text
