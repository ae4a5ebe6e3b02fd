"""Reads of the quarterly cross-checks (``groups.view`` in the actor's area): a group's
checks with their snapshots and discrepancies, and the quarter's board of the registered
groups — due, overdue, done (or done late), not open yet."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from gridgov.groups.models import CrossCheck, CrossCheckItem, Group, Snapshot
from gridgov.groups.services_crosschecks import (
    DONE,
    DONE_LATE,
    DUE,
    OVERDUE,
    UPCOMING,
    next_quarter,
    quarter_months,
    window,
)


def crosscheck_list(*, actor, group: Group | None = None, quarter: date | None = None) -> QuerySet:
    qs = (
        CrossCheck.objects.visible_to(actor, "view")
        .select_related("group", "group__community")
        .prefetch_related(
            Prefetch(
                "items",
                CrossCheckItem.objects.select_related("snapshot").prefetch_related("discrepancies"),
            )
        )
    )
    if group is not None:
        qs = qs.filter(group=group)
    if quarter is not None:
        qs = qs.filter(quarter=quarter)
    return qs


def due_of_quarter(quarter: date) -> Q:
    """The groups a quarter's check is asked of: on file before the quarter ended, or with
    a report of one of its months (a group registered later with its past months)."""
    end = timezone.make_aware(datetime.combine(next_quarter(quarter), time.min))
    months = quarter_months(quarter)
    reported = Snapshot.objects.filter(
        group=OuterRef("pk"), month__gte=months[0], month__lte=months[-1]
    )
    return Q(created_at__lt=end) | Q(Exists(reported))


def registered_groups(*, actor, quarter: date) -> QuerySet:
    """The registered, active groups of the actor's area a check of the quarter is asked
    of."""
    return (
        Group.objects.visible_to(actor, "view")
        .filter(due_of_quarter(quarter), state=Group.State.APPROVED, status=Group.Status.ACTIVE)
        .select_related("community", "grid")
        .order_by("community__code", "name")
    )


def crosscheck_board(*, actor, quarter: date, today: date) -> dict:
    """{"window", "rows": [{group, status, check}], "counts": {status: n}} for the quarter,
    the overdue groups first."""
    span = window(quarter)
    checks = {
        c.group_id: c for c in CrossCheck.objects.visible_to(actor, "view").filter(quarter=quarter)
    }
    rows = []
    counts = dict.fromkeys((DUE, OVERDUE, DONE, DONE_LATE, UPCOMING), 0)
    for group in registered_groups(actor=actor, quarter=quarter):
        check = checks.get(group.pk)
        status = span.status(today, check)
        counts[status] += 1
        rows.append({"group": group, "status": status, "check": check})
    # What needs doing first: overdue, then due; the done ones last (stable: by name).
    order = {OVERDUE: 0, DUE: 1, UPCOMING: 2, DONE_LATE: 3, DONE: 4}
    rows.sort(key=lambda r: order[r["status"]])
    return {"window": span, "rows": rows, "counts": counts}
