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
from gridgov.core.policy_labels import VALUE_KEYS, duration_text, field_label
from gridgov.core.services import policy_update


def _value_text(value, labels) -> str:
    """A policy value as a person reads it (codes by their names)."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "、".join(str(labels.get(v, v)) if isinstance(v, str) else str(v) for v in value)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        # Small records in a record (a topic's terms with their weights): "发热 (1)、发烧 (1)".
        return "、".join(
            " ".join(
                [_value_text(next(iter(v.values()), ""), labels)]
                + [f"({_value_text(x, labels)})" for x in list(v.values())[1:]]
            )
            for v in value
        )
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return str(labels.get(value, value))  # a code (a consent purpose, a period) by its name
    return str(value)


def _range_text(info) -> str:
    """The allowed range from the schema's bounds, e.g. "3–20"."""
    low = high = None
    for bound in info.metadata:
        low = getattr(bound, "ge", None) if getattr(bound, "ge", None) is not None else low
        high = getattr(bound, "le", None) if getattr(bound, "le", None) is not None else high
    if low is None and high is None:
        return ""
    return _("Allowed: %(low)s–%(high)s") % {
        "low": "" if low is None else low,
        "high": "" if high is None else high,
    }


def _value_lines(value: dict, labels, depth: int = 1) -> list[tuple[int, str]]:
    """A structured value as indented "name: value" lines, codes by their names; empty
    entries (a time limit in hours has no minutes) are left out."""
    lines = []
    for key, item in value.items():
        if item is None:
            continue
        name = str(labels.get(key) or VALUE_KEYS.get(key) or key)
        if duration_text(item):
            lines.append((depth, f"{name}: {duration_text(item)}"))
        elif isinstance(item, dict) and not any(isinstance(v, dict) for v in item.values()):
            # A small record (a target and its yellow line) reads best on one line.
            parts = [
                f"{labels.get(k) or VALUE_KEYS.get(k) or k} {_value_text(v, labels)}"
                for k, v in item.items()
                if v is not None
            ]
            lines.append((depth, f"{name}: {'，'.join(parts) or '—'}"))
        elif isinstance(item, dict):
            lines.append((depth, name))
            lines += _value_lines(item, labels, depth + 1)
        else:
            lines.append((depth, f"{name}: {_value_text(item, labels)}"))
    return lines


def _readable_values(definition, value) -> list[dict]:
    """Each field of a policy value: its label, its text, or its lines when structured."""
    labels = definition.value_labels() if definition.value_labels else {}
    out = []
    for name, item in value.model_dump().items():
        row = {"name": name, "label": field_label(name), "text": "", "lines": []}
        if duration_text(item):
            row["text"] = duration_text(item)
        elif isinstance(item, dict):
            row["lines"] = _value_lines(item, labels) or [(1, "—")]
        elif isinstance(item, list) and item and all(isinstance(v, dict) for v in item):
            # A list of small records (e.g. star bands): one line each.
            row["lines"] = [
                (
                    1,
                    "，".join(
                        f"{labels.get(k) or VALUE_KEYS.get(k) or k} {_value_text(v, labels)}"
                        for k, v in record.items()
                        if v is not None
                    ),
                )
                for record in item
            ]
        else:
            row["text"] = _value_text(item, labels)
        out.append(row)
    return out


@requires("policy.view")
def policy_list(request):
    rows = []
    for key, definition in REGISTRY.items():
        in_force = policy_in_force(key)
        values = _readable_values(definition, in_force.value)
        rows.append({"definition": definition, "in_force": in_force, "values": values})
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
    shown = {row["name"]: row for row in _readable_values(definition, in_force.value)}
    defaults = {row["name"]: row for row in _readable_values(definition, definition.schema())}
    fields = [
        {
            "name": name,
            "label": field_label(name),
            "value": _display(values.get(name)),
            "structured": isinstance(values.get(name), dict),
            "in_force": shown[name],
            "default": defaults[name],
            "description": _range_text(info),
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
        },
    )
