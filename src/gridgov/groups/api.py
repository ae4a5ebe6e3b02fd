"""The chat-group registry API ``/api/v1/chat-groups``: list, register, read, change,
approve. Scoped like the pages; the external id never leaves (only its keyed hash is
kept), members only as aggregates."""

from datetime import date, datetime
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
from gridgov.core.masking import mask_name
from gridgov.groups import selectors, services
from gridgov.groups.models import Group
from gridgov.groups.workflow import GROUP_MACHINE

router = PermissionRouter(tags=["chat groups"])


class MembersOut(Schema):
    total: int | None
    age_0_18: int | None
    age_19_60: int | None
    age_60_plus: int | None
    students: int | None
    employed: int | None
    retired: int | None
    other_occupations: int | None
    elderly_alone: int | None
    pregnant: int | None
    chronically_ill: int | None
    verified_residents: int | None
    verified_share: float | None


class AdminOut(Schema):
    kind: str  # staff or resident
    name: str  # a resident's name masked


class GroupOut(Schema):
    uid: UUID
    name: str
    platform: str
    function: str
    manager: str
    community: str
    grid: str | None
    compounds: list[int]
    status: str
    state: str
    registered: bool
    four_haves: dict[str, bool]
    responsible: str | None
    created_on: date | None
    version: int

    @staticmethod
    def resolve_community(obj):
        return obj.community.code

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code if obj.grid_id else None

    @staticmethod
    def resolve_compounds(obj):
        return [c.pk for c in obj.compounds.all()]

    @staticmethod
    def resolve_registered(obj):
        return obj.is_registered

    @staticmethod
    def resolve_four_haves(obj):
        return {k.removeprefix("has_"): getattr(obj, k) for k in Group.FOUR_HAVES}

    @staticmethod
    def resolve_responsible(obj):
        return obj.responsible.username if obj.responsible_id else None


class GroupDetailOut(GroupOut):
    buildings: list[int]
    admins: list[AdminOut]
    members: MembersOut
    predecessors: list[UUID]
    successors: list[UUID]
    evidence: dict[str, int]
    decided_by_name: str
    decided_at: datetime | None
    decision_note: str
    note: str
    actions: list[str]

    @staticmethod
    def resolve_buildings(obj):
        return [b.pk for b in obj.buildings.all()]

    @staticmethod
    def resolve_admins(obj):
        return [
            {"kind": "staff", "name": a.user.get_full_name() or a.user.username}
            if a.user_id
            else {"kind": "resident", "name": mask_name(a.resident.name)}
            for a in obj.admins.all()
        ]

    @staticmethod
    def resolve_members(obj):
        return {
            "total": obj.members_total,
            "age_0_18": obj.age_0_18,
            "age_19_60": obj.age_19_60,
            "age_60_plus": obj.age_60_plus,
            "students": obj.occupation_students,
            "employed": obj.occupation_employed,
            "retired": obj.occupation_retired,
            "other_occupations": obj.occupation_other,
            "elderly_alone": obj.special_elderly_alone,
            "pregnant": obj.special_pregnant,
            "chronically_ill": obj.special_chronic,
            "verified_residents": obj.verified_residents,
            "verified_share": obj.verified_share,
        }

    @staticmethod
    def resolve_predecessors(obj):
        return [g.uid for g in obj.predecessors.all()]

    @staticmethod
    def resolve_successors(obj):
        return [g.uid for g in obj.successors.all()]

    @staticmethod
    def resolve_evidence(obj):
        out: dict[str, int] = {}
        for e in obj.evidence.all():
            key = e.item.removeprefix("has_")
            out[key] = out.get(key, 0) + 1
        return out


class GroupPage(Schema):
    count: int
    offset: int
    limit: int
    registered: int
    four_haves_share: float | None
    items: list[GroupOut]


class AdminIn(Schema):
    """A staff account (``user``: its user name) or a resident (``resident``: uid)."""

    user: line(150) = ""
    resident: UUID | None = None


class GroupIn(Schema):
    """``function``: notice, service, mutual_aid, deliberation or mixed (commercial is
    refused); ``manager``: committee, property, owners, volunteers or building_head;
    ``platform``: wechat, wecom, qq, dingtalk or other. ``external_id``: the platform's
    group id, kept only as a keyed hash (duplicates are refused). Counts left out are "not
    measured"; parts may not exceed ``members_total`` (422 naming the field)."""

    name: line(100)
    platform: line(12)
    function: line(16)
    manager: line(16)
    external_id: line(100) = ""
    compounds: list[int]
    buildings: list[int] = []
    responsible: line(150) = ""
    admins: list[AdminIn] = []
    created_on: date | None = None
    status: line(12) = "active"
    predecessors: list[UUID] = []
    has_charter: bool = False
    has_admin: bool = False
    has_review: bool = False
    has_emergency_plan: bool = False
    members_total: int | None = None
    age_0_18: int | None = None
    age_19_60: int | None = None
    age_60_plus: int | None = None
    occupation_students: int | None = None
    occupation_employed: int | None = None
    occupation_retired: int | None = None
    occupation_other: int | None = None
    special_elderly_alone: int | None = None
    special_pregnant: int | None = None
    special_chronic: int | None = None
    verified_residents: int | None = None
    note: lines(500) = ""


class GroupUpdateIn(GroupIn):
    version: Version


class TransitionIn(Schema):
    """``action``: approve, reject (with ``note``) or resubmit."""

    action: line(20)
    version: Version
    note: lines(300) = ""


def _data(payload: GroupIn) -> dict:
    data = payload.model_dump()
    data.pop("version", None)
    data["admins"] = [
        {"user": a["user"]} if a["user"] else {"resident": a["resident"]} for a in data["admins"]
    ]
    return data


def _detail(request, group: Group) -> Group:
    group = selectors.group_get(actor=request.user, uid=group.uid)
    group.actions = GROUP_MACHINE.offered(request.user, group)
    return group


@router.get("/chat-groups", response=GroupPage)
@api_requires("groups.view")
def group_list(
    request,
    state: line(12) = "",
    status: line(12) = "",
    function: line(16) = "",
    q: line(50) = "",
    mine: bool = False,
    offset: Offset = 0,
    limit: Limit = 50,
):
    """The groups of the caller's area; ``registered`` counts the approved ones only."""
    qs = selectors.group_list(
        actor=request.user, state=state, status=status, function=function, q=q, mine=mine
    )
    summary = selectors.registry_summary(qs)
    items, limit, offset = page_slice(qs, offset, limit)
    return {
        "count": qs.count(),
        "offset": offset,
        "limit": limit,
        "registered": summary["registered"],
        "four_haves_share": summary["four_haves_share"],
        "items": list(items),
    }


class CompoundPlanOut(Schema):
    compound: int
    compound_name: str
    community: str
    kind: str
    households: int
    size: str  # large, medium, small; "" when the households are not recorded
    method: str  # online_site_check, grid_worker_check, building_head_spot_check or ""
    households_on_file: int
    residents_on_file: int
    aged_60_plus: int
    aged_share: float | None  # %, None when unknown
    aged_unknown: str  # "", none_on_file, few_on_file
    assisted: bool | None  # None when the share is unknown
    groups_registered: int
    groups_pending: int
    needed_functions: list[str]
    unmet_functions: list[str]
    functions_matched: bool | None  # None while no group is registered


class WorkerLoadOut(Schema):
    username: str
    name: str
    groups: int
    flag: str  # "", few, many


class CollectionPlanOut(Schema):
    policy_version: int
    count: int
    offset: int
    limit: int
    compounds: list[CompoundPlanOut]
    workers: list[WorkerLoadOut]


@router.get("/chat-groups/collection-plan", response=CollectionPlanOut)
@api_requires("groups.view")
def collection_plan(request, offset: Offset = 0, limit: Limit = 50):
    """Each compound of the caller's area with its collection method, the share of its
    residents aged 60+ (unknown rather than guessed), the assisted-collection flag and the
    functions its registered groups leave unmet; the grid workers' load (包片负责制)."""
    from gridgov.groups import selectors_collection

    compounds, limit, offset = page_slice(
        selectors_collection.compounds_in_plan(actor=request.user), offset, limit
    )
    plans, version = selectors_collection.collection_plan(
        actor=request.user, compounds=list(compounds)
    )
    return {
        "policy_version": version,
        "count": selectors_collection.compounds_in_plan(actor=request.user).count(),
        "offset": offset,
        "limit": limit,
        "compounds": [
            CompoundPlanOut(
                compound=p.compound.pk,
                compound_name=p.compound.name,
                community=p.compound.community.code,
                kind=p.compound.kind,
                households=p.households,
                size=p.size,
                method=p.method,
                households_on_file=p.households_on_file,
                residents_on_file=p.residents,
                aged_60_plus=p.aged,
                aged_share=None if p.aged_share is None else round(p.aged_share, 1),
                aged_unknown=p.aged_unknown,
                assisted=p.assisted,
                groups_registered=p.groups,
                groups_pending=p.pending,
                needed_functions=p.needed,
                unmet_functions=p.unmet,
                functions_matched=p.matched,
            )
            for p in plans
        ],
        "workers": [
            WorkerLoadOut(
                username=w.user.username,
                name=w.user.get_full_name() or w.user.username,
                groups=w.groups,
                flag=w.flag,
            )
            for w in selectors_collection.worker_loads(actor=request.user)
        ],
    }


@router.post("/chat-groups", response={201: GroupDetailOut})
@api_requires("groups.register")
def group_create(request, payload: GroupIn):
    """Register a group; it waits for the 居委会's approval (``state`` pending)."""
    group = services.group_create(actor=request.user, data=_data(payload))
    return Status(201, _detail(request, group))


@router.get("/chat-groups/{uid}", response=GroupDetailOut)
@api_requires("groups.view")
def group_get(request, uid: UUID):
    return _detail(request, selectors.group_get(actor=request.user, uid=uid))


@router.put("/chat-groups/{uid}", response=GroupDetailOut)
@api_requires("groups.register")
def group_update(request, uid: UUID, payload: GroupUpdateIn):
    group = selectors.group_get(actor=request.user, uid=uid, action="register")
    group = services.group_update(
        actor=request.user, group=group, data=_data(payload), version=payload.version
    )
    return _detail(request, group)


@router.post("/chat-groups/{uid}/transitions", response=GroupDetailOut)
@api_requires("groups.register|groups.approve")
def group_transition(request, uid: UUID, payload: TransitionIn):
    """Approve or refuse (the 居委会, ``groups.approve``), or submit again after a refusal."""
    group = selectors.group_get(actor=request.user, uid=uid)
    group = services.group_transition(
        actor=request.user,
        group=group,
        action=payload.action,
        version=payload.version,
        note=payload.note,
    )
    return _detail(request, group)
