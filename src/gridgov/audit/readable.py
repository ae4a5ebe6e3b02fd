"""Audit records as people read them, on the trail page and in its export: the action, role,
outcome, target and org unit by name, and the details as "field: before → after" lines, all
in the reader's language. The record itself keeps its codes (they are hashed)."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from gridgov.audit.actions import ACTIONS
from gridgov.audit.services import shown_changes
from gridgov.core.policy_labels import FIELD_LABELS as POLICY_FIELD_LABELS

# Keys the services write into a record's details (not model fields of its target).
DETAIL_LABELS = {
    # visits
    "answers": _("answers given"),
    "corrections": _("registry corrections proposed"),
    "decision": _("review decision"),
    "take": _("conflict decided for"),
    "mismatched": _("fields not matching"),
    "sample": _("households drawn"),
    "accuracy": _("accuracy"),
    "action": _("action"),
    "active_key": _("active key"),
    "actually_fixed": _("actually fixed"),
    "alerted": _("alerted"),
    "archive": _("archive"),
    "assignee": _("assignee"),
    "batch_id": _("batch"),
    "batch_rows": _("rows in the batch"),
    "bytes": _("bytes"),
    "calendar_assumed": _("calendar assumed"),
    "category": _("category"),
    "channel": _("channel"),
    "check": _("check"),
    "code": _("code"),
    "confirmed": _("confirmed"),
    "consecutive": _("in a row"),
    "count": _("count"),
    "created": _("created"),
    "date": _("date"),
    "days": _("days"),
    "deleted": _("deleted"),
    "department": _("department"),
    "device_sources": _("device sources"),
    "disabled": _("disabled"),
    "display_name": _("display name"),
    "duplicate_of": _("duplicate of"),
    "duplicates": _("duplicates"),
    "duty": _("duty"),
    "end_date": _("end date"),
    "error": _("error"),
    "events": _("events"),
    "failures": _("failures"),
    "field": _("field"),
    "field_keys_installed": _("field keys installed"),
    "fields": _("fields"),
    "file_sha256": _("file checksum"),
    "files": _("files"),
    "filters": _("filters"),
    "format": _("format"),
    "from": _("from"),
    "grid": _("grid"),
    "grids": _("grids"),
    "handle_due": _("handling deadline"),
    "heads": _("heads of household"),
    "household": _("household"),
    "id_number": _("ID number"),
    "ip": _("IP address"),
    "is_active": _("active"),
    "is_workday": _("working day"),
    "job": _("job"),
    "jurisdiction": _("jurisdiction"),
    "kept": _("kept"),
    "key": _("key"),
    "keywords_moved": _("keywords moved"),
    "kind": _("kind"),
    "level": _("level"),
    "limit": _("limit"),
    "location": _("location"),
    "locked_accounts": _("locked accounts"),
    "locked_until": _("locked until"),
    "made_at": _("made at"),
    "mapping": _("column mapping"),
    "masked": _("masked"),
    "media_files": _("media files"),
    "merged": _("merged"),
    "merged_into": _("merged into"),
    "method": _("method"),
    "minutes": _("minutes"),
    "mode": _("mode"),
    "name": _("name"),
    "new_password": _("new password"),
    "note": _("note"),
    "notice": _("notice"),
    "number": _("number"),
    "old_password": _("old password"),
    "org_unit": _("org unit"),
    "parent": _("parent"),
    "path": _("path"),
    "paused_until": _("paused until"),
    "period": _("period"),
    "permission": _("permission"),
    "photo": _("photo"),
    "photos": _("photos"),
    "public": _("public"),
    "purpose": _("purpose"),
    "rating": _("rating"),
    "reason": _("reason"),
    "rejected": _("rejected"),
    "removed": _("removed"),
    "residents": _("residents"),
    "result": _("result"),
    "role": _("role"),
    "rows": _("rows"),
    "rung": _("escalation step"),
    "source": _("source"),
    "state": _("state"),
    "suggestions": _("suggestions"),
    "tables": _("tables"),
    "tag": _("tag"),
    "tested_on": _("tested on"),
    "to": _("to"),
    "tokens": _("tokens"),
    "unchanged": _("unchanged"),
    "until": _("until"),
    "updated": _("updated"),
    "user": _("user"),
    "username": _("user name"),
    "users": _("users"),
    "valid_to": _("valid to"),
    "version": _("version"),
    "via": _("via"),
    "warnings": _("warnings"),
    "was_enrolled": _("was enrolled"),
    "who": _("who"),
    "window_minutes": _("window in minutes"),
    "working_days": _("working days"),
    "year": _("year"),
}


def _model(target_type: str):
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_label(target_type: str) -> str:
    """ "events.event" → the model's name in the reader's language."""
    model = _model(target_type) if target_type else None
    return str(model._meta.verbose_name) if model is not None else target_type


def _is_field(target_type: str, key: str) -> bool:
    model = _model(target_type) if target_type else None
    try:
        return model is not None and bool(model._meta.get_field(key))
    except FieldDoesNotExist:
        return False


def field_label(target_type: str, key: str) -> str:
    """A details key by name: the target model's field, a detail the services write, a
    policy field (policy changes), else the key as it is."""
    model = _model(target_type) if target_type else None
    if model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            field = None
        # A reverse relation (a visit's "answers") has no verbose name of its own.
        if getattr(field, "verbose_name", None) is not None:
            return str(field.verbose_name)
    label = DETAIL_LABELS.get(key) or POLICY_FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def change_lines(target_type: str, changes: Any) -> list[str]:
    """The details as "field: value" lines; a before/after pair as "field: before → after"."""
    if not isinstance(changes, dict):
        return [_value(changes)] if changes else []
    before, after = changes.get("before"), changes.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        rest = {k: v for k, v in changes.items() if k not in ("before", "after")}
        return [
            f"{field_label(target_type, key)}: {_value(before.get(key))} → {_value(after.get(key))}"
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        ] + change_lines(target_type, rest)
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2 and _is_field(target_type, key):
            # A changed field written as [before, after].
            label = field_label(target_type, key)
            lines.append(f"{label}: {_value(value[0])} → {_value(value[1])}")
        else:
            lines.append(f"{field_label(target_type, key)}: {_value(value)}")
    return lines


def readable(records) -> list:
    """The records with ``action_label``, ``role_label``, ``outcome_label``,
    ``target_label``, ``unit_name`` and ``change_lines`` set for the reader."""
    from gridgov.accounts.roles import Role
    from gridgov.org.models import OrgUnit

    records = list(records)
    roles = {**dict(Role.choices), "system": _("system (scheduled jobs and commands)")}
    paths = {r.org_unit_path for r in records if r.org_unit_path}
    names = dict(OrgUnit.objects.filter(path__in=paths).values_list("path", "name"))
    for record in records:
        record.action_label = str(ACTIONS.get(record.action, record.action))
        record.role_label = str(roles.get(record.actor_role, record.actor_role))
        record.outcome_label = str(record.get_outcome_display())
        record.target_label = target_label(record.target_type)
        record.unit_name = names.get(record.org_unit_path, record.org_unit_path)
        # Masked again with the current rules: older records kept more (docs/registry.md).
        record.change_lines = change_lines(record.target_type, shown_changes(record.changes))
    return records
