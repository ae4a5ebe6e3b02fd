"""Writes of the indicator catalogue (统一指标体系): create an indicator, change it, retire it
or bring it back, and keep the categories. Every change of an indicator raises its
``version`` and keeps the definition it replaces as an ``IndicatorRevision`` (who, when,
what changed); answers keep the version they were given against, so an old record still
reads as it was collected. Indicators are never deleted: answers and revisions point at
them; a retired one is left off new forms and out of task generation.

The web pages (``views_catalogue.py``) and the API (``api.py``) call these functions; the
permission is ``visits.manage`` (docs/visits.md, "Who edits the catalogue").
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.visits.models import (
    Frequency,
    Indicator,
    IndicatorCategory,
    IndicatorRevision,
    VisitAnswer,
)

MANAGE = "visits.manage"
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")
CHOICE_CODE_RE = re.compile(r"^[a-z0-9_]{1,30}$")
MAX_CHOICES = 50
MAX_TEXT_LENGTH = 500  # a longer text answer would not fit the encrypted column

# The definition of an indicator, as a revision keeps it and as an edit may change it.
FIELDS = (
    "category",
    "name",
    "name_en",
    "definition",
    "value_type",
    "validation",
    "sensitivity",
    "purposes",
    "required",
    "frequency",
    "short_form",
    "method",
    "sort",
    "is_active",
)
# Validation keys each type takes; anything else is refused.
RULE_KEYS = {
    Indicator.Type.BOOLEAN: set(),
    Indicator.Type.INTEGER: {"min", "max"},
    Indicator.Type.DECIMAL: {"min", "max"},
    Indicator.Type.CHOICE: {"choices"},
    Indicator.Type.MULTI: {"choices"},
    Indicator.Type.TEXT: {"max_length"},
    Indicator.Type.DATE: set(),
}


def _require_manager(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_permission(MANAGE):
        raise PermissionDenied()


def allowed_purposes() -> dict[str, str]:
    """Collection purposes an indicator may name: the people app's minimum-necessary purposes
    (policy ``people.collection``) and the consent purposes, by their names."""
    from gridgov.people.models import Consent

    codes = list(policy_get("people.collection").purposes) + list(Consent.PURPOSE_LABELS)
    return {code: str(Consent.PURPOSE_LABELS.get(code, code)) for code in dict.fromkeys(codes)}


def snapshot(indicator: Indicator) -> dict[str, Any]:
    """The indicator's definition as plain data (the category by its code)."""
    data = {name: getattr(indicator, name) for name in FIELDS if name != "category"}
    data["category"] = indicator.category.code
    data["validation"] = dict(indicator.validation or {})
    data["purposes"] = list(indicator.purposes or [])
    return data


# Checking a definition --------------------------------------------------------------------


def _text(errors, data, key, *, max_length, required=True, multiline=False) -> str:
    value = data.get(key, "")
    try:
        text = normalise_text(value, multiline=multiline, max_length=max_length)
    except TextInvalid as exc:
        errors[key] = [str(exc.message)]
        return ""
    if required and not text:
        errors[key] = [_("Required.")]
    return text


def _number(value, *, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if whole and not isinstance(value, int):
        return False
    return math.isfinite(value)


def clean_validation(value_type: str, validation: Any) -> tuple[dict, list[str]]:
    """(the stored rules, the reasons they are refused): the rules must fit the type."""
    if validation in (None, ""):
        validation = {}
    if not isinstance(validation, dict):
        return {}, [_("Validation is a set of rules (JSON object).")]
    problems: list[str] = []
    allowed = RULE_KEYS.get(value_type, set())
    for key in validation:
        if key not in allowed:
            problems.append(
                _("The rule “%(rule)s” does not apply to the type “%(type)s”.")
                % {"rule": str(key)[:30], "type": Indicator.Type(value_type).label}
            )
    if problems:
        return {}, problems
    rules: dict[str, Any] = {}
    if value_type in (Indicator.Type.INTEGER, Indicator.Type.DECIMAL):
        whole = value_type == Indicator.Type.INTEGER
        for key in ("min", "max"):
            value = validation.get(key)
            if value is None:
                continue
            if not _number(value, whole=whole):
                problems.append(
                    _("The minimum must be a whole number.")
                    if key == "min" and whole
                    else _("The maximum must be a whole number.")
                    if whole
                    else _("The minimum must be a number.")
                    if key == "min"
                    else _("The maximum must be a number.")
                )
                continue
            rules[key] = value
        if "min" in rules and "max" in rules and rules["min"] > rules["max"]:
            problems.append(_("The minimum must not be greater than the maximum."))
    elif value_type in (Indicator.Type.CHOICE, Indicator.Type.MULTI):
        choices = validation.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            problems.append(_("A list indicator needs at least two choices."))
        elif len(choices) > MAX_CHOICES:
            problems.append(_("At most %(n)d choices.") % {"n": MAX_CHOICES})
        else:
            seen: set[str] = set()
            clean = []
            for n, choice in enumerate(choices, start=1):
                if (
                    not isinstance(choice, list | tuple)
                    or len(choice) != 3
                    or not all(isinstance(part, str) for part in choice)
                ):
                    problems.append(
                        _("Choice %(n)d: give a code, a Chinese and an English name.") % {"n": n}
                    )
                    continue
                code, name, name_en = (part.strip() for part in choice)
                if not CHOICE_CODE_RE.match(code):
                    problems.append(
                        _(
                            "Choice %(n)d: the code is 1–30 lower-case letters, digits or "
                            "underscores."
                        )
                        % {"n": n}
                    )
                elif code in seen:
                    problems.append(
                        _("Choice %(n)d: the code “%(code)s” is used twice.")
                        % {"n": n, "code": code}
                    )
                if not name or not name_en or len(name) > 40 or len(name_en) > 60:
                    problems.append(
                        _(
                            "Choice %(n)d: a Chinese name (at most 40 characters) and an English "
                            "name (at most 60) are both needed."
                        )
                        % {"n": n}
                    )
                seen.add(code)
                clean.append([code, name, name_en])
            rules["choices"] = clean
    elif value_type == Indicator.Type.TEXT:
        length = validation.get("max_length")
        if length is not None:
            if not _number(length, whole=True) or not 1 <= length <= MAX_TEXT_LENGTH:
                problems.append(
                    _("The maximum length is a whole number from 1 to %(n)d.")
                    % {"n": MAX_TEXT_LENGTH}
                )
            else:
                rules["max_length"] = length
    return rules, problems


def clean_definition(data: dict[str, Any], *, current: Indicator | None = None) -> dict[str, Any]:
    """The complete definition, checked; raises ValidationFailed naming every field that is
    wrong (nothing is stored)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    category_code = data.get("category")
    category = (
        IndicatorCategory.objects.filter(code=str(category_code)[:20]).first()
        if isinstance(category_code, str)
        else None
    )
    if category is None:
        errors["category"] = [_("Choose a category.")]
    clean["category"] = category
    clean["name"] = _text(errors, data, "name", max_length=60)
    clean["name_en"] = _text(errors, data, "name_en", max_length=100)
    clean["definition"] = _text(
        errors, data, "definition", max_length=300, required=False, multiline=True
    )
    value_type = data.get("value_type")
    if value_type not in Indicator.Type.values:
        errors["value_type"] = [_("Choose a type.")]
    elif (
        current is not None
        and value_type != current.value_type
        and VisitAnswer.objects.filter(indicator=current).exists()
    ):
        errors["value_type"] = [
            _(
                "Visits have answered this indicator, so its type cannot change: add a new "
                "indicator and retire this one."
            )
        ]
    clean["value_type"] = value_type
    if value_type in Indicator.Type.values:
        rules, problems = clean_validation(value_type, data.get("validation"))
        if problems:
            errors["validation"] = problems
        clean["validation"] = rules
    if data.get("sensitivity") not in Indicator.Sensitivity.values:
        errors["sensitivity"] = [_("Choose a sensitivity grade.")]
    clean["sensitivity"] = data.get("sensitivity")
    purposes = data.get("purposes")
    allowed = allowed_purposes()
    if (
        not isinstance(purposes, list)
        or not purposes
        or not all(isinstance(p, str) and p in allowed for p in purposes)
    ):
        errors["purposes"] = [
            _("Choose at least one collection purpose of: %(codes)s.")
            % {"codes": ", ".join(allowed)}
        ]
    else:
        clean["purposes"] = list(dict.fromkeys(purposes))
    for key in ("required", "short_form", "is_active"):
        if not isinstance(data.get(key), bool):
            errors[key] = [_("Yes or no (true / false).")]
        clean[key] = data.get(key)
    if data.get("frequency") not in Frequency.values:
        errors["frequency"] = [_("Choose a frequency.")]
    clean["frequency"] = data.get("frequency")
    if data.get("method") not in Indicator.Method.values:
        errors["method"] = [_("Choose a collection method.")]
    clean["method"] = data.get("method")
    sort = data.get("sort")
    if not _number(sort, whole=True) or not 0 <= sort <= 32767:
        errors["sort"] = [_("A whole number from 0 to 32767.")]
    clean["sort"] = sort
    if errors:
        raise ValidationFailed(details=errors)
    return clean


def _plain(clean: dict[str, Any]) -> dict[str, Any]:
    return {**clean, "category": clean["category"].code}


# Indicators -------------------------------------------------------------------------------


def indicator_create(*, actor, code: str, data: dict[str, Any]) -> Indicator:
    """A new indicator, version 1. Its code is permanent (answers are filed under it)."""
    _require_manager(actor)
    code = code.strip() if isinstance(code, str) else ""
    errors: dict[str, list[str]] = {}
    if not CODE_RE.match(code):
        errors["code"] = [
            _("A code of 1–20 capital letters, digits or underscores, starting with a letter.")
        ]
    elif Indicator.objects.filter(code=code).exists():
        errors["code"] = [_("The code %(code)s is already used.") % {"code": code}]
    try:
        clean = clean_definition({"is_active": True, "method": "visit", "sort": 100, **data})
    except ValidationFailed as exc:
        raise ValidationFailed(details={**errors, **exc.details}) from None
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        indicator = Indicator.objects.create(code=code, version=1, **clean)
        audit_record(
            "visits.indicator.create",
            actor=actor,
            target_type="visits.indicator",
            target_id=code,
            changes={**_plain(clean), "version": 1},
        )
    return indicator


def indicator_update(
    *, actor, indicator: Indicator, changes: dict[str, Any], expected_version: int
) -> Indicator:
    """A new version of the indicator with ``changes`` (any of ``FIELDS``); the definition
    it replaces is kept as a revision with who changed what. Nothing changes when a field is
    wrong, or when someone changed the indicator since ``expected_version`` (409)."""
    _require_manager(actor)
    unknown = [key for key in changes if key not in FIELDS]
    if unknown:
        raise ValidationFailed(
            details={key[:40]: [_("This cannot be changed here.")] for key in unknown}
        )
    with transaction.atomic():
        current = (
            Indicator.objects.select_for_update().select_related("category").get(pk=indicator.pk)
        )
        if current.version != expected_version:
            raise Conflict()
        before = snapshot(current)
        clean = clean_definition({**before, **changes}, current=current)
        after = _plain(clean)
        diff = {key: [before[key], after[key]] for key in FIELDS if before[key] != after[key]}
        if not diff:
            return current
        IndicatorRevision.objects.create(
            indicator=current,
            version=current.version,
            definition=before,
            changes=diff,
            changed_by=actor,
        )
        for key, value in clean.items():
            setattr(current, key, value)
        current.version += 1
        current.save()
        if set(diff) == {"is_active"}:
            action = (
                "visits.indicator.retire" if not current.is_active else "visits.indicator.restore"
            )
        else:
            action = "visits.indicator.update"
        audit_record(
            action,
            actor=actor,
            target_type="visits.indicator",
            target_id=current.code,
            changes={**diff, "version": current.version},
        )
    indicator.refresh_from_db()
    return current


def indicator_retire(*, actor, indicator: Indicator, expected_version: int) -> Indicator:
    """Off new forms and out of task generation; its answers stay and still read as given."""
    return indicator_update(
        actor=actor,
        indicator=indicator,
        changes={"is_active": False},
        expected_version=expected_version,
    )


def indicator_restore(*, actor, indicator: Indicator, expected_version: int) -> Indicator:
    return indicator_update(
        actor=actor,
        indicator=indicator,
        changes={"is_active": True},
        expected_version=expected_version,
    )


# Categories -------------------------------------------------------------------------------


def _clean_category(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean = {
        "name": _text(errors, data, "name", max_length=40),
        "name_en": _text(errors, data, "name_en", max_length=60),
    }
    sort = data.get("sort", 100)
    if not _number(sort, whole=True) or not 0 <= sort <= 32767:
        errors["sort"] = [_("A whole number from 0 to 32767.")]
    clean["sort"] = sort
    if errors:
        raise ValidationFailed(details=errors)
    return clean


def category_create(*, actor, code: str, data: dict[str, Any]) -> IndicatorCategory:
    _require_manager(actor)
    code = code.strip() if isinstance(code, str) else ""
    errors = {}
    if not CHOICE_CODE_RE.match(code) or len(code) > 20:
        errors["code"] = [_("A code of 1–20 lower-case letters, digits or underscores.")]
    elif IndicatorCategory.objects.filter(code=code).exists():
        errors["code"] = [_("The code %(code)s is already used.") % {"code": code}]
    try:
        clean = _clean_category(data)
    except ValidationFailed as exc:
        raise ValidationFailed(details={**errors, **exc.details}) from None
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        category = IndicatorCategory.objects.create(code=code, **clean)
        audit_record(
            "visits.indicator_category.create",
            actor=actor,
            target_type="visits.indicatorcategory",
            target_id=code,
            changes=clean,
        )
    return category


def category_update(
    *, actor, category: IndicatorCategory, data: dict[str, Any]
) -> IndicatorCategory:
    """Names and order of a category (its indicators' versions are not touched: a category
    is how the form groups them, not part of what they ask)."""
    _require_manager(actor)
    clean = _clean_category(data)
    with transaction.atomic():
        current = IndicatorCategory.objects.select_for_update().get(pk=category.pk)
        diff = {
            key: [getattr(current, key), value]
            for key, value in clean.items()
            if getattr(current, key) != value
        }
        if not diff:
            return current
        for key, value in clean.items():
            setattr(current, key, value)
        current.save()
        audit_record(
            "visits.indicator_category.update",
            actor=actor,
            target_type="visits.indicatorcategory",
            target_id=current.code,
            changes=diff,
        )
    return current
