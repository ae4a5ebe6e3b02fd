"""Reads of the "网格+X" service models, scoped through ``visible_to``: the models, a
grid's catalogue ("我的网格能做什么": the items of the models running in it), the grids with
a signature service (特色服务) and the 网格服务日."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from gridgov.core.scoping import access_object
from gridgov.operations.models import ServiceDay, ServiceModel
from gridgov.org.models import OrgUnit

RUNNING = (ServiceModel.Status.PILOT, ServiceModel.Status.ACTIVE)


def model_list(*, actor, status: str = "") -> QuerySet[ServiceModel]:
    qs = ServiceModel.objects.visible_to(actor).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("grids")


def model_get(*, actor, uid, action: str = "view") -> ServiceModel:
    return access_object(
        actor,
        ServiceModel.objects.select_related("owner").prefetch_related("grids", "providers"),
        action,
        uid=uid,
    )


@dataclass
class CatalogueEntry:
    model: ServiceModel
    items: list


def grid_catalogue(grid: OrgUnit) -> list[CatalogueEntry]:
    """What the grid offers: the running models offered in it, signature services first,
    with their items. Public knowledge about services (the resident portal shows it); the
    caller has checked the grid is in scope."""
    models = (
        ServiceModel.objects.filter(grids=grid, status__in=RUNNING)
        .prefetch_related("items", "providers")
        .order_by("service_type", "name")
    )
    order = {ServiceModel.Type.FEATURED: 0, ServiceModel.Type.BASIC: 1}
    return [
        CatalogueEntry(m, list(m.items.all()))
        for m in sorted(models, key=lambda m: (order.get(m.service_type, 2), m.name))
    ]


def featured_by_grid(prefix: str) -> dict[str, list]:
    """{grid path: [1 when a running signature-service model is offered in it, 1]} for the
    active grids under ``prefix`` (特色网格服务占比)."""
    featured = set(
        ServiceModel.objects.filter(
            status__in=RUNNING, service_type=ServiceModel.Type.FEATURED
        ).values_list("grids__path", flat=True)
    )
    return {
        path: [int(path in featured), 1]
        for path in OrgUnit.objects.filter(
            level=OrgUnit.Level.GRID, path__startswith=prefix, is_active=True
        ).values_list("path", flat=True)
    }


def day_list(*, actor) -> QuerySet[ServiceDay]:
    return ServiceDay.objects.visible_to(actor).select_related("grid", "service_model")


def grids_offering(*, actor) -> list[OrgUnit]:
    """The active grids of the actor's area, each with ``featured``: whether a running
    signature-service model is offered in it (the same answer as the KPI)."""
    from gridgov.core.scoping import path_filter

    scope = path_filter(actor, "operations.view")
    if scope is None:
        return []
    featured: dict[str, list] = {}
    for prefix in actor.scope_paths("operations.view"):
        featured.update(featured_by_grid(prefix))
    grids = list(
        OrgUnit.objects.filter(scope, level=OrgUnit.Level.GRID, is_active=True).order_by("path")
    )
    for grid in grids:
        grid.featured = bool(featured.get(grid.path, [0])[0])
    return grids
