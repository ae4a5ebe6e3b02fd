"""The street's pages: rectification cases with their colours by deadline, one case with
its items, checks, evidence and closure review; the month's scores with the top and
bottom groups of each street."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.audit.services import audit_record
from gridgov.core import attachments
from gridgov.core.errors import GridGovError, NotFound, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.groups import selectors
from gridgov.groups import services_rectifications as cases
from gridgov.groups import services_scores as scores
from gridgov.groups.models import Rectification, RectificationEvidence
from gridgov.groups.services_snapshots import month_of

PAGE = 200
STATES = [("in_progress", None), *Rectification.State.choices]


@requires("groups.view")
def rectification_list(request):
    state = request.GET.get("state", "in_progress")
    if state not in {s for s, _l in STATES} | {"all"}:
        state = "in_progress"
    qs = selectors.rectification_list(actor=request.user, state="" if state == "all" else state)
    rows = [{"case": c, "colour": cases.case_colour(c)} for c in qs[:PAGE]]
    counts = {
        colour: sum(1 for r in rows if r["colour"] == colour)
        for colour in ("danger", "warning", "success")
    }
    return render(
        request,
        "groups/rectification_list.html",
        {
            "rows": rows,
            "count": qs.count(),
            "state": state,
            "counts": counts,
            "states": Rectification.State.choices,
        },
    )


@requires("groups.view")
def rectification_detail(request, uid):
    user = request.user
    case = selectors.rectification_get(actor=user, uid=uid)
    items = [{"item": i, "colour": cases.item_colour(i, case)} for i in case.items.all()]
    actions = [
        (a, cases.CASE_MACHINE.transitions[a]) for a in cases.CASE_MACHINE.offered(user, case)
    ]
    return render(
        request,
        "groups/rectification_detail.html",
        {
            "case": case,
            "colour": cases.case_colour(case),
            "items": items,
            "actions": actions,
            "can_work": path_in_scope(user, case.scope_path, "groups.register")
            and case.state == "open",
        },
    )


@require_POST
@requires("groups.register|groups.supervise")
def rectification_action(request, uid):
    case = selectors.rectification_get(actor=request.user, uid=uid)
    action = request.POST.get("action", "")
    raw = request.POST.get("version", "")
    try:
        if action == "item_done":
            cases.item_done(actor=request.user, case=case, item_id=request.POST.get("item"))
        else:
            cases.case_action(
                actor=request.user,
                case=case,
                action=action,
                version=int(raw) if raw.isdigit() else -1,
                note=request.POST.get("note", ""),
            )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("groups:rectification_detail", uid=case.uid)


@require_POST
@requires("groups.register")
def rectification_evidence_add(request, uid):
    case = selectors.rectification_get(actor=request.user, uid=uid)
    try:
        cases.evidence_add(actor=request.user, case=case, files=request.FILES.getlist("files"))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Evidence added."))
    return redirect("groups:rectification_detail", uid=case.uid)


@requires("groups.view")
def rectification_evidence_file(request, uid):
    visible = selectors.rectification_list(actor=request.user)
    try:
        evidence = RectificationEvidence.objects.select_related("case").get(
            uid=uid, case__in=visible
        )
    except RectificationEvidence.DoesNotExist:
        raise NotFound() from None
    data = attachments.read(evidence.stored_path, sha256=evidence.sha256)
    with transaction.atomic():
        audit_record(
            "groups.evidence.open",
            actor=request.user,
            target=evidence.case,
            changes={"evidence": str(evidence.uid)},
        )
    response = HttpResponse(data, content_type=evidence.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires("groups.view")
def score_board(request):
    """The month's scores: the top and bottom groups of each street, then every score."""
    user = request.user
    month = month_of(request.GET.get("month", ""))
    if month is None:
        latest = selectors.score_list(actor=user).first()
        month = latest.month if latest else timezone.localdate().replace(day=1)
    return render(
        request,
        "groups/score_board.html",
        {
            "month": month,
            "streets": selectors.top_and_bottom(actor=user, month=month),
            "scores": list(selectors.score_list(actor=user, month=month)[:PAGE]),
            "rules": selectors.score_rules(actor=user, month=month),
            "can_recompute": user.has_permission("groups.supervise"),
        },
    )


@require_POST
@requires("groups.supervise")
def score_recompute(request):
    """Score the month again under the scoring rules in force (after they changed)."""
    month = month_of(request.POST.get("month", ""))
    if month is None:
        messages.error(request, _("Choose a month."))
        return redirect("groups:score_board")
    run = scores.score_month(month=month, actor=request.user)
    messages.success(
        request,
        _(
            "%(scored)d monthly reports scored under version %(version)d of the scoring "
            "rules: %(changed)d scores changed, %(opened)d rectification cases opened."
        )
        % {
            "scored": run.scored,
            "version": run.policy_version,
            "changed": run.changed,
            "opened": run.cases_opened,
        },
    )
    return redirect(f"{reverse('groups:score_board')}?month={month:%Y-%m}")
