"""Checking indicator answers against the catalogue: known indicator, allowed for the
purpose, consent for sensitive ones, type and validation. Every error names the indicator
in Chinese and English (``answers.<code>``)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from gridgov.core.text import TextInvalid, normalise_text
from gridgov.visits.models import Indicator


def _key(code: str) -> str:
    return f"answers.{code}"


def _named(indicator: Indicator, reason: str) -> str:
    return _("%(indicator)s (%(code)s): %(reason)s") % {
        "indicator": indicator.label,
        "code": indicator.code,
        "reason": reason,
    }


def check_value(indicator: Indicator, value: Any) -> tuple[Any, str | None]:
    """(the stored form of the value, or the reason it is refused)."""
    rules = indicator.validation or {}
    kind = indicator.value_type
    if value is None:
        return None, _("Give a value or leave the indicator out.")
    if kind == Indicator.Type.BOOLEAN:
        if not isinstance(value, bool):
            return None, _("Answer yes or no (true / false).")
        return value, None
    if kind in (Indicator.Type.INTEGER, Indicator.Type.DECIMAL):
        whole = kind == Indicator.Type.INTEGER
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, _("Enter a number.")
        if whole and not isinstance(value, int):
            return None, _("Enter a whole number.")
        if not math.isfinite(value):
            return None, _("Enter a number.")
        low, high = rules.get("min"), rules.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return None, _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
        return value, None
    codes = [c[0] for c in indicator.choices]
    if kind == Indicator.Type.CHOICE:
        if not isinstance(value, str) or value not in codes:
            return None, _("Choose one of: %(codes)s.") % {"codes": ", ".join(codes)}
        return value, None
    if kind == Indicator.Type.MULTI:
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) and v in codes for v in value)
            or len(set(value)) != len(value)
        ):
            return None, _("Choose any of: %(codes)s, each once.") % {"codes": ", ".join(codes)}
        return sorted(value), None
    if kind == Indicator.Type.TEXT:
        try:
            text = normalise_text(value, multiline=True, max_length=rules.get("max_length", 500))
        except TextInvalid as exc:
            return None, str(exc.message)
        return text, None
    if kind == Indicator.Type.DATE:
        try:
            return date.fromisoformat(value).isoformat(), None
        except (TypeError, ValueError):
            return None, _("Give a date as YYYY-MM-DD.")
    return None, _("This indicator cannot be answered.")


def clean_answers(
    answers: dict[str, Any],
    *,
    purpose: str,
    sensitive_allowed: bool,
    indicators: dict[str, Indicator] | None = None,
) -> tuple[dict[Indicator, Any], dict[str, list[str]], list[str]]:
    """(clean values by indicator, errors by ``answers.<code>``, codes refused for want of
    consent). Consent refusals are errors too, with the reason."""
    if indicators is None:
        indicators = {i.code: i for i in Indicator.objects.filter(is_active=True)}
    values: dict[Indicator, Any] = {}
    errors: dict[str, list[str]] = {}
    refused: list[str] = []
    for code, raw in answers.items():
        code = str(code)[:20]
        indicator = indicators.get(code)
        if indicator is None:
            errors[_key(code)] = [
                _("Unknown indicator %(code)s (未知指标 / unknown indicator).") % {"code": code}
            ]
            continue
        if purpose not in (indicator.purposes or []):
            errors[_key(code)] = [
                _named(
                    indicator, _("may not be collected for the purpose “%(p)s”.") % {"p": purpose}
                )
            ]
            continue
        if indicator.is_sensitive and not sensitive_allowed:
            refused.append(code)
            errors[_key(code)] = [
                _named(
                    indicator,
                    _(
                        "sensitive: no member of the household has given the separate consent "
                        "this needs, so it may not be collected."
                    ),
                )
            ]
            continue
        value, problem = check_value(indicator, raw)
        if problem is not None:
            errors[_key(code)] = [_named(indicator, problem)]
            continue
        values[indicator] = value
    return values, errors, refused


def missing_required(
    values: dict[Indicator, Any], *, sensitive_allowed: bool, short_form: bool
) -> dict[str, list[str]]:
    """A completed visit answers every required indicator it may collect (on the short
    paper form, the required ones of that form)."""
    answered = {i.code for i in values}
    required = Indicator.objects.filter(is_active=True, required=True)
    if short_form:
        required = required.filter(short_form=True)
    errors = {}
    for indicator in required:
        if indicator.is_sensitive and not sensitive_allowed:
            continue
        if indicator.code not in answered:
            errors[_key(indicator.code)] = [_named(indicator, _("required for a completed visit."))]
    return errors
