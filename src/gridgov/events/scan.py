"""The periodic scan: due-soon notices, overdue escalation along the ladder
(grid → community → street → district), late acceptance, and the rating follow-up.

Idempotent: each effect is guarded by a conditional update (``overdue_level`` below the
rung, ``due_soon_notified`` false, ``rating_followup_sent`` false), so two scans running
at once, or a scan retried, never escalate or notify twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.selectors import unit_staff
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import notifications
from gridgov.core.policies import policy_get
from gridgov.events import routing
from gridgov.events.models import CLOCK_STATES, Event, EventAction, State

ACTIVE_STATES = CLOCK_STATES
LADDER = ["community", "street", "district"]
SCANNER = SystemActor("events.scan")
BATCH = 500


@dataclass
class ScanResult:
    due_soon: int = 0
    escalated: int = 0
    late_acceptance: int = 0
    rating_followups: int = 0


def scan(now: datetime | None = None) -> ScanResult:
    now = now or timezone.now()
    result = ScanResult()
    result.due_soon = _due_soon(now)
    result.escalated = _escalate(now)
    result.late_acceptance = _late_acceptance(now)
    result.rating_followups = _rating_followups(now)
    return result


def _due_soon(now) -> int:
    due = (
        Event.objects.filter(
            due_soon_notified=False,
            due_soon_at__lte=now,
            handle_due__gt=now,
            state__in=ACTIVE_STATES,
            paused_at__isnull=True,
        )
        .select_related("assignee")
        .only("pk", "handle_due", "assignee", "tracking_code")
        .order_by("due_soon_at")  # in the partial index's order: the planner reads it
    )
    count = 0
    for event in due[:BATCH]:
        if Event.objects.filter(pk=event.pk, due_soon_notified=False).update(
            due_soon_notified=True
        ):
            count += 1
            if event.assignee_id:
                notifications.inbox(
                    [event.assignee],
                    kind="due_soon",
                    message=_("Event %(code)s is due soon.") % {"code": event.tracking_code},
                    subject=event,
                    key=f"due_soon:{event.pk}:{event.handle_due.isoformat()}",
                )
    return count


def _escalate(now) -> int:
    ladder = policy_get("events.escalation").ladder_hours
    total = 0
    # Highest rung first, so an event long overdue climbs straight to where it belongs.
    for rung in range(len(LADDER), 0, -1):
        cutoff = now - timedelta(hours=ladder[rung - 1])
        level = LADDER[rung - 1]
        while True:
            ids = list(
                Event.objects.filter(
                    state__in=ACTIVE_STATES,
                    paused_at__isnull=True,
                    handle_due__lt=cutoff,
                    overdue_level__lt=rung,
                )
                .order_by("handle_due")  # most overdue first, straight from the partial index
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            for pk in ids:
                total += _escalate_one(pk, rung, level, now)
    return total


def _escalate_one(pk: int, rung: int, level: str, now) -> int:
    with transaction.atomic():
        event = (
            Event.objects.select_for_update()
            .filter(pk=pk, overdue_level__lt=rung, state__in=ACTIVE_STATES)
            .first()
        )
        if event is None:
            return 0  # another scan got there first
        unit = routing.ancestor_at(event.scope_path, level) or event.responsible_unit
        Event.objects.filter(pk=pk).update(
            overdue_level=rung,
            level=level,
            responsible_unit=unit,
            version=event.version + 1,
            updated_at=now,
        )
        EventAction.objects.create(
            event=event,
            action="overdue_escalate",
            from_state=event.state,
            to_state=event.state,
            actor_name=f"system:{SCANNER.name}",
            data={"level": level},
            created_at=now,
        )
        audit_record(
            "events.event.escalate_overdue",
            actor=SCANNER,
            target=event,
            changes={"level": level, "rung": rung},
        )
    notifications.inbox(
        unit_staff(unit, "events.dispatch") + ([event.assignee] if event.assignee_id else []),
        kind="overdue",
        message=_("Event %(code)s is overdue and escalated to you: %(title)s")
        % {"code": event.tracking_code, "title": event.title},
        subject=event,
        key=f"overdue:{event.pk}:{rung}",
    )
    return 1


def _late_acceptance(now) -> int:
    late = (
        Event.objects.filter(state=State.REPORTED, accept_late_notified=False, accept_due__lt=now)
        .only("pk", "scope_path", "tracking_code")
        .order_by("accept_due")
    )
    count = 0
    for event in late[:BATCH]:
        if not Event.objects.filter(pk=event.pk, accept_late_notified=False).update(
            accept_late_notified=True
        ):
            continue  # another scan took it
        community = routing.ancestor_at(event.scope_path, "community")
        count += 1
        notifications.inbox(
            unit_staff(community, "events.dispatch"),
            kind="accept_late",
            message=_("Event %(code)s waits to be accepted.") % {"code": event.tracking_code},
            subject=event,
            key=f"accept_late:{event.pk}",
        )
    return count


def _rating_followups(now) -> int:
    from gridgov.events.services import _tell_reporter

    hours = policy_get("events.loop").rating_followup_hours
    due = Event.objects.filter(
        state=State.CLOSED,
        rated_at__isnull=True,
        rating_followup_sent=False,
        closed_at__lt=now - timedelta(hours=hours),
    ).order_by("closed_at")[:BATCH]
    count = 0
    for event in due:
        if Event.objects.filter(pk=event.pk, rating_followup_sent=False).update(
            rating_followup_sent=True
        ):
            _tell_reporter(
                event,
                _("Was your report %(code)s actually fixed? Please tell us and rate it.")
                % {"code": event.tracking_code},
            )
            count += 1
    return count
