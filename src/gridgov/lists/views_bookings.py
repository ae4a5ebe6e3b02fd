"""Pages of bookable resources (phone-first): the bookable rooms and equipment with the
requests waiting for approval and one's own bookings; a resource's week calendar (a day
list on phones, a week grid on desktops) with its utilisation; the booking form; a booking
with its actions; the booking settings of a resource. They call the same services and
selectors as the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.lists import booking_selectors as selectors
from gridgov.lists import booking_services as services
from gridgov.lists import selectors as list_selectors
from gridgov.lists.models import BookableSpace, Booking
from gridgov.lists.workflow import BOOKING_MACHINE

PAGE = 100
STATUS_LABELS = {
    "free": _l("available"),
    "pending": _l("pending approval"),
    "booked": _l("booked"),
    "used": _l("used"),
    "no_show": _l("no-show"),
    "past": _l("past"),
}


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _reason_text(booking: Booking) -> str:
    if booking.reason == "not_decided_in_time":
        return _("Not decided before the slot began.")
    return booking.reason


@requires("lists.view")
def booking_list(request):
    user = request.user
    spaces = list(selectors.space_list(actor=user)[:PAGE])
    month = timezone.localdate().replace(day=1)
    rates = {u.space.pk: u for u in selectors.booking_utilisation(month=month, actor=user)}
    waiting, waiting_count = [], 0
    keeps = user.has_permission("lists.manage")
    if keeps:
        pending = selectors.booking_list(actor=user, state=Booking.State.REQUESTED).filter(
            selectors.keeper_filter(user)
        )
        waiting, waiting_count = list(pending[:PAGE]), pending.count()
    mine = list(selectors.booking_list(actor=user, mine=True, upcoming=True)[:PAGE])
    return render(
        request,
        "lists/booking_list.html",
        {
            "rows": [{"space": s, "rate": rates.get(s.pk)} for s in spaces],
            "waiting": waiting,
            "waiting_count": waiting_count,
            "keeps": keeps,
            "mine": mine,
            "month": month,
        },
    )


def _week_start(raw: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = timezone.localdate()
    return day - timedelta(days=day.weekday())


def _grid(days: list[selectors.Day]) -> list[dict]:
    """The desktop grid: one row per slot start time of the week, one cell per day (None
    where the day has no such slot)."""
    times = sorted({timezone.localtime(s.start).time() for d in days for s in d.slots})
    rows = []
    for at in times:
        cells = []
        for d in days:
            slot = next((s for s in d.slots if timezone.localtime(s.start).time() == at), None)
            cells.append(slot)
        rows.append({"time": at, "cells": cells})
    return rows


@requires("lists.view")
def space_calendar(request, uid):
    user = request.user
    space = selectors.space_get(actor=user, uid=uid)
    first = _week_start(request.GET.get("week", ""))
    days = selectors.week_calendar(actor=user, space=space, first=first)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    utilisation = [
        selectors.booking_utilisation(month=m, space=space)[0] for m in (last_month, this_month)
    ]
    can_book = (
        user.has_permission("lists.book")
        and space.is_open
        and space.resource.status == space.resource.Status.ACTIVE
    )
    return render(
        request,
        "lists/booking_calendar.html",
        {
            "space": space,
            "resource": space.resource,
            "days": [
                {
                    "day": d,
                    "name": services.WEEKDAY_NAMES[d.day.weekday()],
                    "is_today": d.day == today,
                }
                for d in days
            ],
            "grid": _grid(days),
            "week": first,
            "prev_week": first - timedelta(days=7),
            "next_week": first + timedelta(days=7),
            "week_end": first + timedelta(days=6),
            "this_week": today - timedelta(days=today.weekday()),
            "labels": STATUS_LABELS,
            "can_book": can_book,
            "can_manage": path_in_scope(user, space.resource.scope_path, "lists.manage"),
            "utilisation": utilisation,
            "schedule": [
                (services.WEEKDAY_NAMES[d], space.schedule.get(str(d), [])) for d in range(7)
            ],
        },
    )


@requires("lists.book")
def booking_create(request, uid):
    user = request.user
    space = selectors.space_get(actor=user, uid=uid)
    errors = None
    raw_start = request.POST.get("start") or request.GET.get("start", "")
    if request.method == "POST":
        post = request.POST
        try:
            booking = services.booking_create(
                actor=user,
                data=services.BookingInput(
                    resource=space.resource.uid,
                    start=post.get("start", ""),
                    slots=post.get("slots", "1"),
                    purpose=post.get("purpose", ""),
                    attendees=post.get("attendees", ""),
                    applicant_name=post.get("applicant_name", ""),
                    applicant_phone=post.get("applicant_phone", ""),
                    group_name=post.get("group_name", ""),
                ),
            )
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            if booking.state == Booking.State.APPROVED:
                messages.success(request, _("Booked."))
            else:
                messages.success(request, _("Requested: the keeper will approve or reject it."))
            return redirect("lists:booking_detail", uid=booking.uid)
    start = None
    try:
        start = datetime.fromisoformat(raw_start) if raw_start else None
    except ValueError:
        start = None
    if start is not None and timezone.is_naive(start):
        start = timezone.make_aware(start)
    rules = services.policy_in_force("lists.bookings").value
    return render(
        request,
        "lists/booking_form.html",
        {
            "space": space,
            "resource": space.resource,
            "start": timezone.localtime(start) if start else None,
            "raw_start": raw_start,
            "slot_choices": range(1, rules.max_slots + 1),
            "posted": request.POST if request.method == "POST" else {},
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@requires("lists.view")
def booking_detail(request, uid):
    booking = selectors.booking_get(actor=request.user, uid=uid)
    offered = BOOKING_MACHINE.offered(request.user, booking)
    return render(
        request,
        "lists/booking_detail.html",
        {
            "booking": booking,
            "resource": booking.space.resource,
            "reason": _reason_text(booking),
            "actions": [(a, BOOKING_MACHINE.transitions[a]) for a in offered],
            "needs_reason": any(BOOKING_MACHINE.transitions[a].needs_reason for a in offered),
        },
    )


@requires("lists.book")
@require_POST
def booking_action(request, uid):
    booking = selectors.booking_get(actor=request.user, uid=uid)
    try:
        services.booking_transition(
            actor=request.user,
            booking=booking,
            action=request.POST.get("action", ""),
            version=_version(request),
            reason=request.POST.get("reason", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("lists:booking_detail", uid=booking.uid)


@requires("lists.manage")
def space_edit(request, uid):
    """Make a resource bookable, or change its opening hours, slots, approval, capacity."""
    resource = list_selectors.resource_get(actor=request.user, uid=uid, action="manage")
    space = BookableSpace.objects.filter(resource=resource).first()
    errors = None
    if request.method == "POST":
        post = request.POST
        data = {
            "kind": post.get("kind", ""),
            "schedule": {str(d): post.get(f"schedule_{d}", "") for d in range(7)},
            "slot_minutes": post.get("slot_minutes", ""),
            "capacity_people": post.get("capacity_people", ""),
            "needs_approval": post.get("needs_approval") == "1",
            "is_open": post.get("is_open") == "1",
        }
        try:
            services.space_save(
                actor=request.user,
                resource=resource,
                data=data,
                version=_version(request) if space is not None else None,
            )
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("lists:space_calendar", uid=resource.uid)
    if request.method == "POST":
        posted = request.POST
    elif space is not None:
        posted = {
            "kind": space.kind,
            "slot_minutes": space.slot_minutes,
            "capacity_people": space.capacity_people,
            "needs_approval": "1" if space.needs_approval else "",
            "is_open": "1" if space.is_open else "",
            **{
                f"schedule_{d}": ", ".join(f"{a}-{b}" for a, b in space.schedule.get(str(d), []))
                for d in range(7)
            },
        }
    else:
        posted = {
            "kind": "room",
            "slot_minutes": 60,
            "capacity_people": 20,
            "needs_approval": "1",
            "is_open": "1",
            **{f"schedule_{d}": "08:30-11:30, 13:30-17:30" for d in range(5)},
        }
    return render(
        request,
        "lists/booking_space_form.html",
        {
            "resource": resource,
            "space": space,
            "posted": posted,
            "errors": errors,
            "kinds": BookableSpace.Kind.choices,
            "weekdays": [(d, services.WEEKDAY_NAMES[d], f"schedule_{d}") for d in range(7)],
        },
        status=400 if errors else 200,
    )
