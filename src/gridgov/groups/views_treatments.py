"""Pages of the treatments: the area's mentor pairings and split-or-merge tasks, and the
actions on them from a group's page (pair, end a pairing, mark a task done)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.permissions import requires
from gridgov.groups import selectors, selectors_treatments
from gridgov.groups import services_treatments as treatments

PAGE = 200


@requires("groups.view")
def treatment_list(request):
    user = request.user
    pairings = selectors_treatments.pairing_list(actor=user)
    tasks = selectors_treatments.task_list(actor=user)
    return render(
        request,
        "groups/treatment_list.html",
        {
            "pairings": [
                {"pairing": p, "progress": treatments.pairing_progress(p)} for p in pairings[:PAGE]
            ],
            "tasks": [{"task": t, "colour": treatments.task_colour(t)} for t in tasks[:PAGE]],
        },
    )


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


@require_POST
@requires("groups.register")
def group_treatment_action(request, uid):
    user = request.user
    group = selectors.group_get(actor=user, uid=uid)
    action = request.POST.get("action", "")
    try:
        if action == "pair":
            treatments.pairing_start(
                actor=user, mentee=group, mentor_uid=request.POST.get("mentor")
            )
            messages.success(request, _("Paired with the mentor group."))
        elif action == "end_pairing":
            pairing = selectors_treatments.pairing_get(actor=user, uid=request.POST.get("pairing"))
            treatments.pairing_end(
                actor=user,
                pairing=pairing,
                outcome=request.POST.get("outcome", ""),
                version=_version(request),
            )
            messages.success(request, _("Pairing ended."))
        elif action == "task_done":
            task = selectors_treatments.task_get(actor=user, uid=request.POST.get("task"))
            treatments.restructure_done(
                actor=user, task=task, note=request.POST.get("note", ""), version=_version(request)
            )
            messages.success(request, _("Split-or-merge task done."))
        else:
            messages.error(request, _("Unknown action."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("groups:group_detail", uid=group.uid)
