"""Synthetic events with consistent timelines, for the demo district and benchmarks.

States follow a realistic mix (most closed, some open, a few closed without being
resolved); times follow the daily rhythm, deadlines follow the working calendar, and
some events are overdue, reworked, extended or rated. Rows are written in bulk.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.events import sla
from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import Category, Channel, Event, EventAction, State
from gridgov.events.services import new_tracking_code

PLACES = [
    "小区门口",
    "3号楼楼道",
    "菜场旁",
    "幼儿园门口",
    "地下车库",
    "弄堂口",
    "健身步道",
    "垃圾厢房",
    "公交站旁",
    "12号楼北侧",
    "沿街商铺前",
    "社区广场",
]
# Most events are closed; a district's open queue is a few dozen at any moment.
STATE_MIX = [
    (State.CLOSED, 860),
    (State.HANDLING, 16),
    (State.DISPATCHED, 10),
    (State.HANDLED, 10),
    (State.CLASSIFIED, 4),
    (State.ACCEPTED, 3),
    (State.REPORTED, 6),
    (State.WAITING, 3),
    (State.REJECTED, 30),
    (State.MERGED, 20),
    (State.UNFOUNDED, 20),
    (State.OUT_OF_AREA, 10),
    (State.SUSPENDED, 8),
]
CHANNEL_MIX = [
    (Channel.PATROL, 66),
    (Channel.RESIDENT, 15),
    (Channel.HOTLINE, 14),
    (Channel.DEVICE, 2),
    (Channel.OPEN311, 3),
]
# Reporting hours: a day peak and a quieter evening; nights are rare.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 11, 13, 13, 12, 10, 8, 6, 5, 4, 3, 2]


@dataclass
class GridStaff:
    grid: object  # OrgUnit of level grid
    workers: list
    centre: tuple[float, float]


def _pick(rng: random.Random, mix):
    values, weights = zip(*mix, strict=True)
    return rng.choices(values, weights=weights)[0]


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    day = start + timedelta(days=rng.randrange(max(1, (end - start).days)))
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = timezone.localtime(day).replace(hour=hour, minute=rng.randrange(60), second=0)
    return min(local, end - timedelta(minutes=5))


def build(
    *,
    rng: random.Random,
    staff: list[GridStaff],
    categories: list[Category],
    count: int,
    start: datetime,
    end: datetime,
    calendar: WorkCalendar,
    describe: Callable[[random.Random, Category, object], tuple[str, str]] | None = None,
    state_mix=STATE_MIX,
):
    """Yield (event, [actions]) pairs, not saved. ``describe(rng, category, grid)`` gives
    an event's title and description (the demo writes them from templates); without it,
    a place and a keyword of the category."""
    policy = sla.policy_get("events.sla")
    for _ in range(count):
        place = rng.choice(staff)
        category = rng.choice(categories)
        state = _pick(rng, state_mix)
        # Open events are recent; a tenth of them are overdue.
        if state in (State.REPORTED, State.ACCEPTED):
            reported = end - timedelta(minutes=rng.randrange(5, 6 * 60))
        elif state in (
            State.CLASSIFIED,
            State.DISPATCHED,
            State.HANDLING,
            State.WAITING,
            State.HANDLED,
        ):
            days_back = rng.randrange(8, 20) if rng.random() < 0.15 else rng.randrange(0, 3)
            reported = end - timedelta(days=days_back, minutes=rng.randrange(30, 600))
        else:
            reported = _moment(rng, start, end - timedelta(days=2))
        channel = _pick(rng, CHANNEL_MIX)
        worker = rng.choice(place.workers) if place.workers else None
        lon = place.centre[0] + rng.uniform(-0.002, 0.002)
        lat = place.centre[1] + rng.uniform(-0.002, 0.002)
        if describe is not None:
            title, description = describe(rng, category, place.grid)
        else:
            keyword = rng.choice(category.keywords or [category.name])
            title = f"{rng.choice(PLACES)}{keyword}"
            description = f"{category.name}：{keyword}，请尽快处理。"
        event = Event(
            tracking_code=new_tracking_code(),
            channel=channel,
            state=state,
            title=title[:100],
            description=description,
            lon=lon,
            lat=lat,
            grid=place.grid,
            scope_path=place.grid.path,
            found_by_grid_worker=channel == Channel.PATROL,
            level=Event.Level.GRID,
            responsible_unit=place.grid.parent,
            reported_at=reported,
            accept_due=reported + timedelta(minutes=policy.accept.minutes or 30),
            suggested_category=category,
            suggestion_confidence=round(rng.uniform(0.4, 0.99), 3),
        )
        actions = [("report", "", State.REPORTED, reported, "")]
        t = reported
        if state == State.REPORTED:
            yield event, actions
            continue
        # Accepted within the half hour, now and then late.
        late = rng.random() < 0.04
        t += timedelta(minutes=rng.randrange(31, 90) if late else rng.randrange(2, 28))
        event.accepted_at = t
        if state in (State.REJECTED, State.OUT_OF_AREA, State.MERGED):
            event.closed_at = t
            event.close_reason = {
                "rejected": "信息不全，无法核实",
                "out_of_area": "属于相邻街道",
                "merged": "重复上报",
            }[state]
            actions.append(
                (
                    {"rejected": "reject", "out_of_area": "out_of_area", "merged": "merge"}[state],
                    State.REPORTED,
                    state,
                    t,
                    event.close_reason,
                )
            )
            yield event, actions
            continue
        actions.append(("accept", State.REPORTED, State.ACCEPTED, t, ""))
        if state == State.ACCEPTED:
            yield event, actions
            continue
        t += timedelta(minutes=rng.randrange(1, 30))
        urgency = category.default_urgency
        due, assumed = sla.deadline(t, sla.handle_limit(urgency, category), calendar)
        event.category, event.category_version, event.urgency = category, category.version, urgency
        event.classified_at, event.handle_due, event.calendar_assumed = t, due, assumed
        event.due_soon_at = sla.due_soon_from(t, due)
        event.feedback_due = t + timedelta(hours=24)
        event.department_id = category.department_id
        actions.append(("classify", State.ACCEPTED, State.CLASSIFIED, t, ""))
        if state == State.CLASSIFIED:
            yield event, actions
            continue
        if state == State.UNFOUNDED:
            event.closed_at = t + timedelta(hours=rng.randrange(1, 24))
            event.close_reason = "现场核实不属实"
            actions.append(
                ("unfounded", State.CLASSIFIED, state, event.closed_at, event.close_reason)
            )
            yield event, actions
            continue
        # Dispatch and check-in take a small share of the time limit (minutes for an
        # immediate case, up to an hour or two for a case of several working days).
        limit = (due - t).total_seconds()
        t += timedelta(seconds=min(rng.randrange(3, 60) * 60, limit * rng.uniform(0.02, 0.1)))
        event.assignee, event.dispatched_at = worker, t
        actions.append(("dispatch", State.CLASSIFIED, State.DISPATCHED, t, ""))
        if state == State.DISPATCHED:
            yield event, actions
            continue
        t += timedelta(seconds=min(rng.randrange(5, 120) * 60, limit * rng.uniform(0.05, 0.2)))
        event.checked_in_at = t
        actions.append(("check_in", State.DISPATCHED, State.HANDLING, t, ""))
        if state == State.SUSPENDED:
            event.closed_at = t + timedelta(days=rng.randrange(1, 5))
            event.close_reason = "涉及历史遗留问题，需统筹解决"
            actions.append(
                ("decide_suspension", State.HANDLING, state, event.closed_at, event.close_reason)
            )
            yield event, actions
            continue
        if state in (State.HANDLING, State.WAITING):
            if state == State.WAITING:
                event.paused_at = t + timedelta(hours=1)
                actions.append(
                    (
                        "wait_reporter",
                        State.HANDLING,
                        state,
                        event.paused_at,
                        "等待居民提供补充信息",
                    )
                )
            yield event, actions
            continue
        span = (due - t).total_seconds()
        # Most are handled in time; some run late.
        share = rng.uniform(0.1, 0.8) if rng.random() < 0.96 else rng.uniform(1.05, 2.0)
        t += timedelta(seconds=max(60, span * share))
        if rng.random() < 0.04:
            event.rework_count = 1
            actions.append(("handle", State.HANDLING, State.HANDLED, t, "已处理"))
            t += timedelta(hours=rng.randrange(1, 8))
            actions.append(("verify_fail", State.HANDLED, State.HANDLING, t, "现场仍有问题"))
            t += timedelta(hours=rng.randrange(1, 12))
        event.handled_at, event.result = t, "已到现场处理完毕"
        actions.append(("handle", State.HANDLING, State.HANDLED, t, event.result))
        if state == State.HANDLED or t >= end:
            event.state = State.HANDLED
            yield event, actions
            continue
        # Verified on site soon after, mostly before the deadline.
        left = (due - t).total_seconds()
        wait = rng.randrange(30, 180) * 60
        t += timedelta(seconds=min(wait, left * rng.uniform(0.3, 0.9)) if left > 120 else wait)
        if t >= end:
            event.state = State.HANDLED
            yield event, actions
            continue
        event.closed_at = t
        # Older unrated events have had their rating follow-up already.
        event.rating_followup_sent = t < end - timedelta(hours=48)
        actions.append(("verify_pass", State.HANDLED, State.CLOSED, t, ""))
        if channel != Channel.PATROL and rng.random() < 0.75:
            event.rating = rng.choices([5, 4, 3, 2, 1], weights=[68, 24, 5, 2, 1])[0]
            event.actually_fixed = event.rating >= 3 or rng.random() < 0.3
            event.rated_at = t + timedelta(hours=rng.randrange(1, 30))
            actions.append(("rate", State.CLOSED, State.CLOSED, event.rated_at, ""))
        yield event, actions


def save(pairs, *, batch: int = 2000) -> int:
    """Write events and their timelines in bulk; returns the number of events."""
    total = 0
    buffer = []
    for pair in pairs:
        buffer.append(pair)
        if len(buffer) >= batch:
            total += _flush(buffer)
            buffer = []
    total += _flush(buffer)
    return total


def _flush(pairs) -> int:
    if not pairs:
        return 0
    with transaction.atomic():
        events = Event.objects.bulk_create([e for e, _ in pairs], batch_size=1000)
        steps = [
            EventAction(
                event=event,
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor=event.assignee if action in ("check_in", "handle") else None,
                actor_name=str(event.assignee or "")[:60],
                note=note,
                public=action
                in ("report", "accept", "dispatch", "handle", "verify_pass", "reject", "rate"),
                created_at=at,
            )
            for event, (_e, actions) in zip(events, pairs, strict=True)
            for action, from_state, to_state, at, note in actions
        ]
        EventAction.objects.bulk_create(steps, batch_size=2000)
    return len(pairs)
