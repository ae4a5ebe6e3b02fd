"""Pages of service facilities: the facilities board of a street or district (the
15-minute circle per grid against its target, grids without a service centre, the
facilities, spaces idle last month and their 功能调整 tasks), a facility with its spaces'
utilisation and the walk-in form (made for a phone), adding a facility or a space. They
call the same services and selectors as the API."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.lists.booking_services import WEEKDAY_NAMES
from gridgov.operations import selectors_facilities as selectors
from gridgov.operations import services_facilities as services
from gridgov.operations.policies_facilities import facilities_policy

PAGE = 200


def _previous_month():
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


@requires("operations.view")
def facility_board(request):
    user = request.user
    policy = facilities_policy()
    board = selectors.circle_board(actor=user)
    facilities = list(selectors.facility_list(actor=user)[:PAGE])
    for f in facilities:
        kind = policy.kinds.get(f.kind)
        f.kind_label = kind.label() if kind else f.kind
    return render(
        request,
        "operations/facility_board.html",
        {
            "board": board,
            "facilities": facilities,
            "tasks": list(selectors.task_list(actor=user)[:PAGE]),
            "policy": policy,
            "can_manage": user.has_permission("operations.manage"),
        },
    )


def _facility_context(request, facility, **extra) -> dict:
    policy = facilities_policy()
    spaces = facility.spaces.filter(is_active=True).select_related("bookable__resource")
    today = timezone.localdate()
    kind = policy.kinds.get(facility.kind)
    return {
        "facility": facility,
        "kind_label": kind.label() if kind else facility.kind,
        "this_month": selectors.space_utilisation(spaces, today, until=today),
        "last_month": selectors.space_utilisation(spaces, _previous_month()),
        "policy": policy,
        "manages": path_in_scope(request.user, facility.scope_path, "operations.manage"),
        "today": today,
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "errors": {},
        "posted": {},
        **extra,
    }


@requires("operations.view")
def facility_detail(request, uid):
    facility = selectors.facility_get(actor=request.user, uid=uid)
    return render(request, "operations/facility_detail.html", _facility_context(request, facility))


def _failed(request, facility, exc: GridGovError, posted_space=None):
    if exc.status == 404:
        raise exc
    errors = (
        exc.details if isinstance(exc, ValidationFailed) and isinstance(exc.details, dict) else {}
    )
    messages.error(request, error_text(exc))
    context = _facility_context(
        request, facility, errors=errors, posted=request.POST, posted_space=posted_space
    )
    return render(request, "operations/facility_detail.html", context, status=exc.status)


@require_POST
@requires("operations.manage")
def space_use(request, uid):
    space = selectors.space_get(actor=request.user, uid=uid, action="manage")
    try:
        services.use_record(actor=request.user, space=space, data=request.POST.dict())
    except GridGovError as exc:
        return _failed(request, space.facility, exc, space.pk)
    messages.success(request, _("Use recorded."))
    return redirect("operations:facility_detail", space.facility.uid)


@require_POST
@requires("operations.manage")
def space_create(request, uid):
    facility = selectors.facility_get(actor=request.user, uid=uid, action="manage")
    data = request.POST.dict()
    data["schedule"] = {
        str(d): data.get(f"day_{d}", "").strip()
        for d in range(7)
        if data.get(f"day_{d}", "").strip()
    }
    try:
        services.space_create(actor=request.user, facility=facility, data=data)
    except GridGovError as exc:
        return _failed(request, facility, exc)
    messages.success(request, _("Space added."))
    return redirect("operations:facility_detail", facility.uid)


@requires("operations.manage")
def facility_create(request):
    policy = facilities_policy()
    errors, posted = {}, {}
    if request.method == "POST":
        posted = request.POST
        try:
            facility = services.facility_create(actor=request.user, data=request.POST.dict())
        except GridGovError as exc:
            if exc.status == 404:
                raise
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Facility added."))
            return redirect("operations:facility_detail", facility.uid)
    return render(
        request,
        "operations/facility_form.html",
        {"errors": errors, "posted": posted, "kinds": policy.kinds},
        status=422 if errors else 200,
    )


@require_POST
@requires("operations.manage")
def task_close(request, uid):
    task = selectors.task_get(actor=request.user, uid=uid)
    try:
        services.task_close(
            actor=request.user,
            task=task,
            version=request.POST.get("version", ""),
            note=request.POST.get("note", ""),
        )
    except GridGovError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Adjustment recorded."))
    return redirect("operations:facility_board")
