"""Core writes: policy changes."""

from __future__ import annotations

from typing import Any

import pydantic
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.models import PolicyVersion
from gridgov.core.policies import REGISTRY, policy_cache_forget, policy_latest
from gridgov.core.ports import audit_write
from gridgov.core.scoping import require_permission
from gridgov.core.text import TextInvalid, normalise_text


def pydantic_field_errors(exc: pydantic.ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]) or "__all__"
        errors.setdefault(name, []).append(error["msg"])
    return errors


def policy_update(*, actor, key: str, value: dict[str, Any], note: str) -> PolicyVersion:
    """Save a new version of a policy after validating it against its schema."""
    definition = REGISTRY.get(key)
    if definition is None:
        raise NotFound()
    require_permission(actor, definition.change_permission)
    if not (note or "").strip():
        raise ValidationFailed(details={"note": [_("Say why the policy changes.")]})
    try:
        note = normalise_text(note, multiline=True, max_length=500)
    except TextInvalid as exc:
        raise ValidationFailed(details={"note": [exc.message]}) from exc
    try:
        validated = definition.schema.model_validate(value)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(details=pydantic_field_errors(exc)) from exc
    try:
        return _save_version(actor, key, validated, note)
    except IntegrityError as exc:  # another administrator saved the same version first
        raise Conflict() from exc


def _save_version(actor, key, validated, note) -> PolicyVersion:
    with transaction.atomic():
        current = policy_latest(key)  # not the per-request cache: the latest row
        row = PolicyVersion.objects.create(
            key=key,
            version=current.version + 1,
            value=validated.model_dump(),
            note=note,
            created_by=actor,
        )
        policy_cache_forget(key)
        audit_write(
            "policy.update",
            actor=actor,
            target=row,
            changes={
                "key": key,
                "before": current.value.model_dump(),
                "after": validated.model_dump(),
                "version": row.version,
            },
        )
    return row
