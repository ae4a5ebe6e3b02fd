"""Monthly snapshots: the admin's report of one month entered for one registered group,
checked (impossible numbers refused naming the field, free text masked), placed in its
class by the rule engine, and audited in the same transaction."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.scoping import require_in_scope
from gridgov.groups import rules
from gridgov.groups.errors import ImpossibleNumbers
from gridgov.groups.models import Group, IndicatorSet, Snapshot
from gridgov.groups.services import actor_name, check_member_numbers, count_or_none, free_text
from gridgov.groups.services_feedback import month_satisfaction
from gridgov.groups.services_scores import after_snapshot
from gridgov.groups.services_warnings import record_report_hits

COUNTS = (
    "members_total",
    "age_0_18",
    "age_19_60",
    "age_60_plus",
    "occupation_students",
    "occupation_employed",
    "occupation_retired",
    "occupation_other",
    "special_elderly_alone",
    "special_pregnant",
    "special_chronic",
    "leak_incidents",
    "complaints",
)
PERCENTS = ("activity_pct", "satisfaction_pct")
HOURS = ("publish_hours", "response_hours", "allocation_hours")
FLAGS = ("admin_contact", "false_information", "service_missing", "mixed_function")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_of(value: Any) -> date | None:
    """``YYYY-MM`` (or a date) → the first day of that month."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = _MONTH.match(str(value or "").strip())
    if not match:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def _number(value: Any, key: str, errors: dict, high: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        errors[key] = [_("Give a number.")]
        return None
    if number != number or number < 0:  # NaN or negative
        errors[key] = [_("It cannot be negative.")]
        return None
    if number > high:
        errors[key] = [_("At most %(n)s.") % {"n": f"{high:g}"}]
        return None
    return number


def _flag(value: Any, key: str, errors: dict) -> bool | None:
    """True, False or None ("not measured"): the form sends yes / no / empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0"):
        return False
    errors[key] = [_("Answer yes, no or leave it empty.")]
    return None


def indicator_set_for(month: date) -> IndicatorSet:
    found = IndicatorSet.objects.filter(valid_from__lte=month).order_by("-version").first()
    if found is None:
        raise ValidationFailed(details={"month": [_("No indicator set is valid for this month.")]})
    return found


def clean_values(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key in COUNTS:
        values[key] = count_or_none(data.get(key), key, errors)
    for key in PERCENTS:
        values[key] = _number(data.get(key), key, errors, 100)
    values["messages_per_day"] = _number(
        data.get("messages_per_day"), "messages_per_day", errors, 100_000
    )
    for key in HOURS:
        values[key] = _number(data.get(key), key, errors, 24 * 366)
    for key in FLAGS:
        values[key] = _flag(data.get(key), key, errors)
    check_member_numbers(
        {k: values[k] for k in COUNTS if k not in ("leak_incidents", "complaints")}, errors
    )
    remarks = free_text(data.get("remarks"), "remarks", 500, errors)
    if errors:
        numeric = set(COUNTS) | set(PERCENTS) | set(HOURS) | {"messages_per_day"}
        kind = ImpossibleNumbers if any(k in numeric for k in errors) else ValidationFailed
        raise kind(details=errors)
    values["remarks"] = remarks
    return values


def snapshot_save(
    *, actor, group: Group, month: Any, data: dict, version: int | None = None
) -> Snapshot:
    """Enter (or, with the ``version`` read, correct) the month's report of a registered
    group; the class is placed again."""
    require_in_scope(actor, group.scope_path, "groups.register")
    first = month_of(month)
    if first is None:
        raise ValidationFailed(details={"month": [_("Give the month as YYYY-MM.")]})
    if first > timezone.localdate():
        raise ValidationFailed(details={"month": [_("The month has not begun yet.")]})
    if not group.is_registered:
        raise Conflict(
            _("The group is not registered yet: the residents' committee approves it first."),
            code="group_not_registered",
        )
    values = clean_values(data)
    if values.get("satisfaction_pct") is None:
        # Not reported by the admin: the residents' ratings of the month give it.
        values["satisfaction_pct"], _ratings = month_satisfaction(group, first)
    indicator_set = indicator_set_for(first)
    placement = rules.classify(function=group.function, values=values)
    with transaction.atomic():
        existing = Snapshot.objects.select_for_update().filter(group=group, month=first).first()
        if existing is not None and version is None:
            raise Conflict(
                _("This month was already entered: correct it instead."),
                code="snapshot_exists",
                details={"uid": str(existing.uid), "version": existing.version},
            )
        if existing is not None and existing.version != version:
            raise Conflict(details={"version": existing.version})
        snapshot = existing or Snapshot(group=group, month=first)
        for key, value in values.items():
            setattr(snapshot, key, value)
        snapshot.indicator_set = indicator_set
        snapshot.scope_path = group.scope_path
        snapshot.klass = placement.klass
        snapshot.class_rule = placement.rule
        snapshot.class_policy_version = placement.policy_version
        snapshot.entered_by_name = actor_name(actor)
        snapshot.entered_by = actor if isinstance(actor, User) else None
        if existing is not None:
            snapshot.version += 1
        snapshot.save()
        audit_record(
            "groups.snapshot.save",
            actor=actor,
            target=snapshot,
            changes={
                "group": str(group.uid),
                "month": first.isoformat(),
                "class": placement.klass,
                "rule": placement.rule,
                "indicator_set": indicator_set.version,
                "measured": sorted(k for k in Snapshot.MEASURES if values.get(k) is not None),
            },
        )
        after_snapshot(snapshot, actor=actor)
        if existing is None:
            # The admin's remarks are watched like the group's messages (a correction is
            # not counted twice).
            now = timezone.now()
            record_report_hits(group, values["remarks"], day=timezone.localdate(now), now=now)
    return snapshot
