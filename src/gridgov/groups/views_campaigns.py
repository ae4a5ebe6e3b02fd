"""The campaign pages: the campaigns of the area and a new one (street or district), the
board of one campaign (phase and day, milestones with their colours, per community the six
indicators and today's report), its actions, the QR code of its public page, and the public
progress page itself (no sign-in; aggregates only)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.permissions import public, requires
from gridgov.core.scoping import path_in_scope
from gridgov.groups import selectors_campaigns as selectors
from gridgov.groups import services_campaigns as services
from gridgov.groups.models_campaigns import Campaign
from gridgov.groups.policies_campaigns import campaign_policy
from gridgov.org.models import OrgUnit


def _labels():
    from django.utils.translation import gettext

    return {
        "collection": gettext("Collection (采集完成率)"),
        "anomaly": gettext("Anomalies (数据异常率)"),
        "participation": gettext("Participation (居民参与率)"),
        "four_haves": gettext("Four essentials (四有比例)"),
        "rectification_on_time": gettext("Rectification on time (整改按期率)"),
        "monthly_update": gettext("Updated by the 5th (月度更新率)"),
    }


def _units(user):
    """Streets and districts where the user may start a campaign."""
    paths = user.scope_paths("groups.campaign")
    if not paths:
        return []
    from django.db.models import Q

    where = Q(pk__in=[])
    for path in paths:
        where |= Q(path__startswith=path)
    return list(
        OrgUnit.objects.filter(where, level__in=services.LEVELS, is_active=True).order_by("path")
    )


@requires("groups.view")
def campaign_list(request):
    show = request.GET.get("show", "")
    if show == "late":
        late = selectors.late_milestones(actor=request.user)
        return render(request, "groups/campaign_late.html", {"rows": late, "show": show})
    if show == "extensions":
        waiting = list(selectors.extensions_to_decide(actor=request.user))
        return render(request, "groups/campaign_late.html", {"extensions": waiting, "show": show})
    campaigns = [
        {"campaign": c, "day": services.campaign_day(c)}
        for c in selectors.campaign_list(actor=request.user)[:200]
    ]
    for row in campaigns:
        phase = services.phase_of(row["campaign"], row["day"])
        row["phase"] = phase
    return render(
        request,
        "groups/campaign_list.html",
        {"rows": campaigns, "can_create": bool(request.user.scope_paths("groups.campaign"))},
    )


@requires("groups.campaign")
def campaign_create(request):
    units = _units(request.user)
    errors: dict = {}
    if request.method == "POST":
        try:
            campaign = services.campaign_create(
                actor=request.user,
                unit_code=request.POST.get("unit", ""),
                name=request.POST.get("name", ""),
                start_on=request.POST.get("start_on", ""),
            )
        except GridGovError as exc:
            errors = exc.details or {}
            messages.error(request, error_text(exc, Campaign))
        else:
            messages.success(request, _("The campaign was started."))
            return redirect("groups:campaign_board", uid=campaign.uid)
    return render(
        request,
        "groups/campaign_form.html",
        {"units": units, "errors": errors, "posted": request.POST},
        status=422 if errors else 200,
    )


@requires("groups.view")
def campaign_board(request, uid):
    user = request.user
    campaign = selectors.campaign_get(actor=user, uid=uid)
    board = selectors.campaign_board(campaign, actor=user)
    labels = _labels()
    path = campaign.scope_path
    policy = campaign_policy()
    my_communities = [
        r.batch
        for r in board.rows
        if path_in_scope(user, r.batch.community.path, "groups.register")
    ]
    return render(
        request,
        "groups/campaign_board.html",
        {
            "campaign": campaign,
            "board": board,
            "labels": labels,
            "codes": list(labels),
            "can_run": path_in_scope(user, path, "groups.campaign"),
            "can_approve": path_in_scope(user, path, "groups.campaign_approve"),
            "my_communities": my_communities,
            "policy": policy,
            "public_url": request.build_absolute_uri(
                reverse("groups:campaign_public", args=[campaign.public_token])
            ),
        },
    )


@require_POST
@requires("groups.campaign|groups.campaign_approve|groups.register")
def campaign_action(request, uid):
    user = request.user
    action = request.POST.get("action", "")
    # Seen first; each service then checks its own permission in the campaign's scope.
    campaign = selectors.campaign_get(actor=user, uid=uid)
    raw = request.POST.get("version", "")
    version = int(raw) if raw.isdigit() else -1
    try:
        if action == "milestone_done":
            services.milestone_done(
                actor=user,
                milestone=selectors.milestone_get(
                    campaign=campaign, milestone_id=request.POST.get("milestone")
                ),
                evidence_note=request.POST.get("evidence_note", ""),
                version=version,
            )
        elif action == "extension_request":
            services.extension_request(
                actor=user,
                milestone=selectors.milestone_get(
                    campaign=campaign, milestone_id=request.POST.get("milestone")
                ),
                days=request.POST.get("days", ""),
                reason=request.POST.get("reason", ""),
            )
        elif action == "extension_decide":
            services.extension_decide(
                actor=user,
                extension=selectors.extension_get(
                    campaign=campaign, uid=request.POST.get("extension")
                ),
                approve=request.POST.get("decision") == "approve",
                note=request.POST.get("note", ""),
            )
        elif action == "pause":
            services.campaign_pause(
                actor=user,
                campaign=campaign,
                reason=request.POST.get("reason", ""),
                version=version,
            )
        elif action == "resume":
            services.campaign_resume(actor=user, campaign=campaign, version=version)
        elif action == "daily_report":
            services.daily_report_submit(
                actor=user,
                campaign=campaign,
                community_code=request.POST.get("community", ""),
                note=request.POST.get("note", ""),
            )
        else:
            raise ValidationFailed(details={"action": [_("Unknown action.")]})
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("groups:campaign_board", uid=campaign.uid)


def _qr_svg(url: str) -> str:
    """The code as SVG markup; it holds the URL only (no text anyone typed), so the public
    page can put it inline."""
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return buffer.getvalue().decode()


@requires("groups.view")
def campaign_qr(request, uid):
    """The QR code of the public progress page, as SVG for the notice board (drawn here)."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid)
    url = request.build_absolute_uri(
        reverse("groups:campaign_public", args=[campaign.public_token])
    )
    return HttpResponse(_qr_svg(url), content_type="image/svg+xml")


@public
def campaign_public(request, token):
    """The public progress page 盘点进度: day, phase, milestones with colours, and per
    community the collection and update rates — figures only, no people and no groups."""
    try:
        campaign = selectors.campaign_by_token(token)
    except NotFound as exc:
        raise Http404() from exc
    board = selectors.campaign_board(campaign)
    url = request.build_absolute_uri(request.path)
    response = render(
        request,
        "groups/campaign_public.html",
        {
            "campaign": campaign,
            "board": board,
            "labels": _labels(),
            "public_codes": ["collection", "four_haves", "monthly_update"],
            "qr": _qr_svg(url),
        },
    )
    response["Cache-Control"] = "no-store"
    return response
