"""Chat exports ``/api/v1/chat-groups/{uid}/consent`` and ``…/exports``, early warnings
``/api/v1/warnings`` and the compound risk index ``/api/v1/compound-risk``, scoped like
the pages. No message text, name or excerpt leaves except the masked excerpts of a
warning."""

from datetime import date, datetime
from uuid import UUID

from django.utils.translation import gettext as _
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
from gridgov.groups import selectors, selectors_warnings
from gridgov.groups import services_messages as exports
from gridgov.groups import services_warnings as warnings

router = PermissionRouter(tags=["chat groups"])


class ConsentIn(Schema):
    notice: lines(300)
    noticed_on: date


class ConsentOut(Schema):
    uid: UUID
    notice: str
    noticed_on: date
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by_name


class ImportOut(Schema):
    uid: UUID
    group: UUID
    file_format: str
    encoding: str
    size: int
    first_at: datetime | None
    last_at: datetime | None
    messages_read: int
    messages_new: int
    posters_30d: int
    activity_pct: float | None
    messages_per_day: float | None
    questions: int
    answered: int
    response_hours: float | None
    hits: int
    warnings: int
    imported_by: str
    imported_at: datetime
    text_deleted_at: datetime | None

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_imported_by(obj):
        return obj.imported_by_name


@router.post("/chat-groups/{uid}/consent", response={201: ConsentOut})
@api_requires("groups.register")
def consent_record(request, uid: UUID, payload: ConsentIn):
    """Record how the group's members were told that its exports are read."""
    group = selectors.group_get(actor=request.user, uid=uid, action="register")
    consent = exports.consent_record(
        actor=request.user, group=group, notice=payload.notice, noticed_on=payload.noticed_on
    )
    return Status(201, consent)


@router.post("/chat-groups/{uid}/consent/withdraw", response=ConsentOut)
@api_requires("groups.register")
def consent_withdraw(request, uid: UUID):
    group = selectors.group_get(actor=request.user, uid=uid, action="register")
    return exports.consent_withdraw(actor=request.user, group=group)


@router.get("/chat-groups/{uid}/exports", response=list[ImportOut])
@api_requires("groups.view")
def export_list(request, uid: UUID):
    group = selectors.group_get(actor=request.user, uid=uid)
    return list(selectors_warnings.import_list(actor=request.user, group=group)[:200])


@router.post("/chat-groups/{uid}/exports", response={201: ImportOut})
@api_requires("groups.register")
def export_upload(request, uid: UUID):
    """Read a chat export, sent as multipart form data: ``file``; ``file_format`` auto
    (default), text or csv; ``encoding`` utf-8 (default) or gb18030; ``admin_names`` as
    shown in the export, for reply times, not stored. 422 ``export_refused`` with the
    reason (nothing stored), 409 ``export_exists``."""
    group = selectors.group_get(actor=request.user, uid=uid, action="register")
    upload = request.FILES.get("file")
    if upload is None:  # after the scope check: another area's group stays a 404
        raise exports.ExportRefused(details={"file": [_("Choose the export file.")]})
    done = exports.ingest_export(
        actor=request.user,
        group=group,
        upload=upload,
        file_format=request.POST.get("file_format", "auto")[:16],
        encoding=request.POST.get("encoding", "utf-8")[:12],
        admin_names=request.POST.get("admin_names", "")[:500],
    )
    return Status(201, done)


class WarningOut(Schema):
    uid: UUID
    group: UUID
    group_name: str
    community: str
    topic: str
    topic_name: str
    day: date
    window_start: date
    hits: int
    baseline: float
    terms: dict[str, int]
    rule: str
    policy_version: int
    state: str
    decided_by: str
    decided_at: datetime | None
    decision_note: str
    event: str | None
    created_at: datetime
    version: int

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_community(obj):
        return obj.group.community.code

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by_name

    @staticmethod
    def resolve_event(obj):
        return obj.event.tracking_code if obj.event_id else None


class WarningDetailOut(WarningOut):
    excerpts: list[str]

    @staticmethod
    def resolve_excerpts(obj):
        return selectors_warnings.warning_excerpts(obj)


class WarningPage(Schema):
    count: int
    offset: int
    limit: int
    confirmed: int
    checked: int
    items: list[WarningOut]


class DecisionIn(Schema):
    """``verdict``: confirmed or false_alarm."""

    verdict: line(12)
    note: lines(300) = ""
    version: Version


class EventIn(Schema):
    """``category``: an events category code (default: the topic's)."""

    category: line(10) = ""
    version: Version


@router.get("/warnings", response=WarningPage)
@api_requires("groups.view")
def warning_list(
    request, state: line(12) = "", topic: line(32) = "", offset: Offset = 0, limit: Limit = 50
):
    """Warnings of the caller's area, newest day first; ``confirmed`` of ``checked`` is the
    precision."""
    qs = selectors_warnings.warning_list(actor=request.user, state=state, topic=topic)
    items, limit, offset = page_slice(qs, offset, limit)
    confirmed, checked = selectors_warnings.warning_precision(actor=request.user)
    return WarningPage(
        count=qs.count(),
        offset=offset,
        limit=limit,
        confirmed=confirmed,
        checked=checked,
        items=list(items),
    )


@router.get("/warnings/{uid}", response=WarningDetailOut)
@api_requires("groups.view")
def warning_get(request, uid: UUID):
    return selectors_warnings.warning_get(actor=request.user, uid=uid)


@router.post("/warnings/{uid}/decision", response=WarningDetailOut)
@api_requires("groups.register|groups.supervise")
def warning_decide(request, uid: UUID, payload: DecisionIn):
    warning = selectors_warnings.warning_get(actor=request.user, uid=uid)
    return warnings.warning_decide(
        actor=request.user,
        warning=warning,
        verdict=payload.verdict,
        note=payload.note,
        version=payload.version,
    )


@router.post("/warnings/{uid}/event", response=WarningDetailOut)
@api_requires("groups.register|groups.supervise")
def warning_event(request, uid: UUID, payload: EventIn):
    """Report the warning as a grid event in its group's grid (once)."""
    warning = selectors_warnings.warning_get(actor=request.user, uid=uid)
    return warnings.warning_to_event(
        actor=request.user,
        warning=warning,
        category_code=payload.category,
        version=payload.version,
    )


class RiskInputOut(Schema):
    code: str
    value: float | None
    points: float | None
    weight: float
    full_at: float
    share: float | None  # the input's part of the index (None when not measured)


class RiskOut(Schema):
    compound: int
    compound_name: str
    community: str
    index: float | None
    level: str
    groups: int
    policy_version: int
    inputs: list[RiskInputOut]


def _risk_out(risk) -> RiskOut:
    return RiskOut(
        compound=risk.compound.pk,
        compound_name=risk.compound.name,
        community=risk.compound.community.code,
        index=risk.index,
        level=risk.level,
        groups=risk.groups,
        policy_version=risk.policy_version,
        inputs=[RiskInputOut(**vars(i)) for i in risk.inputs],
    )


@router.get("/compound-risk", response=list[RiskOut])
@api_requires("groups.view")
def risk_list(request, offset: Offset = 0, limit: Limit = 50):
    """The risk index of the compounds of the caller's area, with every input."""
    compounds, _limit, _offset = page_slice(
        selectors_warnings.compounds_visible(actor=request.user), offset, limit
    )
    compounds = list(compounds)
    risks = selectors_warnings.compound_risks(actor=request.user, compounds=compounds)
    return [_risk_out(risks[c.pk]) for c in compounds]


@router.get("/compound-risk/{compound_id}", response=RiskOut)
@api_requires("groups.view")
def risk_get(request, compound_id: int):
    compound = selectors_warnings.compound_get(actor=request.user, compound_id=compound_id)
    return _risk_out(selectors_warnings.compound_risk(actor=request.user, compound=compound))
