"""Pages of the "网格+X" service models: the models of the reader's area with each grid's
signature-service flag and the 网格服务日 (with the form to record one), a model with its
items and status, adding a model, and a grid's catalogue ("我的网格能做什么"). They call the
same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.operations import selectors_catalogue as selectors
from gridgov.operations import services_catalogue as services
from gridgov.operations.models import ServiceModel
from gridgov.operations.policies_catalogue import service_models_policy
from gridgov.org.models import OrgUnit

PAGE = 200


def _labelled(models):
    kinds = service_models_policy().model_kinds
    for m in models:
        m.kind_label = kinds[m.kind].label() if m.kind in kinds else m.kind
    return models


@requires("operations.view")
def model_list(request):
    user = request.user
    grids = selectors.grids_offering(actor=user)[:PAGE]
    return render(
        request,
        "operations/model_list.html",
        {
            "models": _labelled(list(selectors.model_list(actor=user)[:PAGE])),
            "grids": grids,
            "featured_count": sum(1 for g in grids if g.featured),
            "target": round(100 * service_models_policy().featured_target),
            "days": list(selectors.day_list(actor=user)[:30]),
            "can_manage": user.has_permission("operations.manage"),
            "today": timezone.localdate(),
            "errors": {},
            "posted": {},
        },
    )


@requires("operations.manage")
def model_create(request):
    errors, posted = {}, {}
    if request.method == "POST":
        posted = request.POST
        data = request.POST.dict()
        data["grids"] = request.POST.getlist("grids") or data.get("grids", "")
        try:
            model = services.model_create(actor=request.user, data=data)
        except GridGovError as exc:
            if exc.status == 404:
                raise
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Service model added."))
            return redirect("operations:model_detail", model.uid)
    return render(
        request,
        "operations/model_form.html",
        {
            "errors": errors,
            "posted": posted,
            "kinds": service_models_policy().model_kinds,
            "types": ServiceModel.Type.choices,
        },
        status=422 if errors else 200,
    )


@requires("operations.view")
def model_detail(request, uid):
    model = selectors.model_get(actor=request.user, uid=uid)
    _labelled([model])
    return render(
        request,
        "operations/model_detail.html",
        {
            "model": model,
            "items": list(model.items.all()),
            "manages": path_in_scope(request.user, model.scope_path, "operations.manage"),
            "statuses": [
                (v, label) for v, label in ServiceModel.Status.choices if v != model.status
            ],
        },
    )


@require_POST
@requires("operations.manage")
def model_item(request, uid):
    model = selectors.model_get(actor=request.user, uid=uid, action="manage")
    try:
        services.item_add(actor=request.user, model=model, data=request.POST.dict())
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Service item added."))
    return redirect("operations:model_detail", model.uid)


@require_POST
@requires("operations.manage")
def model_status(request, uid):
    model = selectors.model_get(actor=request.user, uid=uid, action="manage")
    try:
        services.model_status(
            actor=request.user,
            model=model,
            status=request.POST.get("status", ""),
            version=request.POST.get("version", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Status changed."))
    return redirect("operations:model_detail", model.uid)


@require_POST
@requires("operations.manage")
def day_create(request):
    try:
        services.day_record(actor=request.user, data=request.POST.dict())
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Service day recorded."))
    return redirect("operations:model_list")


@requires("operations.view")
def grid_catalogue(request, code):
    grid = access_object(
        request.user, OrgUnit.objects.filter(level=OrgUnit.Level.GRID), "view", code=code
    )
    entries = selectors.grid_catalogue(grid)
    _labelled([e.model for e in entries])
    return render(request, "operations/grid_catalogue.html", {"grid": grid, "entries": entries})
