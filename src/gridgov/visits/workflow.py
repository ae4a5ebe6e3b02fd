"""The review loop of a visit record (双人复核), on the shared state machine: submitted →
passed, or returned → corrected and resubmitted → …. The reviewer is never the collector
(nor a companion on the visit); only the collector corrects a returned record."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import PermissionDenied
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope
from gridgov.core.workflow import Guard, StateMachine, Transition
from gridgov.visits.models import Visit


def may_act(actor, visit: Visit, permission: str) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    return path_in_scope(actor, visit.scope_path, permission)


def _not_collector(actor, visit: Visit) -> bool:
    return actor.pk != visit.collector_id and not visit.companions.filter(pk=actor.pk).exists()


def _reviewer_role(actor, visit: Visit) -> bool:
    roles = set(policy_get("visits.quality").reviewer_roles)
    return bool(set(actor.roles) & roles)


def _is_collector(actor, visit: Visit) -> bool:
    return actor.pk == visit.collector_id


NOT_COLLECTOR = Guard(
    "reviewer_is_collector",
    _not_collector,
    _("You collected this record: a second person reviews it."),
    PermissionDenied,
)
REVIEWER_ROLE = Guard(
    "not_a_reviewer",
    _reviewer_role,
    _("Only community staff or a grid leader review visit records."),
    PermissionDenied,
)
COLLECTOR = Guard(
    "not_the_collector",
    _is_collector,
    _("Only the person who collected this record corrects it."),
    PermissionDenied,
)

S = Visit.State
TRANSITIONS = [
    Transition(
        "review_pass",
        _("pass review"),
        frozenset({S.SUBMITTED}),
        S.APPROVED,
        "visits.review",
        guards=(NOT_COLLECTOR, REVIEWER_ROLE),
    ),
    Transition(
        "review_return",
        _("return for correction"),
        frozenset({S.SUBMITTED}),
        S.RETURNED,
        "visits.review",
        guards=(NOT_COLLECTOR, REVIEWER_ROLE),
    ),
    Transition(
        "resubmit",
        _("correct and resubmit"),
        frozenset({S.RETURNED}),
        S.SUBMITTED,
        "visits.collect",
        guards=(COLLECTOR,),
    ),
]

MACHINE = StateMachine(TRANSITIONS, may=may_act)
