from __future__ import annotations

import contextlib
import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.core.errors import ValidationFailed
from gridgov.core.models import PolicyVersion
from gridgov.core.permissions import requires
from gridgov.core.policies import REGISTRY, policy_in_force
from gridgov.core.services import policy_update


@requires("policy.view")
def policy_list(request):
    rows = [{"definition": d, "in_force": policy_in_force(key)} for key, d in REGISTRY.items()]
    return render(request, "core/policy_list.html", {"rows": rows})


def _coerce(schema, form) -> dict:
    """Form strings → the schema's field types (int/float); pydantic validates the rest."""
    value = {}
    for name, info in schema.model_fields.items():
        raw = form.get(name, "").strip()
        value[name] = raw
        if info.annotation == list[str]:
            value[name] = [part.strip() for part in raw.split(",") if part.strip()]
        elif info.annotation is int and raw.lstrip("-").isdigit():
            value[name] = int(raw)
        elif info.annotation is float:
            with contextlib.suppress(ValueError):
                value[name] = float(raw)
        elif info.annotation is bool:
            value[name] = raw in {"1", "true", "on", "True"}
        elif info.annotation not in (str, int):
            # Structured values (time limits, ladders) are edited as JSON.
            with contextlib.suppress(ValueError):
                value[name] = json.loads(raw)
    return value


def _display(value):
    if isinstance(value, dict | list) and not all(isinstance(v, str) for v in value):
        return json.dumps(value, ensure_ascii=False)
    return value


@requires("policy.view")
def policy_edit(request, key: str):
    definition = REGISTRY.get(key)
    if definition is None:
        raise Http404
    in_force = policy_in_force(key)
    can_change = request.user.has_permission(definition.change_permission)
    errors: dict = {}
    values = in_force.value.model_dump()
    if request.method == "POST" and can_change:
        values = _coerce(definition.schema, request.POST)
        try:
            row = policy_update(
                actor=request.user, key=key, value=values, note=request.POST.get("note", "")
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            messages.success(request, _("Saved as version %(v)d.") % {"v": row.version})
            return redirect("core:policy_edit", key=key)
    fields = [
        {
            "name": name,
            "value": _display(values.get(name)),
            "description": info.description or "",
            "errors": errors.get(name, []),
        }
        for name, info in definition.schema.model_fields.items()
    ]
    history = PolicyVersion.objects.filter(key=key).select_related("created_by")[:20]
    return render(
        request,
        "core/policy_edit.html",
        {
            "definition": definition,
            "in_force": in_force,
            "fields": fields,
            "errors": errors,
            "can_change": can_change,
            "history": history,
            "default_json": json.dumps(definition.schema().model_dump(), ensure_ascii=False),
        },
    )
