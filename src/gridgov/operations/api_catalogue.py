"""Grid service models API under /api/v1/operations/: the 网格+X kinds (the policy), service
models with their items and status, a grid's catalogue ("我的网格能做什么") and the 网格服务日.
Scoped like the pages."""

from datetime import date
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    page_slice,
)
from gridgov.core.scoping import access_object
from gridgov.operations import selectors_catalogue as selectors
from gridgov.operations import services_catalogue as services
from gridgov.operations.policies_catalogue import service_models_policy
from gridgov.org.models import OrgUnit

router = PermissionRouter(tags=["operations: grid service models"])


class KindOut(Schema):
    code: str
    name: str
    name_en: str


class ItemOut(Schema):
    uid: UUID
    name: str
    fee_yuan: float
    fee_note: str
    target_groups: str
    description: str


class ModelOut(Schema):
    uid: UUID
    name: str
    kind: str
    service_type: str
    status: str
    description: str
    owner: str
    grids: list[str]
    version: int

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.code

    @staticmethod
    def resolve_grids(obj):
        return sorted(g.code for g in obj.grids.all())


class ModelDetailOut(ModelOut):
    items: list[ItemOut]
    providers: list[UUID]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())

    @staticmethod
    def resolve_providers(obj):
        return [r.uid for r in obj.providers.all()]


class ModelPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ModelOut]


class ModelIn(Schema):
    """``owner``: the code of the street or community keeping it; ``grids``: codes of its
    grids; ``providers``: uids of resources of the three lists' pool."""

    name: line(100)
    kind: line(20)
    service_type: line(12)
    owner: line(20)
    grids: list[line(20)]
    providers: list[UUID] = []
    description: line(500) = ""


class StatusIn(Schema):
    status: line(10)
    version: Version


class ItemIn(Schema):
    name: line(100)
    fee_yuan: float = 0
    fee_note: line(50) = ""
    target_groups: line(200) = ""
    description: line(300) = ""


class CatalogueOut(Schema):
    model: UUID
    name: str
    kind: str
    service_type: str
    status: str
    items: list[ItemOut]


class DayIn(Schema):
    grid: line(20)
    held_on: date
    title: line(100)
    attendance: int
    service_model: UUID | None = None


class DayOut(Schema):
    uid: UUID
    grid: str
    held_on: date
    title: str
    attendance: int

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code


@router.get("/service-model-kinds", response=list[KindOut])
@api_requires("operations.view")
def kinds(request):
    return [{"code": k, **v.model_dump()} for k, v in service_models_policy().model_kinds.items()]


@router.get("/service-models", response=ModelPage)
@api_requires("operations.view")
def model_list(request, status: line(10) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors.model_list(actor=request.user, status=status)
    items, limit, offset = page_slice(qs, offset, limit)
    return ModelPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/service-models", response={201: ModelDetailOut})
@api_requires("operations.manage")
def model_create(request, payload: ModelIn):
    data = payload.model_dump()
    data["providers"] = [str(u) for u in data["providers"]]
    return Status(201, services.model_create(actor=request.user, data=data))


@router.get("/service-models/{uid}", response=ModelDetailOut)
@api_requires("operations.view")
def model_get(request, uid: UUID):
    return selectors.model_get(actor=request.user, uid=uid)


@router.post("/service-models/{uid}/status", response=ModelDetailOut)
@api_requires("operations.manage")
def model_status(request, uid: UUID, payload: StatusIn):
    """pilot, active or ended; 409 from an ended model or to the status it has."""
    model = selectors.model_get(actor=request.user, uid=uid, action="manage")
    return services.model_status(
        actor=request.user, model=model, status=payload.status, version=payload.version
    )


@router.post("/service-models/{uid}/items", response={201: ItemOut})
@api_requires("operations.manage")
def item_add(request, uid: UUID, payload: ItemIn):
    model = selectors.model_get(actor=request.user, uid=uid, action="manage")
    return Status(
        201, services.item_add(actor=request.user, model=model, data=payload.model_dump())
    )


@router.get("/grids/{code}/catalogue", response=list[CatalogueOut])
@api_requires("operations.view")
def grid_catalogue(request, code: line(20)):
    """What the grid offers (我的网格能做什么): the running models and their items."""
    grid = access_object(
        request.user, OrgUnit.objects.filter(level=OrgUnit.Level.GRID), "view", code=code
    )
    return [
        {
            "model": e.model.uid,
            "name": e.model.name,
            "kind": e.model.kind,
            "service_type": e.model.service_type,
            "status": e.model.status,
            "items": e.items,
        }
        for e in selectors.grid_catalogue(grid)
    ]


@router.get("/service-days", response=list[DayOut])
@api_requires("operations.view")
def day_list(request):
    return list(selectors.day_list(actor=request.user)[:500])


@router.post("/service-days", response={201: DayOut})
@api_requires("operations.manage")
def day_create(request, payload: DayIn):
    data = payload.model_dump()
    data["service_model"] = str(data["service_model"]) if data["service_model"] else ""
    return Status(201, services.day_record(actor=request.user, data=data))
