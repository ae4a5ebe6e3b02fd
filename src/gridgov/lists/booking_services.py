"""Writes of bookable resources (设备共享库 · 空间共享计划): making a resource bookable, and
bookings with their state machine (``lists.workflow.BOOKING_MACHINE``).

Every write checks permission and scope, writes one audit record in the same transaction
and fails as a whole. Two bookings racing for the same slot: the booking locks the bookable
resource's row, then looks for an overlapping booking that holds the slot (requested,
approved, checked in); the second one waits for the lock, finds the first and gets a 409
``slot_taken``. On PostgreSQL an exclusion constraint (migration ``0003``) refuses the
overlap in the database as well.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import encrypt_field
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.masking import mask_name, mask_phone
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import access_object, require_in_scope
from gridgov.core.validators import FieldInvalid, normalise_phone
from gridgov.lists import booking_selectors as selectors
from gridgov.lists.models import BookableSpace, Booking, Resource
from gridgov.lists.services import _int, _name, _text
from gridgov.lists.workflow import BOOKING_MACHINE

SYSTEM = SystemActor("lists-bookings")
WEEKDAYS = range(7)
# The schedule's day numbers, named (0 = Monday).
WEEKDAY_NAMES = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


# Making a resource bookable -------------------------------------------------------------------


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_schedule(raw: Any, errors: dict) -> dict[str, list[list[str]]]:
    """Opening hours per weekday (0 = Monday): ``{"0": [["08:30", "11:30"], …]}``, or per
    weekday a text ``"08:30-11:30, 13:30-17:30"`` (the form's). Intervals must not overlap."""
    out: dict[str, list[list[str]]] = {}
    if not isinstance(raw, dict):
        errors["schedule"] = [_("Give the opening hours per weekday.")]
        return out
    for key, value in raw.items():
        if str(key) not in {str(d) for d in WEEKDAYS}:
            errors["schedule"] = [_("Weekdays are numbered 0 (Monday) to 6 (Sunday).")]
            return {}
        if isinstance(value, str):
            parts = [p.strip() for p in re.split(r"[,，;；\s]+", value) if p.strip()]
            value = [p.replace("–", "-").split("-", 1) for p in parts]
        if value is not None and not isinstance(value, (list, tuple)):
            errors[f"schedule_{key}"] = [_("Write opening hours as 08:30-11:30, 13:30-17:30.")]
            continue
        intervals = []
        for item in value or []:
            if (
                not isinstance(item, (list, tuple))
                or len(item) != 2
                or not all(isinstance(t, str) and _TIME.match(t.strip()) for t in item)
            ):
                errors[f"schedule_{key}"] = [_("Write opening hours as 08:30-11:30, 13:30-17:30.")]
                break
            start, end = item[0].strip(), item[1].strip()
            if _minutes(end) <= _minutes(start):
                errors[f"schedule_{key}"] = [_("An opening interval must end after it starts.")]
                break
            intervals.append([start, end])
        intervals.sort(key=lambda i: _minutes(i[0]))
        for before, after in zip(intervals, intervals[1:], strict=False):
            if _minutes(after[0]) < _minutes(before[1]):
                errors[f"schedule_{key}"] = [_("Opening intervals of one day must not overlap.")]
        if intervals:
            out[str(key)] = intervals
    return out


def _clean_space(data: dict, errors: dict) -> dict:
    clean: dict[str, Any] = {}
    kind = data.get("kind") or BookableSpace.Kind.ROOM
    if kind not in BookableSpace.Kind.values:
        errors["kind"] = [_("Choose a valid %(field)s.") % {"field": _("kind")}]
    clean["kind"] = kind
    clean["schedule"] = parse_schedule(data.get("schedule") or {}, errors)
    slot = _int(data.get("slot_minutes"), "slot_minutes", errors, 15, 480, _("Slot length"))
    if slot is None and "slot_minutes" not in errors:
        errors["slot_minutes"] = [_("Give the slot length in minutes.")]
    elif slot is not None and slot % 15:
        errors["slot_minutes"] = [_("The slot length is a multiple of 15 minutes.")]
    clean["slot_minutes"] = slot
    people = _int(data.get("capacity_people"), "capacity_people", errors, 1, 10000, _("Capacity"))
    if people is None and "capacity_people" not in errors:
        errors["capacity_people"] = [_("Give how many people it holds.")]
    clean["capacity_people"] = people
    clean["needs_approval"] = bool(data.get("needs_approval"))
    clean["is_open"] = bool(data.get("is_open", True))
    if not clean["schedule"] and not any(k.startswith("schedule") for k in errors):
        errors["schedule"] = [_("Give the opening hours of at least one weekday.")]
    return clean


def space_save(
    *, actor, resource: Resource, data: dict, version: int | None = None
) -> BookableSpace:
    """Make a resource bookable or change its booking settings (``version``: the one read,
    for a change). Bookings already made keep their times."""
    require_in_scope(actor, resource.scope_path, "lists.manage")
    errors: dict[str, list[str]] = {}
    clean = _clean_space(data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = BookableSpace.objects.select_for_update().filter(resource=resource).first()
        created = current is None
        if created:
            current = BookableSpace(resource=resource)
        elif version is not None and version != current.version:
            raise Conflict()
        before = {k: getattr(current, k) for k in clean} if not created else {}
        for key, value in clean.items():
            setattr(current, key, value)
        if not created:
            current.version += 1
        current.save()
        audit_record(
            "lists.bookable.create" if created else "lists.bookable.update",
            actor=actor,
            target=current,
            changes=clean
            if created
            else {k: [before[k], clean[k]] for k in clean if before[k] != clean[k]},
        )
    return current


# Bookings -------------------------------------------------------------------------------------


@dataclass
class BookingInput:
    resource: Any  # the bookable resource's uid
    start: Any  # an aware datetime or ISO text (local time when no offset is given)
    end: Any = None
    slots: Any = None  # instead of ``end``: how many consecutive slots
    purpose: str = ""
    attendees: Any = 1
    applicant_name: str = ""
    applicant_phone: str = ""
    group_name: str = ""
    resident: Any = None  # a resident's uid: the booking is theirs


def _when(value: Any, key: str, errors: dict) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value or "").strip())
        except ValueError:
            moment = None
        if moment is None:
            errors[key] = [_("Give a date and time such as 2026-12-01T09:00.")]
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _check_times(space: BookableSpace, start: datetime, end: datetime, errors: dict) -> None:
    """The time rules, in the order a person would want to hear them."""
    rules = policy_in_force("lists.bookings").value
    now = timezone.now()
    if end <= start:
        errors["end"] = [_("The end must be after the start.")]
        return
    if start < now:
        errors["start"] = [_("This time is in the past: choose a slot still to come.")]
        return
    if start > now + timedelta(days=rules.max_days_ahead):
        errors["start"] = [
            _("Slots can be booked at most %(days)s days ahead.") % {"days": rules.max_days_ahead}
        ]
        return
    local_start = timezone.localtime(start)
    inside = [
        (a, b) for a, b in selectors.open_intervals(space, local_start.date()) if a <= start < b
    ]
    if not inside or end > inside[0][1]:
        errors["start"] = [
            _("Outside the opening hours: a booking must lie within one opening interval.")
        ]
        return
    step = space.slot_minutes * 60
    offset = (start - inside[0][0]).total_seconds()
    length = (end - start).total_seconds()
    if offset % step or length % step:
        errors["start"] = [
            _("Book whole slots of %(minutes)s minutes, as shown on the calendar.")
            % {"minutes": space.slot_minutes}
        ]
        return
    if length / step > rules.max_slots:
        errors["end"] = [
            _("One booking takes at most %(slots)s slots.") % {"slots": rules.max_slots}
        ]


def _resident(actor, uid):
    from gridgov.people.models import Resident

    return access_object(actor, Resident.objects.active(), "view", uid=uid)


def booking_create(*, actor, data: BookingInput) -> Booking:
    """Book a slot for a resident or a group. With approval the booking waits as
    requested (and already holds the slot); without, it is approved at once. A slot held by
    another booking is a 409 ``slot_taken``, also when both arrive at the same moment."""
    if not actor.has_permission("lists.book"):
        raise PermissionDenied()
    space = selectors.space_get(actor=actor, uid=data.resource)
    errors: dict[str, list[str]] = {}
    if not space.is_open or space.resource.status != Resource.Status.ACTIVE:
        errors["resource"] = [_("This resource is not open for booking.")]
    purpose = _text(data.purpose, "purpose", 300, errors)
    if not purpose and "purpose" not in errors:
        errors["purpose"] = [_("Say what the booking is for.")]
    group_name = _text(data.group_name, "group_name", 100, errors)
    name = _text(data.applicant_name, "applicant_name", 50, errors)
    resident = None
    if data.resident:
        try:
            resident = _resident(actor, data.resident)
        except NotFound:  # missing and out of scope read alike
            errors["resident"] = [_("No such resident in your area.")]
        else:
            name = resident.name
    if not name and "applicant_name" not in errors and "resident" not in errors:
        errors["applicant_name"] = [_("Name the applicant (a person, or a group's contact).")]
    phone = str(data.applicant_phone or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone)
        except FieldInvalid as exc:
            errors["applicant_phone"] = [exc.message]
    attendees = _int(data.attendees, "attendees", errors, 1, 100_000, _("Attendees"))
    if attendees is None and "attendees" not in errors:
        errors["attendees"] = [_("Give the number of attendees.")]
    elif attendees is not None and attendees > space.capacity_people:
        errors["attendees"] = [
            _("It holds at most %(people)s people.") % {"people": space.capacity_people}
        ]
    start = _when(data.start, "start", errors)
    end = None
    if start is not None:
        if data.end not in (None, ""):
            end = _when(data.end, "end", errors)
        else:
            slots = _int(data.slots or 1, "slots", errors, 1, 48, _("Slots"))
            if slots is not None:
                end = start + timedelta(minutes=space.slot_minutes * slots)
    if start is not None and end is not None:
        _check_times(space, start, end, errors)
    if errors:
        raise ValidationFailed(details=errors)
    if resident is not None:
        requester_path = resident.scope_path
    else:
        requester_path = min(actor.scope_paths("lists.book"), key=len)
    policy = policy_in_force("lists.bookings")
    with transaction.atomic():
        # The lock that serialises bookings of one resource, then the overlap check.
        BookableSpace.objects.select_for_update().filter(pk=space.pk).first()
        clash = Booking.objects.filter(
            space=space,
            state__in=Booking.BLOCKING_STATES,
            start_at__lt=end,
            end_at__gt=start,
        ).first()
        if clash is not None:
            raise Conflict(
                _("This slot has just been booked by someone else: choose another."),
                code="slot_taken",
                details={"start": clash.start_at.isoformat(), "end": clash.end_at.isoformat()},
            )
        booking = Booking(
            uid=uuid.uuid4(),
            space=space,
            scope_path=space.resource.scope_path,
            requester_path=requester_path,
            start_at=start,
            end_at=end,
            resident=resident,
            group_name=group_name,
            purpose=purpose,
            attendees=attendees,
            requested_by=actor,
            policy_version=policy.version,
        )
        booking.applicant_name_encrypted = encrypt_field(
            name, associated_data=f"lists_booking/applicant_name/{booking.uid}"
        )
        booking.applicant_name_masked = mask_name(name)
        if phone:
            booking.applicant_phone_encrypted = encrypt_field(
                phone, associated_data=f"lists_booking/applicant_phone/{booking.uid}"
            )
            booking.applicant_phone_masked = mask_phone(phone)
        if not space.needs_approval:
            booking.state = Booking.State.APPROVED
            booking.decided_by_name = "system:auto-approve"
            booking.decided_at = timezone.now()
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as exc:  # PostgreSQL's exclusion constraint
            raise Conflict(
                _("This slot has just been booked by someone else: choose another."),
                code="slot_taken",
            ) from exc
        audit_record(
            "lists.booking.create",
            actor=actor,
            target=booking,
            changes={
                "resource": str(space.resource.uid),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "state": booking.state,
                "attendees": attendees,
                "policy_version": policy.version,
            },
        )
    return booking


def booking_transition(
    *, actor, booking: Booking, action: str, version: int | None, reason: str = ""
) -> Booking:
    """approve / reject (with a reason) / cancel (with a reason, before the start) / check
    in (from shortly before the start until the grace time after the end) / no-show (after
    the end and the grace time) / complete."""
    if action not in BOOKING_MACHINE.transitions:
        raise ValidationFailed(details={"action": [_("Unknown action.")]})
    definition = BOOKING_MACHINE.transitions[action]
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 300, errors)
    if definition.needs_reason and not reason and "reason" not in errors:
        errors["reason"] = [_("Give a reason.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        # The resource's lock first (the order booking_create takes), then the booking's.
        BookableSpace.objects.select_for_update().filter(pk=booking.space_id).first()
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        refusal = BOOKING_MACHINE.refusal(actor, current, action, version=version)
        if refusal is not None:
            raise refusal
        _apply(current, action, actor, reason)
    return current


def _apply(current: Booking, action: str, actor, reason: str) -> None:
    before = current.state
    now = timezone.now()
    current.state = BOOKING_MACHINE.transitions[action].target
    if action in ("approve", "reject"):
        current.decided_by_name = _name(actor)
        current.decided_at = now
    if action == "check_in":
        current.checked_in_at = now
    if reason:
        current.reason = reason
    if current.state in (
        Booking.State.REJECTED,
        Booking.State.CANCELLED,
        Booking.State.NO_SHOW,
        Booking.State.COMPLETED,
    ):
        current.closed_at = now
    current.version += 1
    current.save()
    audit_record(
        "lists.booking.transition",
        actor=actor,
        target=current,
        changes={"action": action, "state": [before, current.state], "reason": reason},
    )


def bookings_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The clock's moves (run with ``gridgov lists_timeouts``; idempotent): approved bookings
    nobody checked in to by the end plus the grace time become no-shows; checked-in bookings
    whose slot has ended are completed; requests still undecided when the slot begins are
    rejected (not decided in time)."""
    now = now or timezone.now()
    grace = timedelta(minutes=policy_in_force("lists.bookings").value.no_show_grace_minutes)
    moves = [
        ("no_show", Booking.State.APPROVED, {"end_at__lte": now - grace}, ""),
        ("complete", Booking.State.CHECKED_IN, {"end_at__lte": now}, ""),
        ("reject", Booking.State.REQUESTED, {"start_at__lte": now}, "not_decided_in_time"),
    ]
    counts = {}
    for action, state, when, reason in moves:
        counts[action] = 0
        ids = list(Booking.objects.filter(state=state, **when).values_list("pk", flat=True))
        for pk in ids:
            with transaction.atomic():
                current = Booking.objects.select_for_update().get(pk=pk)
                if current.state != state:
                    continue
                _apply(current, action, SYSTEM, reason)
                counts[action] += 1
    return counts


def month_of(value: str) -> date:
    """``2026-11`` → 2026-11-01 (the current month when empty or malformed)."""
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)
