"""Pages of chat exports, early warnings and the compound risk index: a group's exports
(consent notice, upload, what each export gave), the warnings of the area and one warning
(check it, turn it into a grid event), the compounds' risk and one compound's inputs."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.permissions import requires
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope
from gridgov.groups import chat_formats, selectors, selectors_warnings
from gridgov.groups import services_messages as exports
from gridgov.groups import services_warnings as warnings
from gridgov.groups.models import EarlyWarning

PAGE = 200
RISK_LABELS = {
    "warnings_per_1000": gettext_lazy("Warnings per 1,000 members"),
    "confirmed_warnings": gettext_lazy("Warnings confirmed (abnormal reports)"),
    "special_share": gettext_lazy("Share of special populations (%)"),
    "elderly_share": gettext_lazy("Share aged 60+ (%)"),
    "class_mix": gettext_lazy("Share of groups in 问题整改群 or 功能重构群 (%)"),
    "open_rectifications": gettext_lazy("Rectification cases open"),
    "unanswered_share": gettext_lazy("Share of residents' questions unanswered (%)"),
}
LEVELS = {
    "low": ("success", gettext_lazy("low (低)")),
    "medium": ("warning", gettext_lazy("medium (中)")),
    "high": ("danger", gettext_lazy("high (高)")),
    "": ("secondary", gettext_lazy("not measured")),
}


@requires("groups.view")
def group_exports(request, uid):
    user = request.user
    group = selectors.group_get(actor=user, uid=uid)
    return render(
        request,
        "groups/group_exports.html",
        {
            "group": group,
            "consent": exports.consent_in_force(group),
            "imports": list(selectors_warnings.import_list(actor=user, group=group)[:50]),
            "can_edit": path_in_scope(user, group.scope_path, "groups.register"),
            "formats": list(chat_formats.iter_formats()),
            "encodings": list(exports.ENCODINGS),
            "policy": policy_get("groups.messages"),
            "warnings": list(selectors_warnings.warning_list(actor=user, group=group)[:20]),
        },
    )


@require_POST
@requires("groups.register")
def group_exports_action(request, uid):
    user = request.user
    group = selectors.group_get(actor=user, uid=uid)
    action = request.POST.get("action", "")
    try:
        if action == "consent":
            exports.consent_record(
                actor=user,
                group=group,
                notice=request.POST.get("notice", ""),
                noticed_on=request.POST.get("noticed_on", ""),
            )
            messages.success(request, _("Consent notice recorded."))
        elif action == "withdraw":
            exports.consent_withdraw(actor=user, group=group)
            messages.success(request, _("Consent withdrawn: no further exports are read."))
        elif action == "upload":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, _("Choose the export file."))
                return redirect("groups:group_exports", uid=group.uid)
            done = exports.ingest_export(
                actor=user,
                group=group,
                upload=upload,
                file_format=request.POST.get("file_format", "auto"),
                encoding=request.POST.get("encoding", "utf-8"),
                admin_names=request.POST.get("admin_names", ""),
            )
            messages.success(
                request,
                _("Export read: %(new)s new of %(read)s messages, %(warnings)s warnings.")
                % {"new": done.messages_new, "read": done.messages_read, "warnings": done.warnings},
            )
        else:
            messages.error(request, _("Unknown action."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("groups:group_exports", uid=group.uid)


@requires("groups.view")
def warning_list(request):
    user = request.user
    state = request.GET.get("state", "open")
    if state not in set(EarlyWarning.State.values) | {"all"}:
        state = "open"
    qs = selectors_warnings.warning_list(actor=user, state="" if state == "all" else state)
    confirmed, checked = selectors_warnings.warning_precision(actor=user)
    return render(
        request,
        "groups/warning_list.html",
        {
            "warnings": list(qs[:PAGE]),
            "count": qs.count(),
            "state": state,
            "states": EarlyWarning.State.choices,
            "confirmed": confirmed,
            "checked": checked,
            "precision": confirmed / checked if checked else None,
        },
    )


@requires("groups.view")
def warning_detail(request, uid):
    user = request.user
    warning = selectors_warnings.warning_get(actor=user, uid=uid)
    from gridgov.events.models import Category

    topics = {t.code: t for t in policy_get("groups.warnings").topics}
    topic = topics.get(warning.topic)
    return render(
        request,
        "groups/warning_detail.html",
        {
            "warning": warning,
            "excerpts": selectors_warnings.warning_excerpts(warning),
            "can_check": warnings.may_check(user, warning),
            "categories": Category.objects.filter(
                kind="matter", is_active=True, parent__isnull=False
            ).order_by("code"),
            "default_category": topic.event_category if topic else "",
        },
    )


@require_POST
@requires("groups.register|groups.supervise")
def warning_action(request, uid):
    user = request.user
    warning = selectors_warnings.warning_get(actor=user, uid=uid)
    action = request.POST.get("action", "")
    raw = request.POST.get("version", "")
    version = int(raw) if raw.isdigit() else -1
    try:
        if action == "event":
            done = warnings.warning_to_event(
                actor=user,
                warning=warning,
                category_code=request.POST.get("category", ""),
                version=version,
            )
            messages.success(
                request, _("Grid event %(code)s reported.") % {"code": done.event.tracking_code}
            )
        else:
            warnings.warning_decide(
                actor=user,
                warning=warning,
                verdict=action,
                note=request.POST.get("note", ""),
                version=version,
            )
            messages.success(request, _("Warning checked."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("groups:warning_detail", uid=warning.uid)


def _risk_row(risk):
    colour, label = LEVELS[risk.level]
    return {"risk": risk, "colour": colour, "label": label}


@requires("groups.view")
def risk_list(request):
    user = request.user
    compounds = list(selectors_warnings.compounds_visible(actor=user)[:PAGE])
    risks = selectors_warnings.compound_risks(actor=user, compounds=compounds)
    rows = [_risk_row(risks[c.pk]) for c in compounds]
    rows.sort(key=lambda r: -(r["risk"].index if r["risk"].index is not None else -1))
    return render(request, "groups/risk_list.html", {"rows": rows})


@requires("groups.view")
def risk_detail(request, compound_id):
    user = request.user
    compound = selectors_warnings.compound_get(actor=user, compound_id=compound_id)
    risk = selectors_warnings.compound_risk(actor=user, compound=compound)
    inputs = [{"input": i, "label": RISK_LABELS[i.code], "share": i.share} for i in risk.inputs]
    return render(
        request,
        "groups/risk_detail.html",
        {"row": _risk_row(risk), "inputs": inputs, "compound": compound},
    )
