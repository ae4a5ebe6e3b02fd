"""Deadlines from the time-limit policy and the working calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from gridgov.core.policies import policy_get
from gridgov.events.calendar import WorkCalendar
from gridgov.events.policies import TimeLimit


def deadline(
    start: datetime, limit: TimeLimit, calendar: WorkCalendar | None = None
) -> tuple[datetime, bool]:
    """``start`` plus a time limit; working days are counted in local (China) time (the
    calendar is read only when a limit is in working days)."""
    if limit.minutes is not None:
        return start + timedelta(minutes=limit.minutes), False
    if limit.hours is not None:
        return start + timedelta(hours=limit.hours), False
    local = timezone.localtime(start)
    due, assumed = (calendar or WorkCalendar.load()).add_working_days(local, limit.working_days)
    return due, assumed


def handle_limit(urgency: str, category=None) -> TimeLimit:
    """The urgency tier's limit, unless the category overrides it."""
    if category is not None and urgency in (category.sla_overrides or {}):
        return TimeLimit.model_validate(category.sla_overrides[urgency])
    return policy_get("events.sla").urgency[urgency]


def due_soon_from(start: datetime | None, due: datetime | None) -> datetime | None:
    """When the warning starts: the policy's share of the limit before the deadline."""
    if start is None or due is None:
        return None
    return due - (due - start) * policy_get("events.sla").due_soon_share


def sla_colour(now: datetime, start: datetime | None, due: datetime | None) -> str:
    """green / yellow (due soon) / red (overdue) for queues and countdowns."""
    if due is None:
        return "secondary"
    if now >= due:
        return "danger"
    share = policy_get("events.sla").due_soon_share
    if start is not None and (due - now) <= (due - start) * share:
        return "warning"
    return "success"
