"""The quarterly cross-check 季度复核 of a registered group's monthly reports (「社区季度复核」,
双人复核; policy ``groups.crosscheck``).

- **Quarter and window.** Calendar quarters. A quarter's check opens
  ``opens_days_before_end`` (10) days before its end and is due by the
  ``due_days_after_end``-th (15th) day of the next quarter; after that it is overdue and a
  check is still taken, marked late. Before the window opens it is refused
  (``crosscheck_not_open``).
- **Who.** A holder of ``groups.approve`` in the group's area (community staff: the
  居委会) who did not save any of the quarter's snapshots being checked — the account that
  saved the version checked, or, for a version saved before the account was kept, the same
  user name (403 ``separation_of_duties``).
- **What.** Every snapshot of the quarter, once: confirmed, or its discrepancies (an
  indicator of the snapshot, the value found, a note; the texts masked). A quarter without
  any snapshot cannot be checked (409 ``no_snapshots``); a second check of the same quarter
  is 409 ``crosscheck_exists``.
- **Corrections.** The check does not change a snapshot: each discrepancy asks whoever
  saved the snapshot (told in their inbox) to correct it through the snapshot's own
  versioned correction (the monthly report form, or ``POST …/snapshots`` with the version
  read). The item keeps the version it checked: a later version is the correction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.audit.services import audit_record
from gridgov.core import notifications
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.groups.models import (
    CrossCheck,
    CrossCheckDiscrepancy,
    CrossCheckItem,
    Group,
    Snapshot,
)
from gridgov.groups.services import actor_name, free_text

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)

# What a check of a group is, for a quarter, on a day.
UPCOMING, DUE, OVERDUE, DONE, DONE_LATE = "upcoming", "due", "overdue", "done", "done_late"
STATUS_LABELS = {
    UPCOMING: gettext_lazy("not open yet"),
    DUE: gettext_lazy("due"),
    OVERDUE: gettext_lazy("overdue"),
    DONE: gettext_lazy("done"),
    DONE_LATE: gettext_lazy("done late"),
}


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_of(value: Any) -> date | None:
    """``YYYY-Qn`` (or a date) → the first day of that calendar quarter."""
    if isinstance(value, date):
        return quarter_start(value)
    match = _QUARTER.match(str(value or "").strip())
    if not match:
        return None
    return date(int(match.group(1)), (int(match.group(2)) - 1) * 3 + 1, 1)


def quarter_label(first: date) -> str:
    return f"{first.year}-Q{(first.month - 1) // 3 + 1}"


def next_quarter(first: date) -> date:
    return date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)


def quarter_months(first: date) -> list[date]:
    return [date(first.year, first.month + i, 1) for i in range(3)]


@dataclass(frozen=True)
class Window:
    quarter: date
    opens_on: date  # the first day a check is taken
    due_on: date  # the last day it is on time

    @property
    def label(self) -> str:
        return quarter_label(self.quarter)

    def status(self, today: date, check: CrossCheck | None = None) -> str:
        if check is not None:
            return DONE_LATE if check.late else DONE
        if today < self.opens_on:
            return UPCOMING
        return DUE if today <= self.due_on else OVERDUE


def window(first: date, policy=None) -> Window:
    policy = policy or policy_in_force("groups.crosscheck").value
    end = next_quarter(first)
    return Window(
        first,
        end - timedelta(days=policy.opens_days_before_end),
        end + timedelta(days=policy.due_days_after_end - 1),
    )


def quarter_for(today: date, policy=None) -> date:
    """The quarter a check is asked for on ``today``: the running quarter once its window
    has opened, else the one before."""
    current = quarter_start(today)
    if today >= window(current, policy).opens_on:
        return current
    return quarter_start(current - timedelta(days=1))


def quarter_snapshots(group: Group, first: date):
    months = quarter_months(first)
    return Snapshot.objects.filter(group=group, month__gte=months[0], month__lte=months[-1])


def entered_by_actor(snapshot: Snapshot, actor) -> bool:
    """The actor saved the version of the snapshot (the account, or the user name for a
    version saved before the account was kept)."""
    if snapshot.entered_by_id is not None:
        return snapshot.entered_by_id == getattr(actor, "pk", None)
    return snapshot.entered_by_name == actor_name(actor)


def may_check(actor, group: Group) -> bool:
    return path_in_scope(actor, group.scope_path, "groups.approve")


def value_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", ""):
        return False
    return None


def _clean_items(items: Any, snapshots: dict[str, Snapshot], errors: dict) -> list[dict]:
    """The checker's answer for each snapshot, checked; ``errors`` names the field."""
    if not isinstance(items, list) or not items:
        errors["items"] = [_("Confirm each report of the quarter or record its discrepancies.")]
        return []
    cleaned: list[dict] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        key = f"items.{i}"
        if not isinstance(raw, dict):
            errors[key] = [_("Give the report and what was found.")]
            continue
        uid = str(raw.get("snapshot") or "").strip()
        snapshot = snapshots.get(uid)
        if snapshot is None:
            errors[f"{key}.snapshot"] = [_("Not a report of this group and quarter.")]
            continue
        if uid in seen:
            errors[f"{key}.snapshot"] = [_("This report is given twice.")]
            continue
        seen.add(uid)
        version = raw.get("version")
        if version not in (None, "") and str(version) != str(snapshot.version):
            raise Conflict(
                _("The report was corrected meanwhile: read it again."),
                code="version_conflict",
                details={"snapshot": uid, "version": snapshot.version},
            )
        confirmed = _bool(raw.get("confirmed"))
        if confirmed is None:
            errors[f"{key}.confirmed"] = [_("Answer yes or no.")]
            continue
        found_rows = []
        indicators: set[str] = set()
        raw_rows = raw.get("discrepancies") or []
        if not isinstance(raw_rows, list):
            errors[f"{key}.discrepancies"] = [_("Give a list of discrepancies.")]
            continue
        for j, row in enumerate(raw_rows):
            rkey = f"{key}.discrepancies.{j}"
            if not isinstance(row, dict):
                errors[rkey] = [_("Give the indicator and the value found.")]
                continue
            indicator = str(row.get("indicator") or "").strip()
            if indicator not in Snapshot.MEASURES:
                errors[f"{rkey}.indicator"] = [_("Choose an indicator of the report.")]
                continue
            if indicator in indicators:
                errors[f"{rkey}.indicator"] = [_("This indicator is given twice.")]
                continue
            indicators.add(indicator)
            found = free_text(row.get("found"), f"{rkey}.found", 50, errors)
            if not found and f"{rkey}.found" not in errors:
                errors[f"{rkey}.found"] = [_("Give the value found.")]
            note = free_text(row.get("note"), f"{rkey}.note", 300, errors)
            found_rows.append(
                {
                    "indicator": indicator,
                    "recorded": value_text(getattr(snapshot, indicator)),
                    "found": found,
                    "note": note,
                }
            )
        if confirmed and found_rows:
            errors[f"{key}.confirmed"] = [
                _("A report is either confirmed or has discrepancies, not both.")
            ]
        elif not confirmed and not raw_rows:
            errors[f"{key}.discrepancies"] = [
                _("Record at least one discrepancy, or confirm the report.")
            ]
        cleaned.append({"snapshot": snapshot, "confirmed": confirmed, "rows": found_rows})
    missing = [s.month.strftime("%Y-%m") for uid, s in snapshots.items() if uid not in seen]
    if missing and not errors:
        errors["items"] = [
            _("Every report of the quarter is checked; missing: %(months)s.")
            % {"months": ", ".join(sorted(missing))}
        ]
    return cleaned


def crosscheck_record(
    *,
    actor,
    group: Group,
    quarter: Any,
    items: Any,
    note: Any = "",
    now: datetime | None = None,
) -> CrossCheck:
    """Record the quarter's cross-check of a registered group: every snapshot of the
    quarter confirmed or with its discrepancies, by someone who did not save them."""
    require_in_scope(actor, group.scope_path, "groups.approve")
    first = quarter_of(quarter)
    if first is None:
        raise ValidationFailed(
            details={"quarter": [_("Give the quarter as YYYY-Qn, e.g. 2026-Q3.")]}
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    in_force = policy_in_force("groups.crosscheck")
    span = window(first, in_force.value)
    if today < span.opens_on:
        raise ValidationFailed(
            _("The cross-check of %(quarter)s opens on %(day)s.")
            % {"quarter": span.label, "day": span.opens_on.isoformat()},
            code="crosscheck_not_open",
            details={"quarter": [_("Not open yet.")]},
        )
    if not group.is_registered:
        raise Conflict(
            _("The group is not registered yet: the residents' committee approves it first."),
            code="group_not_registered",
        )
    errors: dict[str, list[str]] = {}
    note = free_text(note, "note", 300, errors)
    with transaction.atomic():
        # Locked so that a correction cannot slip in between the check and its record.
        snapshots = {
            str(s.uid): s
            for s in quarter_snapshots(group, first).select_for_update().order_by("month")
        }
        if CrossCheck.objects.filter(group=group, quarter=first).exists():
            raise Conflict(_("This quarter was already cross-checked."), code="crosscheck_exists")
        if not snapshots:
            raise Conflict(
                _("No monthly report of this quarter to check: the reports are entered first."),
                code="no_snapshots",
            )
        if any(entered_by_actor(s, actor) for s in snapshots.values()):
            raise PermissionDenied(
                _(
                    "You entered reports of this quarter: a second person cross-checks them "
                    "(双人复核)."
                ),
                code="separation_of_duties",
            )
        cleaned = _clean_items(items, snapshots, errors)
        if errors:
            raise ValidationFailed(details=errors)
        try:
            with transaction.atomic():
                check = CrossCheck.objects.create(
                    group=group,
                    quarter=first,
                    scope_path=group.scope_path,
                    checked_by=actor if isinstance(actor, User) else None,
                    checked_by_name=actor_name(actor),
                    checked_at=now,
                    late=today > span.due_on,
                    months_missing=3 - len(snapshots),
                    note=note,
                    policy_version=in_force.version,
                )
        except IntegrityError:
            raise Conflict(
                _("This quarter was already cross-checked."), code="crosscheck_exists"
            ) from None
        discrepancies = []
        for entry in cleaned:
            item = CrossCheckItem.objects.create(
                crosscheck=check,
                snapshot=entry["snapshot"],
                snapshot_version=entry["snapshot"].version,
                confirmed=entry["confirmed"],
            )
            discrepancies += [CrossCheckDiscrepancy(item=item, **row) for row in entry["rows"]]
        CrossCheckDiscrepancy.objects.bulk_create(discrepancies)
        audit_record(
            "groups.crosscheck.record",
            actor=actor,
            target=check,
            changes={
                "group": str(group.uid),
                "quarter": span.label,
                "late": check.late,
                "confirmed": sorted(
                    e["snapshot"].month.strftime("%Y-%m") for e in cleaned if e["confirmed"]
                ),
                "discrepancies": {
                    e["snapshot"].month.strftime("%Y-%m"): [r["indicator"] for r in e["rows"]]
                    for e in cleaned
                    if e["rows"]
                },
            },
        )
    _ask_for_corrections(group, span, cleaned)
    return check


def _ask_for_corrections(group: Group, span: Window, cleaned: list[dict]) -> None:
    """Tell whoever saved a snapshot with discrepancies to correct it."""
    for entry in cleaned:
        snapshot = entry["snapshot"]
        if not entry["rows"] or snapshot.entered_by_id is None:
            continue
        notifications.inbox(
            [snapshot.entered_by],
            kind="groups.crosscheck",
            message=_(
                "The cross-check of %(quarter)s found discrepancies in the %(month)s report "
                "of %(group)s: please correct it."
            )
            % {
                "quarter": span.label,
                "month": snapshot.month.strftime("%Y-%m"),
                "group": group.name,
            },
            subject=group,
            key=f"groups.crosscheck:{snapshot.uid}:{snapshot.version}",
        )


def discrepancy_corrected(item: CrossCheckItem) -> bool:
    """A version saved after the one checked is the correction."""
    return item.snapshot.version > item.snapshot_version
