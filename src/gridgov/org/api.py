from typing import Any

from ninja import File, Form, Schema, Status
from ninja.files import UploadedFile

from gridgov.core.api_support import (
    Latitude,
    Limit,
    Line,
    Longitude,
    Offset,
    PermissionRouter,
    api_requires,
    line,
    page_slice,
)
from gridgov.core.errors import NotFound
from gridgov.org import selectors, services

router = PermissionRouter(tags=["org"])


class OrgUnitOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None
    path: str
    is_active: bool

    @staticmethod
    def resolve_parent(obj):
        return obj.parent.code if obj.parent_id else None


class OrgUnitPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[OrgUnitOut]


class OrgUnitIn(Schema):
    parent: line(20)
    code: line(20)
    name: line(100)


class OrgUnitPatch(Schema):
    name: line(100) | None = None
    is_active: bool | None = None


@router.get("/org-units", response=OrgUnitPage)
@api_requires("org.view")
def org_unit_list(
    request,
    level: line(12) | None = None,
    parent: line(20) | None = None,
    q: Line = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    parent_unit = selectors.org_unit_get(actor=request.user, code=parent) if parent else None
    qs = selectors.org_unit_list(actor=request.user, level=level, parent=parent_unit, search=q)
    items, limit, offset = page_slice(qs, offset, limit)
    return OrgUnitPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.get("/org-units/{code}", response=OrgUnitOut)
@api_requires("org.view")
def org_unit_get(request, code: str):
    return selectors.org_unit_get(actor=request.user, code=code)


@router.post("/org-units", response={201: OrgUnitOut})
@api_requires("org.change")
def org_unit_create(request, payload: OrgUnitIn):
    parent = selectors.org_unit_get(actor=request.user, code=payload.parent, action="change")
    unit = services.org_unit_create(
        actor=request.user, parent=parent, code=payload.code, name=payload.name
    )
    return Status(201, unit)


@router.patch("/org-units/{code}", response=OrgUnitOut)
@api_requires("org.change")
def org_unit_patch(request, code: str, payload: OrgUnitPatch):
    unit = selectors.org_unit_get(actor=request.user, code=code, action="change")
    return services.org_unit_update(
        actor=request.user,
        unit=unit,
        name=payload.name if payload.name is not None else unit.name,
        is_active=payload.is_active if payload.is_active is not None else unit.is_active,
    )


class GridOut(Schema):
    code: str
    name: str
    community: str
    household_count: int
    boundary: dict[str, Any]

    @staticmethod
    def resolve_code(obj):
        return obj.unit.code

    @staticmethod
    def resolve_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_community(obj):
        return obj.unit.parent.code


class GridPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[GridOut]


@router.get("/grids", response=GridPage)
@api_requires("org.view")
def grid_list(request, under: line(20) | None = None, offset: Offset = 0, limit: Limit = 50):
    under_unit = selectors.org_unit_get(actor=request.user, code=under) if under else None
    qs = selectors.grid_list(actor=request.user, under=under_unit)
    items, limit, offset = page_slice(qs, offset, limit)
    return GridPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


class ImportReportOut(Schema):
    batch_id: str
    created: int
    updated: int
    unchanged: int
    rejected: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


@router.post("/grids/import", response=ImportReportOut)
@api_requires("org.change")
def grid_import(request, file: File[UploadedFile], valid_rows_only: Form[bool] = False):
    """Upload a GeoJSON FeatureCollection of grid boundaries (multipart ``file``)."""
    report = services.grids_import_geojson(
        file.read(services.GRID_IMPORT_MAX_BYTES + 1),
        actor=request.user,
        source=file.name or "grids.geojson",
        valid_rows_only=valid_rows_only,
    )
    return report.as_dict()


@router.get("/grids/locate", response=GridOut)
@api_requires("org.view")
def grid_locate(request, lon: Longitude, lat: Latitude):
    unit = selectors.grid_at_point(lon=lon, lat=lat, actor=request.user)
    if unit is None:
        raise NotFound()
    return selectors.grid_list(actor=request.user).get(unit=unit)


@router.get("/grids/{code}", response=GridOut)
@api_requires("org.view")
def grid_get(request, code: str):
    grid = selectors.grid_list(actor=request.user).filter(unit__code=code).first()
    if grid is None:
        raise NotFound()
    return grid


@router.get("/grids.geojson", response=dict[str, Any])
@api_requires("org.view")
def grid_geojson(request, under: line(20) | None = None):
    under_unit = selectors.org_unit_get(actor=request.user, code=under) if under else None
    return selectors.grid_feature_collection(
        selectors.grid_list(actor=request.user, under=under_unit)
    )
