"""The topic's state machine on the shared ``core.workflow``, and the one function that
moves a topic (lock, check, apply, timeline, audit — in one transaction).

征集中 → 已立项 → 讨论中 → 表决中 → 已决议 → 落实中 → 已反馈, or 不予立项 with the reason.
A topic may be decided straight from discussion (a meeting's consensus, no binding vote);
one put to the vote is decided only after the vote has closed (the ``votes`` of
``participation.Vote``, whose open ones carry no ``closed_at``). The pages and the API
offer exactly what ``TOPIC_MACHINE.offered`` says."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.errors import ValidationFailed
from gridgov.core.scoping import path_in_scope
from gridgov.core.workflow import Guard, StateMachine, Transition
from gridgov.participation.models import Topic, TopicLog


def may_act(actor, obj, permission: str) -> bool:
    if isinstance(actor, SystemActor):
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    return path_in_scope(actor, obj.scope_path, permission)


def _no_open_vote(actor, topic) -> bool:
    votes = getattr(topic, "votes", None)
    return votes is None or not votes.filter(closed_at__isnull=True).exists()


NO_OPEN_VOTE = Guard(
    "vote_open",
    _no_open_vote,
    _("The vote is still open: close it before recording the decision."),
)

T = Topic.State
TOPIC_TRANSITIONS = [
    Transition(
        "select",
        _("select for deliberation"),
        frozenset({T.COLLECTING}),
        T.SELECTED,
        "participation.manage",
    ),
    Transition(
        "reject",
        _("do not take up"),
        frozenset({T.COLLECTING, T.SELECTED}),
        T.REJECTED,
        "participation.manage",
        needs_reason=True,
    ),
    Transition(
        "open_discussion",
        _("open the discussion"),
        frozenset({T.SELECTED}),
        T.DISCUSSING,
        "participation.manage",
    ),
    # Taken by opening a vote (the votes' services), never on its own.
    Transition(
        "open_vote",
        _("put to the vote"),
        frozenset({T.SELECTED, T.DISCUSSING}),
        T.VOTING,
        "participation.manage",
    ),
    Transition(
        "decide",
        _("record the decision"),
        frozenset({T.DISCUSSING, T.VOTING}),
        T.DECIDED,
        "participation.manage",
        guards=(NO_OPEN_VOTE,),
    ),
    Transition(
        "implement",
        _("start implementing"),
        frozenset({T.DECIDED}),
        T.IMPLEMENTING,
        "participation.manage",
    ),
    Transition(
        "report_back",
        _("publish the report-back"),
        frozenset({T.DECIDED, T.IMPLEMENTING}),
        T.REPORTED,
        "participation.manage",
    ),
]
TOPIC_MACHINE = StateMachine(TOPIC_TRANSITIONS, may=may_act)


def _actor_name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def move_topic(
    *, actor, topic: Topic, action: str, version: int | None, reason: str = "", apply=None
) -> Topic:
    """Take ``action`` on ``topic``: lock the row, refuse what the machine refuses (403,
    stale version 409, wrong state 409, guards), let ``apply(current)`` set the action's
    own fields, then save, write the timeline and the audit record. All or nothing."""
    definition = TOPIC_MACHINE.transitions[action]
    if definition.needs_reason and not reason.strip():
        raise ValidationFailed(details={"reason": [_("Give a reason.")]})
    with transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        refusal = TOPIC_MACHINE.refusal(actor, current, action, version=version)
        if refusal is not None:
            raise refusal
        before = current.state
        current.state = definition.target
        if action == "reject":
            current.reason = reason[:500]
        if action == "select":
            current.selected_at = timezone.now()
        if apply is not None:
            apply(current)
        current.version += 1
        current.save()
        TopicLog.objects.create(
            topic=current,
            action=action,
            from_state=before,
            to_state=current.state,
            note=reason[:500],
            actor_name=_actor_name(actor),
        )
        audit_record(
            "participation.topic.transition",
            actor=actor,
            target=current,
            changes={"action": action, "state": [before, current.state]},
        )
    return current
