"""Deadlines from the time-limit policy and the working calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from gridgov.core.deadlines import deadline_colour
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
    return deadline_colour(now, start, due, due_soon_share=policy_get("events.sla").due_soon_share)


@dataclass(frozen=True)
class Deadline:
    due: datetime
    due_soon_at: datetime | None
    assumed: bool  # Monday–Friday had to be assumed for a year the calendar does not know


# Timeline steps that start the handling clock afresh.
DEADLINE_ANCHORS = ("classify", "reopen")


def handle_deadline_replayed(
    event, *, steps, extensions: dict[datetime, int], calendar: WorkCalendar
) -> Deadline | None:
    """The event's handling deadline computed again from its timeline with ``calendar``.

    From the last registration or reopening, the time limit recorded with it; then, in
    order, each approved extension (working days added to the deadline) and each time the
    clock stopped while waiting for the reporter (the pause added). With the calendar the
    deadline was first computed with this gives the stored deadline back; with a corrected
    calendar, the corrected one.

    Steps recorded before the timeline kept these inputs fall back to the event's current
    time limit, the approved extension requests (``extensions``: decision time → working
    days) and the time between "wait for the reporter" and "reporter replied".
    """
    due = soon = None
    assumed = False
    waiting_since = None
    for step in steps:
        data = step.data or {}
        if step.action in DEADLINE_ANCHORS:
            limit = (
                TimeLimit.model_validate(data["limit"])
                if "limit" in data
                else handle_limit(event.urgency or "deadline", event.category)
            )
            due, assumed = deadline(step.created_at, limit, calendar)
            soon = due_soon_from(step.created_at, due)
            waiting_since = None
        elif due is None:
            continue
        elif step.action == "decide_extension" and data.get("approved"):
            days = data.get("working_days") or extensions.get(step.created_at)
            if days:
                due, more = calendar.add_working_days(timezone.localtime(due), days)
                assumed |= more
                soon = due_soon_from(step.created_at, due)
        elif step.action == "wait_reporter":
            waiting_since = step.created_at
        elif step.action == "reporter_replied":
            pause = None
            if "paused_us" in data:
                pause = timedelta(microseconds=data["paused_us"])
            elif waiting_since is not None and policy_get("events.sla").stop_clock_when_waiting:
                pause = step.created_at - waiting_since
            if pause:
                due += pause
                soon = soon + pause if soon else None
            waiting_since = None
    return Deadline(due, soon, assumed) if due is not None else None
