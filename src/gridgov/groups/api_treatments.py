"""The treatments ``/api/v1/pairings`` (a 潜力提升群 coached by a 高效能群) and
``/api/v1/restructure-tasks`` (a 功能重构群's split or merge), scoped like the pages."""

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
from gridgov.groups import selectors, selectors_treatments
from gridgov.groups import services_treatments as treatments

router = PermissionRouter(tags=["chat groups"])


class MonthClass(Schema):
    month: date
    klass: str


class PairingOut(Schema):
    uid: UUID
    mentee: UUID
    mentee_name: str
    mentor: UUID
    mentor_name: str
    state: str
    started_on: date
    ended_on: date | None
    outcome: str
    progress: list[MonthClass]
    version: int

    @staticmethod
    def resolve_mentee(obj):
        return obj.mentee.uid

    @staticmethod
    def resolve_mentee_name(obj):
        return obj.mentee.name

    @staticmethod
    def resolve_mentor(obj):
        return obj.mentor.uid

    @staticmethod
    def resolve_mentor_name(obj):
        return obj.mentor.name

    @staticmethod
    def resolve_progress(obj):
        return [{"month": m, "klass": k} for m, k in treatments.pairing_progress(obj)]


class PairingPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[PairingOut]


class PairingIn(Schema):
    mentee: UUID
    mentor: UUID


class PairingEndIn(Schema):
    outcome: lines(300)
    version: Version


@router.get("/pairings", response=PairingPage)
@api_requires("groups.view")
def pairing_list(request, state: line(8) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors_treatments.pairing_list(actor=request.user, state=state)
    items, limit, offset = page_slice(qs, offset, limit)
    return PairingPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/pairings", response={201: PairingOut})
@api_requires("groups.register")
def pairing_create(request, payload: PairingIn):
    """Pair a group whose latest month is 潜力提升群 with a 高效能群 (422 naming ``mentee``
    or ``mentor``; 409 ``already_paired``)."""
    mentee = selectors.group_get(actor=request.user, uid=payload.mentee, action="register")
    pairing = treatments.pairing_start(actor=request.user, mentee=mentee, mentor_uid=payload.mentor)
    return Status(201, pairing)


@router.post("/pairings/{uid}/end", response=PairingOut)
@api_requires("groups.register")
def pairing_end(request, uid: UUID, payload: PairingEndIn):
    pairing = selectors_treatments.pairing_get(actor=request.user, uid=uid)
    return treatments.pairing_end(
        actor=request.user, pairing=pairing, outcome=payload.outcome, version=payload.version
    )


class TaskOut(Schema):
    uid: UUID
    group: UUID
    group_name: str
    reason: str
    state: str
    colour: str
    due_on: date
    opened_at: datetime
    done_at: datetime | None
    note: str
    version: int

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_colour(obj):
        return treatments.task_colour(obj)


class TaskPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[TaskOut]


class TaskDoneIn(Schema):
    note: lines(300) = ""
    version: Version


@router.get("/restructure-tasks", response=TaskPage)
@api_requires("groups.view")
def task_list(request, state: line(8) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors_treatments.task_list(actor=request.user, state=state)
    items, limit, offset = page_slice(qs, offset, limit)
    return TaskPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/restructure-tasks/{uid}/done", response=TaskOut)
@api_requires("groups.register")
def task_done(request, uid: UUID, payload: TaskDoneIn):
    """Done once the group is split or merged and new groups name it as formed from (422
    naming ``status`` or ``successors`` otherwise)."""
    task = selectors_treatments.task_get(actor=request.user, uid=uid)
    return treatments.restructure_done(
        actor=request.user, task=task, note=payload.note, version=payload.version
    )
