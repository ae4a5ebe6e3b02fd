"""Hierarchy browser, unit pages, grid list/detail/map, grid boundary import, grid staff."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import GridGovError, ImportRejected, NotFound, ValidationFailed
from gridgov.core.maps import display_grids, display_points, layers_for
from gridgov.core.permissions import requires
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.org import selectors, services
from gridgov.org.codes import CHILD_LEVEL
from gridgov.org.models import Building, GridAssignment, OrgUnit


@requires("org.view")
def unit_tree(request):
    roots = selectors.org_unit_roots(actor=request.user)
    if len(roots) == 1:
        return redirect("org:unit_detail", code=roots[0].code)
    return render(request, "org/unit_tree.html", {"roots": roots})


@requires("org.view")
def unit_detail(request, code: str):
    unit = selectors.org_unit_get(actor=request.user, code=code)
    children = selectors.org_unit_children_with_counts(actor=request.user, unit=unit)
    can_change = path_in_scope(request.user, unit.path, "org.change")
    context = {
        "unit": unit,
        "ancestors": selectors.org_unit_ancestors(unit),
        "children": children,
        "can_change": can_change,
        "child_level": CHILD_LEVEL.get(unit.level),
        "compounds": selectors.compound_list(actor=request.user, community=unit)
        if unit.level == OrgUnit.Level.COMMUNITY
        else [],
    }
    if unit.level == OrgUnit.Level.GRID:
        return redirect("org:grid_detail", code=unit.code)
    return render(request, "org/unit_detail.html", context)


@requires("org.change")
def unit_create(request, code: str):
    parent = selectors.org_unit_get(actor=request.user, code=code, action="change")
    errors: dict = {}
    values = {"code": parent.code, "name": ""}
    if request.method == "POST":
        values = {"code": request.POST.get("code", ""), "name": request.POST.get("name", "")}
        try:
            unit = services.org_unit_create(actor=request.user, parent=parent, **values)
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            messages.success(request, _("Created %(name)s.") % {"name": unit.name})
            return redirect("org:unit_detail", code=unit.code)
    return render(
        request,
        "org/unit_form.html",
        {
            "parent": parent,
            "errors": errors,
            "values": values,
            "level": CHILD_LEVEL.get(parent.level),
        },
        status=400 if errors else 200,
    )


@requires("org.change")
def unit_edit(request, code: str):
    unit = selectors.org_unit_get(actor=request.user, code=code, action="change")
    errors: dict = {}
    if request.method == "POST":
        try:
            services.org_unit_update(
                actor=request.user,
                unit=unit,
                name=request.POST.get("name", ""),
                is_active=request.POST.get("is_active") == "on",
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            messages.success(request, _("Saved."))
            return redirect("org:unit_detail", code=unit.code)
    return render(
        request,
        "org/unit_edit.html",
        {"unit": unit, "errors": errors},
        status=400 if errors else 200,
    )


@requires("org.view")
def grid_list(request):
    grids = selectors.grid_list(actor=request.user)
    return render(request, "org/grid_list.html", {"grids": grids})


@requires("org.view")
def grid_detail(request, code: str):
    unit = selectors.org_unit_get(actor=request.user, code=code)
    if unit.level != OrgUnit.Level.GRID:
        raise NotFound()
    grids = selectors.grid_list(actor=request.user).filter(unit=unit)
    grid = grids.first()
    if grid is None:
        raise NotFound()
    return render(
        request,
        "org/grid_detail.html",
        {
            "unit": unit,
            "grid": grid,
            "ancestors": selectors.org_unit_ancestors(unit),
            "assignments": selectors.grid_assignments_current(actor=request.user, grid_unit=unit),
            "building_list": unit.buildings.select_related("compound").order_by(
                "compound__name", "number"
            ),
            "geojson": display_grids(selectors.grid_feature_collection([grid])),
            "buildings": display_points(
                selectors.building_points(
                    Building.objects.visible_to(request.user).filter(grid=unit)
                )
            ),
            "can_change": path_in_scope(request.user, unit.path, "org.change"),
            "duties": GridAssignment.Duty.choices,
        },
    )


@requires("org.change")
def grid_assign(request, code: str):
    unit = selectors.org_unit_get(actor=request.user, code=code, action="change")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "end":
                assignment = access_object(
                    request.user,
                    GridAssignment.objects.all(),
                    "change",
                    pk=request.POST.get("assignment"),
                    grid=unit,
                )
                services.grid_unassign(
                    actor=request.user, assignment=assignment, end_date=date.today()
                )
            else:
                person = User.objects.filter(username=request.POST.get("username", "")).first()
                if person is None:
                    raise services.grid_staff_refused()
                services.grid_assign(
                    actor=request.user,
                    grid=unit,
                    user=person,
                    duty=request.POST.get("duty", ""),
                    start_date=date.today(),
                )
        except GridGovError as exc:
            detail = "; ".join(str(m) for msgs in (exc.details or {}).values() for m in msgs)
            messages.error(request, f"{exc.message} {detail}".strip())
        else:
            messages.success(request, _("Saved."))
    return redirect("org:grid_detail", code=unit.code)


@requires("org.view")
def grid_map(request):
    grids = selectors.grid_list(actor=request.user)
    geojson = display_grids(selectors.grid_feature_collection(grids))
    buildings = selectors.building_points(Building.objects.visible_to(request.user))
    return render(
        request,
        "org/grid_map.html",
        {
            "geojson": geojson,
            "count": len(geojson["features"]),
            "buildings": display_points(buildings),
            "layers": layers_for(request.user),
        },
    )


@requires("org.change")
def grid_import(request):
    report = None
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a GeoJSON file.")
        else:
            try:
                report = services.grids_import_geojson(
                    upload.read(services.GRID_IMPORT_MAX_BYTES + 1),
                    actor=request.user,
                    source=upload.name,
                    valid_rows_only=request.POST.get("valid_rows_only") == "on",
                )
            except ImportRejected as exc:
                error = str(exc.message)
                report = {"rejected": exc.details or []}
            except GridGovError as exc:
                error = str(exc.message)
    return render(
        request,
        "org/grid_import.html",
        {"report": report, "error": error},
        status=400 if error else 200,
    )
