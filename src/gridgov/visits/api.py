"""The visits API: the indicator catalogue, visit tasks, visit records (create with a
client UUID, list, detail, review, resubmission), the sync endpoint for a phone's outbox,
the conflict queue and spot checks. Every read and write is scoped (``core.scoping``)."""

import io
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Schema, Status
from ninja.files import UploadedFile

from gridgov.core.api_support import (
    Latitude,
    Limit,
    Longitude,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.scoping import path_in_scope
from gridgov.org.models import OrgUnit
from gridgov.visits import catalogue_services, selectors, services
from gridgov.visits.services import VisitInput

router = PermissionRouter(tags=["visits"])
MAX_BATCH = 100


class IndicatorOut(Schema):
    code: str
    category: str
    category_name: str
    name: str
    name_en: str
    definition: str
    value_type: str
    validation: dict
    sensitivity: str
    purposes: list[str]
    required: bool
    frequency: str
    short_form: bool
    method: str
    sort: int
    is_active: bool
    version: int

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name


class IndicatorIn(Schema):
    """A new indicator. ``validation`` must fit ``value_type``: ``min``/``max`` for numbers
    (min ≤ max), ``choices`` ``[[code, 中文, English], …]`` (at least two) for one-of and
    several-of, ``max_length`` (1–500) for text, nothing for yes/no and dates."""

    code: line(20)
    category: line(20)
    name: str
    name_en: str
    definition: str = ""
    value_type: line(8)
    validation: dict = {}
    sensitivity: line(10) = "normal"
    purposes: list[str]
    required: bool = False
    frequency: line(10)
    short_form: bool = False
    method: line(10) = "visit"
    sort: int = 100


class IndicatorChangeIn(Schema):
    """A change to an indicator: the fields to change and the version read. ``is_active``
    false retires it (off new forms; its answers stay), true brings it back."""

    version: Version
    category: line(20) | None = None
    name: str | None = None
    name_en: str | None = None
    definition: str | None = None
    value_type: line(8) | None = None
    validation: dict | None = None
    sensitivity: line(10) | None = None
    purposes: list[str] | None = None
    required: bool | None = None
    frequency: line(10) | None = None
    short_form: bool | None = None
    method: line(10) | None = None
    sort: int | None = None
    is_active: bool | None = None


class TaskOut(Schema):
    uid: UUID
    household: UUID
    household_number: str
    assignee: str | None
    reason: str
    stale: list[str]
    note: str
    due_date: date
    attempts: int
    status: str
    version: int

    @staticmethod
    def resolve_household(obj):
        return obj.household.uid

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee.username if obj.assignee_id else None


class TaskPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[TaskOut]


class TaskIn(Schema):
    household: UUID
    due_date: date
    assignee: line(150) = ""
    note: line(200) = ""


class TaskChangeIn(Schema):
    version: Version
    assignee: line(150) = ""
    status: line(20) = ""
    note: line(200) = ""


class VisitIn(Schema):
    """One visit as a collector's device records it (offline first: the client makes the
    UUID and names the version of each household and resident it read)."""

    client_uuid: UUID
    household: UUID
    outcome: line(12)
    started_at: line(40)
    ended_at: line(40)
    purpose: line(40) = "visit"
    channel: line(8) = "app"
    refusal_reason: line(16) = ""
    note: lines(500) = ""
    notice_given: bool = False
    commitment_signed: bool = False
    lon: Longitude | None = None
    lat: Latitude | None = None
    versions: dict[str, int] = Field(default_factory=dict)
    answers: dict[str, Any] = Field(default_factory=dict)
    corrections: list[dict] = Field(default_factory=list, max_length=50)
    needs: list[dict] = Field(default_factory=list, max_length=50)
    problems: list[dict] = Field(default_factory=list, max_length=20)
    companions: list[line(150)] = Field(default_factory=list, max_length=10)
    task: line(40) = ""


class CorrectionOut(Schema):
    uid: UUID
    resident: UUID | None
    kind: str
    field: str
    value: str
    status: str
    registry_value: str
    round: int

    @staticmethod
    def resolve_resident(obj):
        return obj.resident.uid if obj.resident_id else None

    @staticmethod
    def resolve_value(obj):
        return obj.value_masked

    @staticmethod
    def resolve_registry_value(obj):
        return obj.server_value_masked


class ReviewOut(Schema):
    round: int
    reviewer: str
    decision: str
    comments: dict
    at: datetime

    @staticmethod
    def resolve_reviewer(obj):
        return obj.reviewer.username

    @staticmethod
    def resolve_at(obj):
        return obj.created_at


class AnswerOut(Schema):
    code: str
    name: str
    name_en: str
    sensitive: bool
    value: Any = None
    display: str = ""
    hidden: bool


class VisitOut(Schema):
    uid: UUID
    client_uuid: UUID
    household: UUID
    household_number: str
    collector: str
    outcome: str
    refusal_reason: str
    purpose: str
    channel: str
    notice_given: bool
    commitment_signed: bool
    started_at: datetime
    ended_at: datetime
    distance_m: int | None
    location_flagged: bool
    state: str
    round: int
    version: int
    submitted_at: datetime
    spot_checked: bool

    @staticmethod
    def resolve_household(obj):
        return obj.household.uid

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number

    @staticmethod
    def resolve_collector(obj):
        return obj.collector.username


class VisitDetailOut(VisitOut):
    note: str
    needs: list[dict]
    events: list[str]
    answers: list[AnswerOut]
    corrections: list[CorrectionOut]
    reviews: list[ReviewOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_events(obj):
        return obj.detail["events"]

    @staticmethod
    def resolve_answers(obj):
        return obj.detail["answers"]

    @staticmethod
    def resolve_corrections(obj):
        return obj.detail["corrections"]

    @staticmethod
    def resolve_reviews(obj):
        return obj.detail["reviews"]

    @staticmethod
    def resolve_allowed_actions(obj):
        return obj.detail["allowed_actions"]


class VisitPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[VisitOut]


class ReviewIn(Schema):
    decision: line(8)
    version: Version
    comments: dict[str, line(300)] = Field(default_factory=dict)


class ResubmitIn(Schema):
    version: Version
    answers: dict[str, Any] = Field(default_factory=dict)
    corrections: list[dict] = Field(default_factory=list, max_length=50)
    versions: dict[str, int] = Field(default_factory=dict)
    note: lines(500) = ""


class SyncIn(Schema):
    records: list[dict] = Field(max_length=MAX_BATCH)


class SyncResult(Schema):
    index: int
    client_uuid: str
    status: int
    code: str
    message: str = ""
    details: Any = None
    visit: str | None = None
    state: str | None = None
    conflicts: int | None = None


class SyncOut(Schema):
    results: list[SyncResult]


class ResolveIn(Schema):
    take: line(10)


class DrawIn(Schema):
    community: line(20)
    period: line(10)


class SpotCheckOut(Schema):
    uid: UUID
    visit: UUID
    household_number: str
    collector: str
    period: str
    result: str
    fields: dict
    checked_at: datetime | None

    @staticmethod
    def resolve_visit(obj):
        return obj.visit.uid

    @staticmethod
    def resolve_household_number(obj):
        return obj.visit.household.number

    @staticmethod
    def resolve_collector(obj):
        return obj.collector.username

    @staticmethod
    def resolve_period(obj):
        return obj.draw.period_label


class DrawOut(Schema):
    community: str
    period: str
    seed: str
    rate: float
    population: int
    policy_version: int
    checks: list[SpotCheckOut]

    @staticmethod
    def resolve_community(obj):
        return obj.community.code

    @staticmethod
    def resolve_period(obj):
        return obj.period_label

    @staticmethod
    def resolve_checks(obj):
        return list(obj.checks.select_related("visit__household", "collector", "draw"))


class SpotCheckIn(Schema):
    fields: dict[str, bool]


class AttachmentOut(Schema):
    uid: UUID
    kind: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    pages: int | None
    round: int
    uploaded_by: str
    created_at: datetime
    url: str

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.uploaded_by.username

    @staticmethod
    def resolve_url(obj):
        return f"/api/v1/visits/{obj.visit.uid}/attachments/{obj.uid}"


def _detail(request, visit):
    from gridgov.visits.workflow import MACHINE

    visit.detail = {
        "answers": selectors.visit_answers(actor=request.user, visit=visit),
        "corrections": list(visit.corrections.filter(round=visit.round).select_related("resident")),
        "reviews": list(visit.reviews.select_related("reviewer")),
        "events": [e.tracking_code for e in visit.raised_events.all()],
        "allowed_actions": MACHINE.offered(request.user, visit),
    }
    return visit


def _input(payload: VisitIn) -> VisitInput:
    data = payload.model_dump(mode="json")
    return VisitInput(**data)


# Catalogue ----------------------------------------------------------------------------------


@router.get("/visit-indicators", response=list[IndicatorOut])
@api_requires("visits.view")
def indicator_list(request, retired: bool = False):
    """The catalogue in force; ``retired=true`` lists the retired indicators too."""
    return list(selectors.indicator_list(active_only=not retired))


@router.post("/visit-indicators", response={201: IndicatorOut})
@api_requires("visits.manage")
def indicator_create(request, payload: IndicatorIn):
    data = payload.model_dump()
    code = data.pop("code")
    indicator = catalogue_services.indicator_create(actor=request.user, code=code, data=data)
    return Status(201, selectors.indicator_get(code=indicator.code))


@router.patch("/visit-indicators/{code}", response=IndicatorOut)
@api_requires("visits.manage")
def indicator_change(request, code: str, payload: IndicatorChangeIn):
    indicator = selectors.indicator_get(code=code)
    changes = {
        key: value
        for key, value in payload.model_dump(exclude_unset=True).items()
        if key != "version"
    }
    nulls = [key for key, value in changes.items() if value is None]
    if nulls:
        raise ValidationFailed(details={key: [_("Give a value or leave it out.")] for key in nulls})
    catalogue_services.indicator_update(
        actor=request.user, indicator=indicator, changes=changes, expected_version=payload.version
    )
    return selectors.indicator_get(code=indicator.code)


# Tasks ----------------------------------------------------------------------------------


@router.get("/visit-tasks", response=TaskPage)
@api_requires("visits.view")
def task_list(
    request,
    mine: bool = False,
    status: line(12) = "open",
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = selectors.task_list(actor=request.user, mine=mine, status=status)
    items, limit, offset = page_slice(qs, offset, limit)
    return TaskPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/visit-tasks", response={201: TaskOut})
@api_requires("visits.assign")
def task_create(request, payload: TaskIn):
    household = services.household_for(request.user, payload.household, "visits.assign")
    task = services.task_create(
        actor=request.user,
        household=household,
        due_date=payload.due_date,
        assignee=payload.assignee,
        note=payload.note,
    )
    return Status(201, task)


@router.patch("/visit-tasks/{uid}", response=TaskOut)
@api_requires("visits.assign")
def task_change(request, uid: UUID, payload: TaskChangeIn):
    task = selectors.task_get(actor=request.user, uid=uid, action="assign")
    if payload.status == "cancelled":
        return services.task_cancel(
            actor=request.user, task=task, version=payload.version, note=payload.note
        )
    if payload.status:
        raise ValidationFailed(details={"status": ["cancelled"]})
    if not payload.assignee:
        raise ValidationFailed(details={"assignee": ["required"]})
    return services.task_reassign(
        actor=request.user, task=task, assignee=payload.assignee, version=payload.version
    )


# Visits -------------------------------------------------------------------------------------


@router.get("/visits", response=VisitPage)
@api_requires("visits.view")
def visit_list(request, state: line(12) = "", offset: Offset = 0, limit: Limit = 50):
    qs = selectors.visit_list(actor=request.user, state=state)
    items, limit, offset = page_slice(qs, offset, limit)
    return VisitPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/visits", response={201: VisitDetailOut, 200: VisitDetailOut})
@api_requires("visits.collect")
def visit_create(request, payload: VisitIn):
    visit, created = services.visit_submit(actor=request.user, data=_input(payload))
    return Status(201 if created else 200, _detail(request, visit))


@router.post("/visits/sync", response=SyncOut)
@api_requires("visits.collect")
def visit_sync(request, payload: SyncIn):
    """A batch from a phone's outbox. Each record is answered on its own: 201 stored,
    200 already stored (a resend), or its error (404, 409, 422 …) with details."""
    return {"results": services.visits_sync(actor=request.user, records=payload.records)}


@router.get("/visits/{uid}", response=VisitDetailOut)
@api_requires("visits.view")
def visit_get(request, uid: UUID):
    return _detail(request, selectors.visit_get(actor=request.user, uid=uid))


@router.post("/visits/{uid}/reviews", response=VisitDetailOut)
@api_requires("visits.review")
def visit_review(request, uid: UUID, payload: ReviewIn):
    visit = selectors.visit_get(actor=request.user, uid=uid, action="review")
    visit = services.visit_review(
        actor=request.user,
        visit=visit,
        decision=payload.decision,
        version=payload.version,
        comments=payload.comments,
    )
    return _detail(request, visit)


@router.post("/visits/{uid}/resubmissions", response=VisitDetailOut)
@api_requires("visits.collect")
def visit_resubmit(request, uid: UUID, payload: ResubmitIn):
    visit = selectors.visit_get(actor=request.user, uid=uid, action="collect")
    visit = services.visit_resubmit(
        actor=request.user,
        visit=visit,
        version=payload.version,
        answers=payload.answers,
        corrections=payload.corrections,
        versions=payload.versions,
        note=payload.note,
    )
    return _detail(request, visit)


# Conflict queue -------------------------------------------------------------------------------


@router.get("/visit-conflicts", response=list[CorrectionOut])
@api_requires("visits.review")
def conflict_list(request):
    return list(selectors.conflict_list(actor=request.user)[:200])


@router.post("/visit-conflicts/{uid}", response=CorrectionOut)
@api_requires("visits.review")
def conflict_resolve(request, uid: UUID, payload: ResolveIn):
    correction = selectors.correction_get(actor=request.user, uid=uid)
    return services.correction_resolve(actor=request.user, correction=correction, take=payload.take)


# Spot checks ------------------------------------------------------------------------------------


@router.get("/visit-spot-checks", response=list[SpotCheckOut])
@api_requires("visits.spot_check")
def spot_check_list(request, pending: bool = True):
    return list(selectors.spot_check_list(actor=request.user, pending_only=pending)[:200])


@router.post("/visit-spot-checks/draws", response={201: DrawOut})
@api_requires("visits.spot_check")
def spot_check_draw(request, payload: DrawIn):
    community = OrgUnit.objects.filter(code=payload.community, level="community").first()
    if community is None or not path_in_scope(request.user, community.path, "visits.spot_check"):
        raise NotFound()
    draw = services.spot_check_draw(
        actor=request.user, community=community, period_label=payload.period
    )
    return Status(201, draw)


@router.post("/visit-spot-checks/{uid}", response=SpotCheckOut)
@api_requires("visits.spot_check")
def spot_check_record(request, uid: UUID, payload: SpotCheckIn):
    check = selectors.spot_check_get(actor=request.user, uid=uid)
    return services.spot_check_record(actor=request.user, check=check, fields=payload.fields)


# Attachments ------------------------------------------------------------------------------------


@router.get("/visits/{uid}/attachments", response=list[AttachmentOut])
@api_requires("visits.view")
def attachment_list(request, uid: UUID):
    visit = selectors.visit_get(actor=request.user, uid=uid)
    return list(selectors.attachment_list(actor=request.user, visit=visit))


@router.post("/visits/{uid}/attachments", response={201: list[AttachmentOut]})
@api_requires("visits.collect")
def attachment_add(
    request,
    uid: UUID,
    file: File[list[UploadedFile]] = None,
    kind: Form[str] = "",
):
    """Add scans of the paper form (PDF) or photos (JPEG, PNG, WebP) to a visit record:
    multipart, one or more ``file`` parts; ``kind=scan`` marks photos of the paper form.
    Limits are policy ``visits.attachments``; a file over them, of another type or a
    record already approved is refused (422, 422, 409) and nothing is stored; a visit
    outside your scope is 404."""
    visit = selectors.visit_get(actor=request.user, uid=uid, action="collect")
    added = services.visit_attach(actor=request.user, visit=visit, files=file or [], kind=kind)
    return Status(201, added)


@router.get("/visits/{uid}/attachments/{attachment}", response={200: None})
@api_requires("visits.view")
def attachment_file(request, uid: UUID, attachment: UUID):
    """The file itself (``image/jpeg`` or ``application/pdf``); opening it is audited."""
    found = selectors.attachment_get(actor=request.user, uid=attachment, visit_uid=uid)
    data = services.attachment_content(actor=request.user, attachment=found)
    response = FileResponse(io.BytesIO(data), content_type=found.content_type)
    response["Cache-Control"] = "no-store"
    return response
