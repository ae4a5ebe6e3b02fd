"""The projects API (项目清单): list, create, detail, change, lifecycle actions, linking
needs, and the gap table 「资源分布与服务缺口」. Scoped reads and writes through the same
services as the pages (``lists/project_services.py``, ``lists/gap.py``)."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.lists import gap, project_services, selectors
from gridgov.lists.models import Project
from gridgov.lists.workflow import PROJECT_MACHINE

router = PermissionRouter(tags=["lists"])


class ProjectOut(Schema):
    uid: UUID
    name: str
    service_line: str
    state: str
    sponsor: str
    sponsor_name: str
    budget: Decimal
    funding_source: str
    planned_start: date | None
    planned_end: date | None
    beneficiaries: int | None
    resident_rating: float | None
    rating_count: int
    cancel_reason: str
    created_at: datetime
    version: int

    @staticmethod
    def resolve_sponsor(obj):
        return obj.sponsor.code

    @staticmethod
    def resolve_sponsor_name(obj):
        return obj.sponsor.name


class TimelineOut(Schema):
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str


class ProjectDetailOut(ProjectOut):
    summary: str
    actions: list[str]
    needs: list[UUID]
    households: list[UUID]
    providers: list[UUID]
    timeline: list[TimelineOut]

    @staticmethod
    def resolve_needs(obj):
        return obj.needs_uids

    @staticmethod
    def resolve_providers(obj):
        return obj.providers_uids


class ProjectPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ProjectOut]


class ProjectIn(Schema):
    """A project. ``sponsor``: the code of the sponsoring unit (in your scope); ``budget``:
    yuan, a number ≥ 0 (sent as a string or a number); ``providers``: resource uids;
    ``needs``: uids of needs nobody can meet to link (匹配中, or 无法满足 · 转项目)."""

    name: line(100)
    service_line: line(16)
    summary: lines(1000) = ""
    sponsor: line(20)
    budget: line(20) | int | float = "0"
    funding_source: line(100) = ""
    planned_start: date | None = None
    planned_end: date | None = None
    providers: list[UUID] = []
    beneficiaries: int | None = None
    needs: list[UUID] = []


class ProjectChangeIn(ProjectIn):
    version: Version


class ProjectTransitionIn(Schema):
    """``reason`` for return_budget and cancel; ``rating`` (1–5) for rate."""

    action: line(20)
    version: Version
    reason: line(300) = ""
    rating: int | None = None


class LinkIn(Schema):
    needs: list[UUID]
    version: Version


class GapRowOut(Schema):
    community: str
    community_name: str
    category: str
    category_name: str
    open_needs: int
    resources: int
    capacity: int
    capacity_left: int
    shortfall: int
    unmet: int
    unmet_needs: list[UUID]
    service_line: str
    propose_project: bool


class GapOut(Schema):
    threshold: int
    policy_version: int
    rows: list[GapRowOut]


def _detail(request, project: Project) -> Project:
    project.actions = PROJECT_MACHINE.offered(request.user, project)
    needs = list(project.needs.select_related("household").order_by("created_at"))
    project.needs_uids = [n.uid for n in needs]
    project.households = sorted({n.household.uid for n in needs}, key=str)
    project.providers_uids = list(project.providers.values_list("uid", flat=True))
    project.timeline = [
        {
            "at": e.created_at,
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor_name,
            "note": e.note,
        }
        for e in project.log.all()
    ]
    return project


def _out(request, project: Project) -> Project:
    return _detail(request, project)


def _data(payload: ProjectIn) -> dict:
    data = payload.model_dump()
    data["providers"] = [str(u) for u in payload.providers]
    data.pop("needs", None)
    data.pop("version", None)
    return data


@router.get("/projects", response=ProjectPage)
@api_requires("lists.view")
def project_list(
    request,
    state: line(16) = "",
    service_line: line(16) = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = selectors.project_list(actor=request.user, state=state, service_line=service_line)
    items, limit, offset = page_slice(qs, offset, limit)
    return ProjectPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/projects", response={201: ProjectDetailOut})
@api_requires("lists.manage")
def project_create(request, payload: ProjectIn):
    project = project_services.project_create(
        actor=request.user, data=_data(payload), needs=[str(u) for u in payload.needs]
    )
    return Status(201, _out(request, selectors.project_get(actor=request.user, uid=project.uid)))


@router.get("/projects/gap", response=GapOut)
@api_requires("lists.view")
def project_gap(request):
    """The gap table: per community and category, open needs against the capacity serving
    the community, the needs nobody can meet, and whether a project is proposed."""
    table = gap.gap_table(actor=request.user)
    return {
        "threshold": table.threshold,
        "policy_version": table.policy_version,
        "rows": [
            {
                "community": r.community.code,
                "community_name": r.community.name,
                "category": r.category.code,
                "category_name": r.category.name,
                "open_needs": r.open_needs,
                "resources": r.resources,
                "capacity": r.capacity,
                "capacity_left": r.capacity_left,
                "shortfall": r.shortfall,
                "unmet": r.unmet,
                "unmet_needs": r.unmet_uids,
                "service_line": r.service_line,
                "propose_project": r.propose,
            }
            for r in table.rows
        ],
    }


@router.get("/projects/{uid}", response=ProjectDetailOut)
@api_requires("lists.view")
def project_get(request, uid: UUID):
    return _out(request, selectors.project_get(actor=request.user, uid=uid))


@router.put("/projects/{uid}", response=ProjectDetailOut)
@api_requires("lists.manage")
def project_change(request, uid: UUID, payload: ProjectChangeIn):
    project = selectors.project_get(actor=request.user, uid=uid, action="manage")
    project_services.project_update(
        actor=request.user, project=project, data=_data(payload), version=payload.version
    )
    return _out(request, selectors.project_get(actor=request.user, uid=uid))


@router.post("/projects/{uid}/transitions", response=ProjectDetailOut)
@api_requires("lists.manage")
def project_transition(request, uid: UUID, payload: ProjectTransitionIn):
    """design, submit_budget, approve_budget / return_budget (``lists.approve``), evaluate,
    resident_review, rate (``rating`` 1–5), close, cancel (``reason``). The permission of
    each action is checked in the project's scope; a stale ``version`` is a 409."""
    project = selectors.project_get(actor=request.user, uid=uid, action="manage")
    project_services.project_transition(
        actor=request.user,
        project=project,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        rating=payload.rating,
    )
    return _out(request, selectors.project_get(actor=request.user, uid=uid))


@router.post("/projects/{uid}/needs", response=ProjectDetailOut)
@api_requires("lists.manage")
def project_link(request, uid: UUID, payload: LinkIn):
    """Link needs nobody can meet; a need 匹配中 becomes 无法满足 · 转项目."""
    project = selectors.project_get(actor=request.user, uid=uid, action="manage")
    project_services.project_link_needs(
        actor=request.user,
        project=project,
        needs=[str(u) for u in payload.needs],
        version=payload.version,
    )
    return _out(request, selectors.project_get(actor=request.user, uid=uid))
