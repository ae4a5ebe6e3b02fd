"""Rectification cases 「限期整改+专项督导」: opened by rule (exactly one in progress per
group), taken on by a street supervisor, items done, the "restrict posting" check
recorded for the admin, evidence, closure requested and reviewed. Colours by deadline
come from the shared deadline colours (``core.deadlines``)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.audit.services import audit_record
from gridgov.core.deadlines import deadline_colour
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.policies import policy_get, policy_in_force
from gridgov.core.scoping import path_in_scope
from gridgov.core.workflow import Guard, StateMachine, Transition, locked_for_transition
from gridgov.groups.models import Rectification, RectificationEvidence, RectificationItem
from gridgov.groups.services import actor_name, evidence_store

S = Rectification.State
FOLDER = "group_evidence"


def _may(actor, case, permission: str) -> bool:
    return path_in_scope(actor, case.scope_path, permission)


def _items_done(actor, case) -> bool:
    return not case.items.filter(done_at__isnull=True).exists()


def _restricted(actor, case) -> bool:
    return case.restrict_posting_checked_at is not None


CASE_MACHINE = StateMachine(
    [
        Transition(
            "supervise",
            gettext_lazy("Supervise this case"),
            frozenset({S.OPEN, S.REVIEW}),
            None,
            "groups.supervise",
            guards=(
                Guard(
                    "already_supervisor",
                    lambda actor, case: case.supervisor_id != actor.pk,
                    gettext_lazy("You supervise this case already."),
                ),
            ),
        ),
        Transition(
            "check_restriction",
            gettext_lazy("Posting restricted (checked)"),
            frozenset({S.OPEN}),
            None,
            "groups.register",
        ),
        Transition(
            "request_closure",
            gettext_lazy("Request closure"),
            frozenset({S.OPEN}),
            S.REVIEW,
            "groups.register",
            guards=(
                Guard("items_open", _items_done, gettext_lazy("Some items are not done yet.")),
                Guard(
                    "posting_not_restricted",
                    _restricted,
                    gettext_lazy("Check first that posting was restricted during rectification."),
                ),
            ),
        ),
        Transition(
            "close",
            gettext_lazy("Close the case (销号)"),
            frozenset({S.REVIEW}),
            S.CLOSED,
            "groups.supervise",
        ),
        Transition(
            "send_back",
            gettext_lazy("Send back"),
            frozenset({S.REVIEW}),
            S.OPEN,
            "groups.supervise",
            needs_reason=True,
        ),
    ],
    may=_may,
)


def item_colour(item: RectificationItem, case: Rectification, now=None) -> str:
    if item.done_at is not None:
        return "secondary"
    share = policy_get("groups.rectification").item_due_soon_share
    return deadline_colour(now or timezone.now(), case.opened_at, item.due_at, due_soon_share=share)


def case_colour(case: Rectification, now=None) -> str:
    """red (an item overdue) / yellow (one due soon) / green; grey when closed."""
    if case.state == S.CLOSED:
        return "secondary"
    colours = {item_colour(i, case, now) for i in case.items.all()}
    for colour in ("danger", "warning", "success"):
        if colour in colours:
            return colour
    return "success"


def case_open_by_rule(*, group, snapshot, trigger: str, reason: str, actor) -> Rectification | None:
    """Open a case unless the group has one in progress (then None)."""
    if Rectification.objects.filter(group=group).exclude(state=S.CLOSED).exists():
        return None
    in_force = policy_in_force("groups.rectification")
    now = timezone.now()
    try:
        with transaction.atomic():
            case = Rectification.objects.create(
                group=group,
                scope_path=group.scope_path,
                trigger=trigger,
                reason=reason[:500],
                klass_at_trigger=snapshot.klass if snapshot else "",
                snapshot=snapshot,
                opened_at=now,
                opened_by_name=f"rule:{trigger}",
                policy_version=in_force.version,
            )
            RectificationItem.objects.bulk_create(
                [
                    RectificationItem(
                        case=case, text=rule.text, due_at=now + timedelta(days=rule.days)
                    )
                    for rule in in_force.value.items
                ]
            )
            audit_record(
                "groups.rectification.open",
                actor=actor,
                target=case,
                changes={
                    "group": str(group.uid),
                    "trigger": trigger,
                    "reason": case.reason,
                    "class": case.klass_at_trigger,
                    "policy_version": in_force.version,
                },
            )
    except IntegrityError:  # opened meanwhile by the other trigger: still exactly one
        return None
    return case


def case_action(
    *, actor, case: Rectification, action: str, version: int, note: str = ""
) -> Rectification:
    with transaction.atomic():
        locked, definition, note = locked_for_transition(
            CASE_MACHINE, case, actor=actor, action=action, version=version, note=(note, 500)
        )
        before = locked.state
        now = timezone.now()
        if action == "supervise":
            locked.supervisor = actor
        elif action == "check_restriction":
            locked.restrict_posting_checked_at = now
            locked.restrict_posting_checked_by = actor_name(actor)
        elif action == "close":
            locked.closed_at = now
            locked.closed_by_name = actor_name(actor)
            locked.review_note = note
        elif action == "send_back":
            locked.review_note = note
        if definition.target is not None:
            locked.state = definition.target
        locked.version += 1
        locked.save()
        audit_record(
            "groups.rectification.action",
            actor=actor,
            target=locked,
            changes={"action": action, "from": before, "to": locked.state, "note": note},
        )
    return locked


def item_done(*, actor, case: Rectification, item_id: int) -> RectificationItem:
    if not path_in_scope(actor, case.scope_path, "groups.register"):
        from gridgov.core.errors import PermissionDenied

        raise PermissionDenied()
    with transaction.atomic():
        try:
            item = RectificationItem.objects.select_for_update().get(pk=item_id, case=case)
        except (RectificationItem.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        if case.state != S.OPEN:
            raise ValidationFailed(details={"item": [_("The case is not in rectification.")]})
        if item.done_at is None:
            item.done_at = timezone.now()
            item.done_by_name = actor_name(actor)
            item.save()
            audit_record(
                "groups.rectification.item_done",
                actor=actor,
                target=case,
                changes={"item": item.pk, "text": item.text, "late": item.done_at > item.due_at},
            )
    return item


def evidence_add(*, actor, case: Rectification, files) -> list[RectificationEvidence]:
    if not path_in_scope(actor, case.scope_path, "groups.register"):
        from gridgov.core.errors import PermissionDenied

        raise PermissionDenied()

    def create(uid, stored) -> RectificationEvidence:
        return RectificationEvidence.objects.create(
            uid=uid,
            case=case,
            stored_path=str(stored.path),
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_name=actor_name(actor),
        )

    def audit(kept) -> None:
        audit_record(
            "groups.rectification.evidence",
            actor=actor,
            target=case,
            changes={"files": [str(e.uid) for e in kept]},
        )

    return evidence_store(files, folder=FOLDER, create=create, audit=audit)
