"""Admin writes of the event loop: catalogue edits (versioned) and the working calendar,
whose corrections recompute the deadlines of the open events they affect."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticError

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.events import services
from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import (
    CalendarDay,
    CalendarYear,
    Category,
    CategoryRevision,
    Department,
    Urgency,
)
from gridgov.events.policies import TimeLimit


def _snapshot(category: Category) -> dict:
    return {
        "name": category.name,
        "name_en": category.name_en,
        "default_urgency": category.default_urgency,
        "sla_overrides": category.sla_overrides,
        "keywords": category.keywords,
        "on_site_resolvable": category.on_site_resolvable,
        "sensitive": category.sensitive,
        "is_active": category.is_active,
        "department": category.department_id,
    }


def category_update(
    *,
    actor,
    category: Category,
    name: str,
    name_en: str,
    default_urgency: str,
    keywords: str | list[str],
    sla_overrides: str | dict,
    on_site_resolvable: bool,
    is_active: bool,
    expected_version: int,
    department_code: str = "",
    sensitive: bool | None = None,  # None keeps the flag
) -> Category:
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name or len(name) > 60:
        errors["name"] = [_("Give a name of at most 60 characters.")]
    if default_urgency not in Urgency.values:
        errors["default_urgency"] = [_("Unknown urgency %(u)s.") % {"u": default_urgency[:20]}]
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.replace("，", ",").split(",") if k.strip()]
    if any(len(k) > 20 for k in keywords) or len(keywords) > 100:
        errors["keywords"] = [_("At most 100 keywords of at most 20 characters.")]
    if isinstance(sla_overrides, str):
        try:
            sla_overrides = json.loads(sla_overrides) if sla_overrides.strip() else {}
        except ValueError:
            sla_overrides = None
    try:
        if not isinstance(sla_overrides, dict) or not set(sla_overrides) <= set(Urgency.values):
            raise ValueError
        sla_overrides = {
            k: TimeLimit.model_validate(v).model_dump(exclude_none=True)
            for k, v in sla_overrides.items()
        }
    except (ValueError, PydanticError):
        errors["sla_overrides"] = [
            _('JSON such as {"deadline": {"working_days": 5}} (minutes, hours or working_days).')
        ]
    department = None
    if department_code:
        department = (
            Department.objects.visible_to(actor, "manage").filter(code=department_code[:20]).first()
        )
        if department is None:
            errors["department"] = [_("Unknown department.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Category.objects.select_for_update().get(pk=category.pk)
        if current.version != expected_version:
            raise Conflict()
        before = _snapshot(current)
        current.name, current.name_en = name, name_en.strip()[:80]
        current.default_urgency = default_urgency
        current.keywords = keywords
        current.sla_overrides = sla_overrides
        current.on_site_resolvable = on_site_resolvable
        if sensitive is not None:
            current.sensitive = sensitive
        current.is_active = is_active
        current.department = department
        current.version += 1
        current.save()
        after = _snapshot(current)
        CategoryRevision.objects.create(
            category=current, version=current.version, content=after, changed_by=actor
        )
        audit_record(
            "events.category.change",
            actor=actor,
            target=current,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    category.__dict__.update(current.__dict__)
    return current


@dataclass(frozen=True)
class Recalculation:
    """What a calendar change did to the open events' deadlines."""

    batch_id: str = ""
    events: int = 0  # events whose deadline changed (inline), or candidates (queued)
    queued: bool = False  # left to a background task, there being many


def _recalculate(first_day: date, last_day: date) -> Recalculation:
    """Recompute the deadlines the changed days may affect: here when they are few, as a
    background task when there are more than ``events.loop.recompute_inline_max``."""
    from gridgov.events.tasks import recompute_deadlines

    batch_id = uuid.uuid4().hex[:16]
    count = services.deadline_candidates(first_day=first_day, last_day=last_day).count()
    if not count:
        return Recalculation(batch_id)
    if count > policy_get("events.loop").recompute_inline_max:
        recompute_deadlines.enqueue(
            first_day=first_day.isoformat(), last_day=last_day.isoformat(), batch_id=batch_id
        )
        return Recalculation(batch_id, count, queued=True)
    changed = services.deadlines_recompute(
        first_day=first_day, last_day=last_day, batch_id=batch_id
    )
    return Recalculation(batch_id, changed)


def calendar_set_day(
    *, actor, day: str | date, is_workday: bool, name: str = ""
) -> tuple[CalendarDay, Recalculation]:
    """Enter a holiday or an adjusted working day. In a year already confirmed (or known to
    the calendar package) it corrects the calendar at once, so the deadlines it affects are
    recomputed; in a year still being entered that waits for its confirmation."""
    try:
        value = day if isinstance(day, date) else date.fromisoformat(str(day))
    except ValueError:
        raise ValidationFailed(details={"date": [_("Give a date as YYYY-MM-DD.")]}) from None
    with transaction.atomic():
        row, _created = CalendarDay.objects.update_or_create(
            date=value, defaults={"is_workday": is_workday, "name": name.strip()[:40]}
        )
        audit_record(
            "events.calendar.change",
            actor=actor,
            target_type="events.calendarday",
            target_id=value.isoformat(),
            changes={"is_workday": is_workday, "name": row.name},
        )
    if not WorkCalendar.load().year_known(value.year):
        return row, Recalculation()
    return row, _recalculate(value, value)


def calendar_confirm_year(*, actor, year) -> tuple[CalendarYear, Recalculation]:
    """Mark a year's holidays as completely entered: its deadlines are no longer assumed
    Monday–Friday, and those of the open events it affects are computed again (audited as
    one batch by the system actor ``events.calendar``; idempotent, so confirming again
    changes nothing)."""
    try:
        value = int(year)
        if not 2000 <= value <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationFailed(details={"year": [_("Give a year.")]}) from None
    with transaction.atomic():
        row, _created = CalendarYear.objects.get_or_create(
            year=value, defaults={"confirmed_by": actor}
        )
        audit_record(
            "events.calendar.change",
            actor=actor,
            target_type="events.calendaryear",
            target_id=str(value),
            changes={"confirmed": True},
        )
    return row, _recalculate(date(value, 1, 1), date(value, 12, 31))
