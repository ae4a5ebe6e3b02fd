"""Residents' feedback pages: a verified resident's groups with their rating of the month and
a suggestion box; the staff's suggestions of the month with the 金点子 picks and each
group's ratings."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, error_text
from gridgov.core.permissions import requires
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope
from gridgov.groups import selectors_feedback
from gridgov.groups import services_feedback as feedback
from gridgov.groups.services_snapshots import month_of
from gridgov.residents.selectors import require_resident

PAGE = 200


@requires("groups.take_part")
def resident_groups(request):
    resident = require_resident(request.user)
    month = timezone.localdate().replace(day=1)
    groups = feedback.groups_of_resident(resident)
    mine = selectors_feedback.my_ratings(resident, month)
    return render(
        request,
        "groups/resident_groups.html",
        {
            "rows": [{"group": g, "stars": mine.get(g.pk)} for g in groups],
            "month": month,
            "choices": range(1, 6),
        },
    )


@require_POST
@requires("groups.take_part")
def resident_feedback(request, uid):
    action = request.POST.get("action", "")
    try:
        if action == "rate":
            feedback.rating_give(actor=request.user, group_uid=uid, stars=request.POST.get("stars"))
            messages.success(request, _("Thank you: your rating is saved for this month."))
        elif action == "suggest":
            feedback.suggestion_send(
                actor=request.user, group_uid=uid, text=request.POST.get("text", "")
            )
            messages.success(request, _("Thank you: your suggestion is sent to the community."))
        else:
            messages.error(request, _("Unknown action."))
    except NotFound:
        raise  # another compound's group: as if it did not exist
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("groups:resident_groups")


@requires("groups.view")
def suggestion_list(request):
    user = request.user
    month = month_of(request.GET.get("month", "")) or timezone.localdate().replace(day=1)
    suggestions = list(selectors_feedback.suggestion_list(actor=user, month=month)[:PAGE])
    return render(
        request,
        "groups/suggestion_list.html",
        {
            "month": month,
            "rows": [
                {"s": s, "can_pick": path_in_scope(user, s.scope_path, "groups.register")}
                for s in suggestions
            ],
            "golden": sum(1 for s in suggestions if s.golden),
            "limit": policy_get("groups.feedback").golden_per_month,
        },
    )


@require_POST
@requires("groups.register")
def suggestion_golden(request, uid):
    suggestion = selectors_feedback.suggestion_get(actor=request.user, uid=uid)
    try:
        feedback.golden_set(
            actor=request.user, suggestion=suggestion, golden=request.POST.get("golden") == "1"
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect(f"{reverse('groups:suggestion_list')}?month={suggestion.month:%Y-%m}")
