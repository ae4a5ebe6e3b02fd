"""Reads of the grid workforce: the workers in the reader's area (people with a grid
assignment there that runs today), each with their duty, profile, the year's training hours
against the policy, whether a certificate is valid (持证上岗) and the re-tests due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.core.scoping import path_filter
from gridgov.operations.models import Certificate, TrainingRecord, WorkerProfile
from gridgov.operations.policies_workforce import workforce_policy
from gridgov.org.models import GridAssignment

WORKER_DUTIES = (GridAssignment.Duty.FULL_TIME, GridAssignment.Duty.PART_TIME)


def running(on: date) -> Q:
    return Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on))


def assignments_in_scope(*, actor, permission: str = "operations.view", on: date | None = None):
    """The grid workers' assignments running ``on`` (today) in the actor's area."""
    scope = path_filter(actor, permission, field="grid__path")
    if scope is None:
        return GridAssignment.objects.none()
    return GridAssignment.objects.filter(
        scope, running(on or timezone.localdate()), duty__in=WORKER_DUTIES
    ).select_related("grid", "user")


def worker_path(*, actor, user_id, permission: str = "operations.view") -> tuple:
    """(the worker, the path of a grid of theirs in the actor's area) or NotFound."""
    assignment = (
        assignments_in_scope(actor=actor, permission=permission)
        .filter(user_id=user_id)
        .order_by("grid__path")
        .first()
    )
    if assignment is None:
        raise NotFound()
    return assignment.user, assignment.grid.path


@dataclass
class Hours:
    professional: float = 0.0
    tools: float = 0.0
    total: float = 0.0


def hours_in_year(user_ids, year: int) -> dict[int, Hours]:
    """{user id: the year's training hours by what they count as}, in one grouped query."""
    categories = workforce_policy().training_categories
    out: dict[int, Hours] = {}
    rows = (
        TrainingRecord.objects.filter(user_id__in=user_ids, held_on__year=year)
        .values("user_id", "category")
        .annotate(h=Sum("hours"))
        .order_by()
    )
    for row in rows:
        box = out.setdefault(row["user_id"], Hours())
        hours = float(row["h"] or Decimal(0))
        box.total += hours
        counts = categories[row["category"]].counts_as if row["category"] in categories else ""
        if counts == "professional":
            box.professional += hours
        elif counts == "tools":
            box.tools += hours
    return out


def certified_on(user_ids, on: date) -> set[int]:
    """The users holding a certificate valid ``on``."""
    return set(
        Certificate.objects.filter(user_id__in=user_ids, issued_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .values_list("user_id", flat=True)
    )


def retests_due(user_ids, on: date) -> dict[int, int]:
    """{user id: professional trainings with a test, held ``retest_days`` or more ago, not
    tested again yet} (S004: skills fade three months after training)."""
    policy = workforce_policy()
    professional = [
        c for c, cat in policy.training_categories.items() if cat.counts_as == "professional"
    ]
    out: dict[int, int] = {}
    for user_id in (
        TrainingRecord.objects.filter(
            user_id__in=user_ids,
            category__in=professional,
            score__isnull=False,
            retest_of__isnull=True,
            held_on__lte=on - timedelta(days=policy.retest_days),
            retests__isnull=True,
        )
        .values_list("user_id", flat=True)
        .order_by()
    ):
        out[user_id] = out.get(user_id, 0) + 1
    return out


@dataclass
class WorkerRow:
    user: object
    duty: str
    grids: list = field(default_factory=list)
    profile: WorkerProfile | None = None
    hours: Hours = field(default_factory=Hours)
    certified: bool = False
    retests_due: int = 0

    @property
    def meets_professional(self) -> bool:
        return self.hours.professional >= workforce_policy().professional_hours_min

    @property
    def meets_tools(self) -> bool:
        return self.hours.tools >= workforce_policy().tools_hours_min


def worker_row(*, actor, user_id) -> WorkerRow:
    """One worker of the actor's area (NotFound otherwise) with the year's figures."""
    rows = worker_rows(actor=actor, user_id=user_id)
    if not rows:
        raise NotFound()
    return rows[0]


def worker_rows(*, actor, year: int | None = None, user_id=None) -> list[WorkerRow]:
    today = timezone.localdate()
    year = year or today.year
    rows: dict[int, WorkerRow] = {}
    assignments = assignments_in_scope(actor=actor)
    if user_id is not None:
        assignments = assignments.filter(user_id=user_id)
    for a in assignments.order_by("grid__path", "user__username"):
        row = rows.setdefault(a.user_id, WorkerRow(user=a.user, duty=a.duty))
        row.grids.append(a.grid)
        if a.duty == GridAssignment.Duty.FULL_TIME:
            row.duty = a.duty
    ids = list(rows)
    profiles = {p.user_id: p for p in WorkerProfile.objects.filter(user_id__in=ids)}
    hours = hours_in_year(ids, year)
    certified = certified_on(ids, today)
    due = retests_due(ids, today)
    for user_id, row in rows.items():
        row.profile = profiles.get(user_id)
        row.hours = hours.get(user_id, Hours())
        row.certified = user_id in certified
        row.retests_due = due.get(user_id, 0)
    return list(rows.values())


def by_grid(prefix: str, moment, test) -> dict[str, list]:
    """{grid path: [workers passing ``test(user_id)``, workers]} for the grid workers with an
    assignment running at ``moment`` under ``prefix`` (a worker counts in each grid)."""
    on = timezone.localtime(moment - timedelta(microseconds=1)).date()
    out: dict[str, list] = {}
    pairs = set(
        GridAssignment.objects.filter(
            running(on), duty__in=WORKER_DUTIES, grid__path__startswith=prefix
        ).values_list("grid__path", "user_id")
    )
    passing = test({u for _p, u in pairs}, on)
    for path, user_id in pairs:
        box = out.setdefault(path, [0, 0])
        box[1] += 1
        box[0] += int(user_id in passing)
    return out
