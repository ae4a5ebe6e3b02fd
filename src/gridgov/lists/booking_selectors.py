"""Reads of bookable resources: which ones the actor sees, their opening hours cut into
slots, the week calendar (free / pending / booked per slot) and the monthly utilisation.

A bookable resource is read by whoever sees its resource (``ResourceQuerySet.visible_to``:
the keeper's subtree and the units below it). A booking is read in the keeper's subtree and
in the subtree of the unit it was booked for (``BookingQuerySet.visible_to``); on the
calendar, a slot taken by a booking the reader may not see shows as taken, without details.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.core.scoping import access_object
from gridgov.lists.models import BookableSpace, Booking, Resource


def space_list(*, actor, kind: str = "", open_only: bool = False) -> QuerySet[BookableSpace]:
    qs = BookableSpace.objects.filter(resource__in=Resource.objects.visible_to(actor)).exclude(
        resource__status=Resource.Status.RETIRED
    )
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(is_open=True, resource__status=Resource.Status.ACTIVE)
    return qs.select_related("resource__owner").order_by("resource__name", "id")


def space_get(*, actor, uid, action: str = "view") -> BookableSpace:
    """The bookable resource by its resource's uid (``NotFound`` when the resource is out of
    the actor's scope or not bookable)."""
    resource = access_object(actor, Resource.objects.select_related("owner"), action, uid=uid)
    try:
        return BookableSpace.objects.select_related("resource__owner").get(resource=resource)
    except BookableSpace.DoesNotExist as exc:
        raise NotFound() from exc


def booking_list(
    *,
    actor,
    state: str = "",
    space: BookableSpace | None = None,
    mine: bool = False,
    upcoming: bool = False,
) -> QuerySet[Booking]:
    qs = Booking.objects.visible_to(actor).select_related("space__resource")
    if state:
        qs = qs.filter(state=state)
    if space is not None:
        qs = qs.filter(space=space)
    if mine:
        qs = qs.filter(requested_by=actor)
    if upcoming:
        qs = qs.filter(end_at__gte=timezone.now())
    return qs.order_by("start_at", "id")


def booking_get(*, actor, uid, action: str = "view") -> Booking:
    return access_object(
        actor, Booking.objects.select_related("space__resource__owner", "resident"), action, uid=uid
    )


def keeper_filter(actor) -> Q:
    """Bookings of resources the actor keeps (``lists.manage`` in the keeper's scope): the
    ones they approve."""
    query = Q(pk__in=[])
    for path in actor.scope_paths("lists.manage"):
        query |= Q(scope_path__startswith=path)
    return query


# Opening hours and slots --------------------------------------------------------------------


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def open_intervals(space: BookableSpace, day: date) -> list[tuple[datetime, datetime]]:
    """The opening hours of ``day`` (local time, aware), in order."""
    out = []
    for start, end in space.schedule.get(str(day.weekday()), []):
        out.append(
            (
                timezone.make_aware(datetime.combine(day, _hm(start))),
                timezone.make_aware(datetime.combine(day, _hm(end))),
            )
        )
    return sorted(out)


def day_slots(space: BookableSpace, day: date) -> list[tuple[datetime, datetime]]:
    """The day's slots: each opening interval cut into ``slot_minutes`` (a remainder shorter
    than a slot is not bookable)."""
    step = timedelta(minutes=space.slot_minutes)
    out = []
    for start, end in open_intervals(space, day):
        at = start
        while at + step <= end:
            out.append((at, at + step))
            at += step
    return out


def open_hours(space: BookableSpace, first: date, last: date) -> float:
    """Bookable hours between two dates (inclusive): the slots, not the raw opening hours."""
    total = 0.0
    day = first
    while day <= last:
        total += len(day_slots(space, day)) * space.slot_minutes / 60
        day += timedelta(days=1)
    return total


@dataclass
class Slot:
    start: datetime
    end: datetime
    status: str  # free, pending, booked, used, no_show, past
    booking: Booking | None = None
    visible: bool = False  # the reader may open the booking


@dataclass
class Day:
    day: date
    slots: list[Slot] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(1 for s in self.slots if s.status == "free")

    @property
    def current(self) -> list[Slot]:
        """The slots worth listing on a phone: all but the past ones nobody booked."""
        return [s for s in self.slots if s.status != "past"]


_STATUS = {
    Booking.State.REQUESTED: "pending",
    Booking.State.APPROVED: "booked",
    Booking.State.CHECKED_IN: "used",
    Booking.State.COMPLETED: "used",
    Booking.State.NO_SHOW: "no_show",
}


def week_calendar(*, actor, space: BookableSpace, first: date, days: int = 7) -> list[Day]:
    """``days`` days from ``first``: every slot with its status. Slots of bookings that hold
    or held the resource (requested, approved, checked in, completed, no-show) carry the
    booking; cancelled and rejected bookings free their slots."""
    begin = timezone.make_aware(datetime.combine(first, time.min))
    finish = begin + timedelta(days=days)
    bookings = list(
        Booking.objects.filter(
            space=space, start_at__lt=finish, end_at__gt=begin, state__in=list(_STATUS)
        ).order_by("start_at")
    )
    visible = (
        set(
            Booking.objects.visible_to(actor)
            .filter(pk__in=[b.pk for b in bookings])
            .values_list("pk", flat=True)
        )
        if bookings
        else set()
    )
    now = timezone.now()
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        entry = Day(day)
        for start, end in day_slots(space, day):
            booking = next((b for b in bookings if b.start_at < end and b.end_at > start), None)
            if booking is not None:
                status = _STATUS[booking.state]
            else:
                status = "past" if start < now else "free"
            entry.slots.append(
                Slot(start, end, status, booking, booking is not None and booking.pk in visible)
            )
        out.append(entry)
    return out


# Utilisation ----------------------------------------------------------------------------------


@dataclass
class Utilisation:
    """One bookable resource in one month. ``open_hours``: its bookable hours that month;
    ``used_hours``: hours of bookings checked in or completed; ``booked_hours``: those plus
    the approved bookings still to come; ``no_show_hours``: approved bookings nobody came to
    (counted apart, not as use). ``utilisation`` = used ÷ open; ``idle`` = 1 − utilisation."""

    space: BookableSpace
    month: date
    open_hours: float
    used_hours: float
    booked_hours: float
    no_show_hours: float
    no_shows: int
    bookings: int

    @property
    def utilisation(self) -> float | None:
        return round(self.used_hours / self.open_hours, 4) if self.open_hours else None

    @property
    def idle(self) -> float | None:
        rate = self.utilisation
        return None if rate is None else round(1 - rate, 4)


def _month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    last = first.replace(day=_calendar.monthrange(first.year, first.month)[1])
    return first, last


def _hours_in(booking: Booking, begin: datetime, finish: datetime) -> float:
    start = max(booking.start_at, begin)
    end = min(booking.end_at, finish)
    return max(0.0, (end - start).total_seconds() / 3600)


def booking_utilisation(
    *, month: date, actor=None, space: BookableSpace | None = None
) -> list[Utilisation]:
    """Utilisation per bookable resource for the month holding ``month``: of one resource,
    of those the actor sees, or (no actor: a system job, e.g. the facilities' idle rates)
    of all. Bookings crossing the month's edge count only their hours inside it."""
    first, last = _month_bounds(month)
    begin = timezone.make_aware(datetime.combine(first, time.min))
    finish = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    if space is not None:
        spaces = [space]
    elif actor is not None:
        spaces = list(space_list(actor=actor))
    else:
        spaces = list(BookableSpace.objects.select_related("resource").order_by("id"))
    rows = Booking.objects.filter(
        Q(space__in=spaces),
        start_at__lt=finish,
        end_at__gt=begin,
        state__in=[*Booking.USED_STATES, Booking.State.APPROVED, Booking.State.NO_SHOW],
    )
    by_space: dict[int, list[Booking]] = {}
    for booking in rows:
        by_space.setdefault(booking.space_id, []).append(booking)
    out = []
    for item in spaces:
        used = booked = no_show = 0.0
        no_shows = count = 0
        for booking in by_space.get(item.pk, []):
            hours = _hours_in(booking, begin, finish)
            count += 1
            if booking.state in Booking.USED_STATES:
                used += hours
                booked += hours
            elif booking.state == Booking.State.APPROVED:
                booked += hours
            else:
                no_show += hours
                no_shows += 1
        out.append(
            Utilisation(
                space=item,
                month=first,
                open_hours=open_hours(item, first, last),
                used_hours=round(used, 2),
                booked_hours=round(booked, 2),
                no_show_hours=round(no_show, 2),
                no_shows=no_shows,
                bookings=count,
            )
        )
    return out
