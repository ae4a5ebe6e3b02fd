"""The treatments of the classes besides rectification (docs/groups.md, *Treatments*).

- 潜力提升群: paired with a mentor group whose latest month is 高效能群 and which has an
  admin with an account (「结对帮扶」); the pairing is tracked by the coached group's classes
  month by month and ended with its outcome. One pairing in progress per group.
- 功能重构群: a month placed there opens a split-or-merge task (policy ``groups.treatments``),
  due in ``restructure_days``; it is done once the group's lineage is recorded — it is
  split or merged and the new groups name it as what they were formed from.
- 高效能群: reports only every ``recheck_months`` (quarterly re-check): ``next_report_due``.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core import notifications
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import require_in_scope
from gridgov.groups import selectors
from gridgov.groups.models import Group, Pairing, RestructureTask, Snapshot
from gridgov.groups.selectors_treatments import as_uuid
from gridgov.groups.services import _text, actor_name, lock_current


def latest_class(group: Group) -> str:
    return (
        Group.objects.filter(pk=group.pk).values_list(selectors.latest_class(), flat=True).first()
        or ""
    )


# Pairing -------------------------------------------------------------------------------


def pairing_start(*, actor, mentee: Group, mentor_uid) -> Pairing:
    """Pair a 潜力提升群 with a 高效能群 the actor sees; its admins hear of it."""
    require_in_scope(actor, mentee.scope_path, "groups.register")
    mentor = Group.objects.visible_to(actor, "view").filter(uid=as_uuid(mentor_uid)).first()
    errors: dict = {}
    if latest_class(mentee) != Snapshot.Klass.POTENTIAL:
        errors["mentee"] = [_("Only a group whose latest month is 潜力提升群 is paired.")]
    if mentor is None:
        errors["mentor"] = [_("Choose a mentor group from the list.")]
    elif mentor.pk == mentee.pk:
        errors["mentor"] = [_("A group cannot coach itself.")]
    elif latest_class(mentor) != Snapshot.Klass.HIGH:
        errors["mentor"] = [_("The mentor group's latest month must be 高效能群.")]
    elif not mentor.admins.filter(user__isnull=False).exists():
        errors["mentor"] = [_("The mentor group has no admin with an account to coach.")]
    if errors:
        raise ValidationFailed(details=errors)
    try:
        with transaction.atomic():
            pairing = Pairing.objects.create(
                mentee=mentee,
                mentor=mentor,
                scope_path=mentee.scope_path,
                started_on=timezone.localdate(),
                class_at_start=Snapshot.Klass.POTENTIAL,
                created_by_name=actor_name(actor),
            )
            audit_record(
                "groups.pairing.start",
                actor=actor,
                target=pairing,
                changes={"mentee": str(mentee.uid), "mentor": str(mentor.uid)},
            )
    except IntegrityError:
        raise Conflict(
            _("This group is already paired with a mentor group."), code="already_paired"
        ) from None
    notifications.inbox(
        [a.user for a in mentor.admins.select_related("user") if a.user_id],
        kind="groups.pairing",
        message=_("Your group %(mentor)s is paired to coach %(mentee)s (结对帮扶).")
        % {"mentor": mentor.name, "mentee": mentee.name},
        subject=mentee,
        key=f"groups.pairing:{pairing.uid}",
    )
    return pairing


def pairing_end(*, actor, pairing: Pairing, outcome: str, version=None) -> Pairing:
    require_in_scope(actor, pairing.scope_path, "groups.register")
    errors: dict = {}
    outcome = _text(outcome, "outcome", 300, errors)
    if not outcome and "outcome" not in errors:
        errors["outcome"] = [_("Say how the coaching went.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        pairing = lock_current(pairing, version)
        if pairing.state != Pairing.State.ACTIVE:
            raise Conflict(_("This pairing has ended."), code="pairing_ended")
        pairing.state = Pairing.State.ENDED
        pairing.ended_on = timezone.localdate()
        pairing.outcome = outcome
        pairing.ended_by_name = actor_name(actor)
        pairing.version += 1
        pairing.save()
        audit_record(
            "groups.pairing.end",
            actor=actor,
            target=pairing,
            changes={"class_now": latest_class(pairing.mentee)},
        )
    return pairing


def pairing_progress(pairing: Pairing) -> list[tuple[date, str]]:
    """The coached group's class in each month since the pairing began."""
    start = pairing.started_on.replace(day=1)
    return list(
        Snapshot.objects.filter(group_id=pairing.mentee_id, month__gte=start)
        .order_by("month")
        .values_list("month", "klass")
    )


# Split or merge --------------------------------------------------------------------------


def restructure_open_by_rule(*, group: Group, snapshot: Snapshot, actor) -> RestructureTask | None:
    """Open the task unless one is open (then None)."""
    in_force = policy_in_force("groups.treatments")
    if not in_force.value.open_restructure_on_class:
        return None
    if RestructureTask.objects.filter(group=group, state=RestructureTask.State.OPEN).exists():
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            task = RestructureTask.objects.create(
                group=group,
                scope_path=group.scope_path,
                snapshot=snapshot,
                reason=snapshot.class_rule[:300],
                due_on=timezone.localdate(now) + timedelta(days=in_force.value.restructure_days),
                opened_at=now,
                opened_by_name="rule:class",
            )
            audit_record(
                "groups.restructure.open",
                actor=actor,
                target=task,
                changes={"group": str(group.uid), "due_on": task.due_on.isoformat()},
            )
    except IntegrityError:
        return None
    return task


def restructure_done(*, actor, task: RestructureTask, note: str = "", version=None):
    """Done once the lineage is recorded: the group split or merged, new groups formed
    from it."""
    require_in_scope(actor, task.scope_path, "groups.register")
    errors: dict = {}
    note = _text(note, "note", 300, errors)
    with transaction.atomic():
        task = lock_current(task, version)
        if task.state != RestructureTask.State.OPEN:
            raise Conflict(_("This task is already done."), code="task_done")
        group = Group.objects.get(pk=task.group_id)  # as it is now, not as first read
        if group.status not in (Group.Status.SPLIT, Group.Status.MERGED):
            errors["status"] = [
                _("Record the group as split or merged first (its status on the group's page).")
            ]
        elif not group.successors.exists():
            errors["successors"] = [
                _("Register the new groups as formed from this one first (「formed from」).")
            ]
        if errors:
            raise ValidationFailed(details=errors)
        task.state = RestructureTask.State.DONE
        task.done_at = timezone.now()
        task.done_by_name = actor_name(actor)
        task.note = note
        task.version += 1
        task.save()
        audit_record(
            "groups.restructure.done",
            actor=actor,
            target=task,
            changes={
                "status": group.status,
                "successors": sorted(str(g.uid) for g in group.successors.all()),
            },
        )
    return task


def task_colour(task: RestructureTask, today: date | None = None) -> str:
    """Red past due, yellow in the last week, green before; grey once done."""
    if task.state == RestructureTask.State.DONE:
        return "secondary"
    today = today or timezone.localdate()
    if today > task.due_on:
        return "danger"
    return "warning" if (task.due_on - today).days < 7 else "success"


# 高效能群: quarterly re-check ---------------------------------------------------------------


def next_report_due(group: Group) -> date | None:
    """For a group whose latest month is 高效能群: the first month it reports again
    (``recheck_months`` after that month); None for the other classes (every month)."""
    latest = Snapshot.objects.filter(group=group).order_by("-month").first()
    if latest is None or latest.klass != Snapshot.Klass.HIGH:
        return None
    months = policy_in_force("groups.treatments").value.recheck_months
    year, month = divmod(latest.month.month - 1 + months, 12)
    return date(latest.month.year + year, month + 1, 1)
