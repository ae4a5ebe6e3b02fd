"""Writes of service facilities: a facility placed at its point (the grid holding it), its
spaces with opening hours or a bookable resource of the three lists, walk-in use, the
monthly 功能调整 tasks for idle spaces and their closing. Each write is one transaction
with its audit record; refused means nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.core.text import free_text
from gridgov.core.validators import china_point
from gridgov.events import routing
from gridgov.lists.booking_services import parse_schedule
from gridgov.operations.models import AdjustmentTask, Facility, FacilitySpace, SpaceUse
from gridgov.operations.policies_facilities import facilities_policy

MANAGE = "operations.manage"


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _audit(action: str, actor, target, path: str, **changes) -> None:
    audit_record(action, actor=actor, target=target, org_unit_path=path, changes=changes)


def facility_create(*, actor, data: dict) -> Facility:
    """A facility at a point of the actor's area: the grid holding it (or the community of
    the nearest grid, for a point between grids) is where it belongs."""
    policy = facilities_policy()
    errors: dict = {}
    name = _text(data.get("name"), 100)
    if not name:
        errors["name"] = [_("Enter a name.")]
    kind = str(data.get("kind") or "")
    if kind not in policy.kinds:
        errors["kind"] = [_("Not a facility type of the policy.")]
    owner = _text(data.get("owner_department"), 100)
    if not owner:
        errors["owner_department"] = [_("Name the department that owns it.")]
    coords = china_point(data, errors)
    placement = None
    if len(coords) == 2:
        placement = routing.place(lon=coords["lon"], lat=coords["lat"])
        if placement is None:
            errors["lon"] = [_("No grid is set up yet.")]
    if errors:
        raise ValidationFailed(details=errors)
    grid = placement.grid
    community = placement.unit if grid is None else grid.parent
    path = grid.path if grid is not None else community.path
    if not path_in_scope(actor, path, MANAGE):
        raise NotFound()  # a point outside the actor's area
    with transaction.atomic():
        facility = Facility.objects.create(
            name=name,
            kind=kind,
            grid=grid,
            community=community,
            scope_path=path,
            lon=coords["lon"],
            lat=coords["lat"],
            address=_text(data.get("address"), 200),
            owner_department=owner,
            shared_with=_text(data.get("shared_with"), 200),
        )
        _audit("operations.facility.create", actor, facility, path, name=name, kind=kind)
    return facility


def space_create(*, actor, facility: Facility, data: dict) -> FacilitySpace:
    """A space with its weekly opening hours, or booked through a bookable resource of the
    three lists in the actor's area (whose opening hours and bookings then count)."""
    from gridgov.lists.booking_selectors import space_get

    require_in_scope(actor, facility.scope_path, MANAGE)
    errors: dict = {}
    name = _text(data.get("name"), 100)
    if not name:
        errors["name"] = [_("Enter a name.")]
    try:
        capacity = int(str(data.get("capacity", "")).strip())
        if capacity < 1 or capacity > 100_000:
            raise ValueError
    except ValueError:
        errors["capacity"] = [_("Enter how many people it holds (a whole number).")]
        capacity = 0
    opened = timezone.localdate()
    if data.get("opened_on"):
        try:
            opened = date.fromisoformat(str(data["opened_on"]).strip())
        except ValueError:
            errors["opened_on"] = [_("Enter a date as YYYY-MM-DD.")]
        else:
            if opened > timezone.localdate():
                errors["opened_on"] = [_("The day is in the future.")]
    bookable = None
    schedule: dict = {}
    if data.get("bookable"):
        try:
            bookable = space_get(actor=actor, uid=data["bookable"])
        except (NotFound, ValueError, ValidationFailed):
            errors["bookable"] = [_("No such bookable resource in your area.")]
        else:
            if FacilitySpace.objects.filter(bookable=bookable).exists():
                errors["bookable"] = [_("This resource is already a space of a facility.")]
    else:
        schedule = parse_schedule(data.get("schedule") or {}, errors)
        if not schedule and not any(k.startswith("schedule") for k in errors):
            errors["schedule"] = [_("Give the opening hours of at least one weekday.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        space = FacilitySpace.objects.create(
            facility=facility,
            name=name,
            capacity=capacity,
            schedule=schedule,
            bookable=bookable,
            equipment=_text(data.get("equipment"), 300),
            opened_on=opened,
        )
        _audit(
            "operations.facility.space",
            actor,
            space,
            facility.scope_path,
            name=name,
            bookable=str(bookable.resource.uid) if bookable else "",
        )
    return space


def use_record(*, actor, space: FacilitySpace, data: dict) -> SpaceUse:
    """Walk-in use of a day: hours above zero and at most the day's opening hours, attendees
    a whole number, the day not in the future."""
    from gridgov.operations.selectors_facilities import open_hours

    require_in_scope(actor, space.facility.scope_path, MANAGE)
    errors: dict = {}
    day = None
    try:
        day = date.fromisoformat(str(data.get("used_on", "")).strip())
    except ValueError:
        errors["used_on"] = [_("Enter a date as YYYY-MM-DD.")]
    if day and day > timezone.localdate():
        errors["used_on"] = [_("The day is in the future.")]
    elif day and day < space.opened_on:
        errors["used_on"] = [
            _("The space is in use since %(day)s.") % {"day": space.opened_on.isoformat()}
        ]
    try:
        hours = Decimal(str(data.get("hours", "")).strip())
        if not hours.is_finite() or abs(hours) > 1000:
            raise InvalidOperation
        hours = hours.quantize(Decimal("0.1"))  # as stored: 0.04 h is no use
    except (InvalidOperation, ValueError):
        errors["hours"] = [_("Enter the hours used, e.g. 2.5.")]
        hours = None
    if hours is not None and "hours" not in errors:
        if hours <= 0:
            errors["hours"] = [_("The hours must be more than zero.")]
        elif day and "used_on" not in errors and hours > Decimal(str(open_hours(space, day, day))):
            errors["hours"] = [_("More hours than the space is open that day.")]
    try:
        attendees = int(str(data.get("attendees", "")).strip())
        if attendees < 0 or attendees > 100_000:
            raise ValueError
    except ValueError:
        errors["attendees"] = [_("Enter how many people came (a whole number).")]
        attendees = 0
    note = free_text(data.get("note", ""), "note", 200, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        use = SpaceUse.objects.create(
            space=space,
            used_on=day,
            hours=hours,
            attendees=attendees,
            note=note,
            created_by=actor,
        )
        _audit(
            "operations.facility.use",
            actor,
            use,
            space.facility.scope_path,
            day=str(day),
            hours=str(use.hours),
            attendees=attendees,
        )
    return use


def open_adjustment_tasks(month: date) -> int:
    """A 功能调整 task for every active space idle above the policy's share of its open
    hours in ``month`` (a finished month); a space gets one task per month. Returns how many
    were opened."""
    from gridgov.operations.selectors_facilities import space_utilisation

    idle_max = facilities_policy().idle_max
    first = month.replace(day=1)
    spaces = FacilitySpace.objects.filter(is_active=True, facility__is_active=True).select_related(
        "facility", "bookable"
    )
    opened = 0
    system = SystemActor("operations_facilities")
    for row in space_utilisation(spaces, first):
        if row.idle is None or row.idle <= idle_max:
            continue
        with transaction.atomic():
            task, created = AdjustmentTask.objects.get_or_create(
                space=row.space,
                month=first,
                defaults={"scope_path": row.space.facility.scope_path, "idle": row.idle},
            )
            if created:
                _audit(
                    "operations.facility.adjust_open",
                    system,
                    task,
                    task.scope_path,
                    month=first.isoformat(),
                    idle=row.idle,
                )
                opened += 1
    return opened


def task_close(*, actor, task: AdjustmentTask, version, note: str) -> AdjustmentTask:
    """Record what was changed (新用途, 开放时段, 共享 …); a task is closed once."""
    errors: dict = {}
    note = free_text(note, "note", 300, errors)
    if not note and "note" not in errors:
        errors["note"] = [_("Say what was changed.")]
    if errors:
        raise ValidationFailed(details=errors)
    require_in_scope(actor, task.scope_path, MANAGE)
    with transaction.atomic():
        locked = AdjustmentTask.objects.select_for_update().get(pk=task.pk)
        if locked.state != AdjustmentTask.State.OPEN:
            raise Conflict(_("This task is already closed."), code="already_closed")
        if str(locked.version) != str(version):
            raise Conflict(details={"version": locked.version})
        locked.state, locked.note = AdjustmentTask.State.DONE, note
        locked.closed_at, locked.closed_by = timezone.now(), actor
        locked.version += 1
        locked.save()
        _audit("operations.facility.adjust_close", actor, locked, locked.scope_path, note=note)
    return locked
