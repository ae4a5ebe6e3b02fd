"""The catalogue editor: the categories and indicators of the visit form, a new indicator,
a change (a new version, with the history of every version), retire and bring back, and
the categories' names. The rules are in ``catalogue_services``; these pages read the form
and show what was refused."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.audit.readable import change_lines
from gridgov.core.errors import Conflict, NotFound, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.visits import catalogue_services, selectors
from gridgov.visits.models import Frequency, Indicator, IndicatorCategory

MANAGE = catalogue_services.MANAGE


def _number(raw: str, *, whole: bool):
    """The number typed, or the text itself (refused by the service with its reason)."""
    raw = raw.strip()
    for parse in (int,) if whole else (int, float):
        try:
            return parse(raw)
        except ValueError:
            continue
    return raw


def _choices(text: str) -> list:
    """One choice a line: ``code | 中文 | English`` (``｜`` too)."""
    rows = []
    for line in text.replace("｜", "|").splitlines():
        if line.strip():
            rows.append([part.strip() for part in line.split("|")])
    return rows


def _choices_text(validation: dict) -> str:
    return "\n".join(" | ".join(c) for c in validation.get("choices", []))


def rule_text(indicator: Indicator) -> str:
    """The validation rules in a few words, in the reader's language."""
    from django.utils.translation import get_language

    rules = indicator.validation or {}
    if indicator.value_type in (Indicator.Type.CHOICE, Indicator.Type.MULTI):
        chinese = (get_language() or "").lower().startswith("zh")
        return " / ".join(c[1] if chinese else c[2] for c in indicator.choices)
    if "min" in rules or "max" in rules:
        return f"{rules.get('min', '…')} – {rules.get('max', '…')}"
    if "max_length" in rules:
        return _("at most %(n)d characters") % {"n": rules["max_length"]}
    return "—"


def _form_data(post) -> dict:
    """The definition the form describes; validation only from the rules of the chosen type."""
    value_type = post.get("value_type", "")
    validation: dict = {}
    if value_type in (Indicator.Type.INTEGER, Indicator.Type.DECIMAL):
        whole = value_type == Indicator.Type.INTEGER
        for key in ("min", "max"):
            if post.get(key, "").strip():
                validation[key] = _number(post[key], whole=whole)
    elif value_type in (Indicator.Type.CHOICE, Indicator.Type.MULTI):
        validation["choices"] = _choices(post.get("choices", ""))
    elif value_type == Indicator.Type.TEXT and post.get("max_length", "").strip():
        validation["max_length"] = _number(post["max_length"], whole=True)
    return {
        "category": post.get("category", ""),
        "name": post.get("name", ""),
        "name_en": post.get("name_en", ""),
        "definition": post.get("definition", ""),
        "value_type": value_type,
        "validation": validation,
        "sensitivity": post.get("sensitivity", ""),
        "purposes": post.getlist("purposes"),
        "required": post.get("required") == "1",
        "frequency": post.get("frequency", ""),
        "short_form": post.get("short_form") == "1",
        "method": post.get("method", ""),
        "sort": _number(post.get("sort", ""), whole=True),
    }


def _form_context(values: dict, errors: dict) -> dict:
    validation = values.get("validation") or {}
    return {
        "values": values,
        "errors": errors,
        "min": validation.get("min", ""),
        "max": validation.get("max", ""),
        "max_length": validation.get("max_length", ""),
        "choices_text": _choices_text(validation)
        if isinstance(validation.get("choices"), list)
        and all(isinstance(c, list) for c in validation["choices"])
        else "",
        "categories": IndicatorCategory.objects.all(),
        "types": Indicator.Type.choices,
        "sensitivities": Indicator.Sensitivity.choices,
        "frequencies": Frequency.choices,
        "methods": Indicator.Method.choices,
        "purposes": catalogue_services.allowed_purposes().items(),
    }


@requires(MANAGE)
def catalogue(request):
    indicators = list(selectors.indicator_list(active_only=False))
    purposes = catalogue_services.allowed_purposes()
    sections = []
    for category in selectors.category_list():
        rows = [i for i in indicators if i.category_id == category.pk]
        for i in rows:
            i.purpose_names = [purposes.get(p, p) for p in i.purposes]
            i.rule_text = rule_text(i)
        sections.append({"category": category, "indicators": rows})
    return render(request, "visits/catalogue.html", {"sections": sections})


@requires(MANAGE)
def indicator_create(request):
    errors: dict = {}
    values: dict = {
        "category": request.GET.get("category", ""),
        "value_type": "",
        "sensitivity": "normal",
        "purposes": ["visit"],
        "frequency": "quarterly",
        "method": "visit",
        "sort": 100,
        "validation": {},
    }
    code = ""
    if request.method == "POST":
        values = _form_data(request.POST)
        code = request.POST.get("code", "")
        try:
            indicator = catalogue_services.indicator_create(
                actor=request.user, code=code, data=values
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            messages.success(
                request, _("Indicator %(code)s added (version 1).") % {"code": indicator.code}
            )
            return redirect("visits:catalogue")
    context = _form_context(values, errors) | {"indicator": None, "code": code}
    return render(request, "visits/indicator_edit.html", context, status=400 if errors else 200)


@requires(MANAGE)
def indicator_edit(request, code: str):
    indicator = selectors.indicator_get(code=code)
    errors: dict = {}
    values = catalogue_services.snapshot(indicator)
    if request.method == "POST":
        values = _form_data(request.POST) | {"is_active": indicator.is_active}
        try:
            version = int(request.POST.get("version", "0") or 0)
        except ValueError:
            version = 0
        try:
            before = indicator.version
            changed = catalogue_services.indicator_update(
                actor=request.user, indicator=indicator, changes=values, expected_version=version
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        except Conflict as exc:
            messages.error(request, error_text(exc))
            return redirect("visits:indicator_edit", code=indicator.code)
        else:
            if changed.version == before:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(request, _("Saved as version %(v)d.") % {"v": changed.version})
            return redirect("visits:catalogue")
    context = _form_context(values, errors) | {
        "indicator": indicator,
        "code": indicator.code,
        "answered": indicator_answered(indicator),
        "history": [
            {"revision": r, "lines": change_lines("visits.indicator", r.changes)}
            for r in selectors.indicator_history(indicator=indicator)[:50]
        ],
    }
    return render(request, "visits/indicator_edit.html", context, status=400 if errors else 200)


def indicator_answered(indicator: Indicator) -> bool:
    from gridgov.visits.models import VisitAnswer

    return VisitAnswer.objects.filter(indicator=indicator).exists()


@requires(MANAGE)
@require_POST
def indicator_status(request, code: str):
    """Retire an indicator (``active=0``) or bring it back (``active=1``)."""
    indicator = selectors.indicator_get(code=code)
    try:
        version = int(request.POST.get("version", "0") or 0)
    except ValueError:
        version = 0
    active = request.POST.get("active") == "1"
    service = (
        catalogue_services.indicator_restore if active else catalogue_services.indicator_retire
    )
    try:
        changed = service(actor=request.user, indicator=indicator, expected_version=version)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, error_text(exc, model=Indicator))
    else:
        messages.success(
            request,
            (
                _("%(code)s is back on the form (version %(v)d).")
                if active
                else _(
                    "%(code)s is retired: new forms leave it out; its answers stay (version %(v)d)."
                )
            )
            % {"code": changed.code, "v": changed.version},
        )
    return redirect("visits:catalogue")


@requires(MANAGE)
def category_edit(request, code: str | None = None):
    category = None
    if code is not None:
        category = IndicatorCategory.objects.filter(code=code[:20]).first()
        if category is None:
            raise NotFound()
    errors: dict = {}
    values = {
        "code": category.code if category else "",
        "name": category.name if category else "",
        "name_en": category.name_en if category else "",
        "sort": category.sort if category else 100,
    }
    if request.method == "POST":
        values = {
            "code": request.POST.get("code", ""),
            "name": request.POST.get("name", ""),
            "name_en": request.POST.get("name_en", ""),
            "sort": _number(request.POST.get("sort", ""), whole=True),
        }
        data = {k: v for k, v in values.items() if k != "code"}
        try:
            if category is None:
                catalogue_services.category_create(
                    actor=request.user, code=values["code"], data=data
                )
            else:
                catalogue_services.category_update(actor=request.user, category=category, data=data)
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            messages.success(request, _("Saved."))
            return redirect("visits:catalogue")
    return render(
        request,
        "visits/indicator_category_edit.html",
        {"category": category, "values": values, "errors": errors},
        status=400 if errors else 200,
    )
