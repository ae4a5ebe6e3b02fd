"""The 居委会's approval of a registered group: pending → approved / rejected; a rejected
group is submitted again after correction (``core.workflow``)."""

from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import path_in_scope
from gridgov.core.workflow import StateMachine, Transition
from gridgov.groups.models import Group

S = Group.State


def _may(actor, group, permission: str) -> bool:
    return path_in_scope(actor, group.scope_path, permission)


GROUP_MACHINE = StateMachine(
    [
        Transition("approve", _("Approve"), frozenset({S.PENDING}), S.APPROVED, "groups.approve"),
        Transition(
            "reject",
            _("Do not approve"),
            frozenset({S.PENDING}),
            S.REJECTED,
            "groups.approve",
            needs_reason=True,
        ),
        Transition(
            "resubmit", _("Submit again"), frozenset({S.REJECTED}), S.PENDING, "groups.register"
        ),
    ],
    may=_may,
)
