"""Inventory campaigns ``/api/v1/campaigns``, scoped like the pages: list, create, one
campaign with its milestones and batches, a milestone done, extensions asked for and
decided, pause and resume, the daily report and the board."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    integer,
    line,
    lines,
    page_slice,
)
from gridgov.groups import selectors_campaigns as selectors
from gridgov.groups import services_campaigns as services

router = PermissionRouter(tags=["chat groups"])


class CampaignOut(Schema):
    uid: UUID
    name: str
    unit: str
    unit_name: str
    start_on: date
    state: str
    day: int
    phase: str | None
    paused_on: date | None
    pause_reason: str
    paused_days: int
    policy_version: int
    version: int


class MilestoneOut(Schema):
    id: int
    day: int
    name: str
    name_en: str
    owner: str
    acceptance: str
    due_on: date
    state: str
    done_on: date | None
    evidence_note: str
    extended_days: int
    days_late: int
    colour: str
    version: int


class BatchOut(Schema):
    community: str
    community_name: str
    households: int
    size: str
    number: int
    start_on: date


class ExtensionOut(Schema):
    uid: UUID
    milestone: int
    days: int
    reason: str
    state: str
    requested_at: datetime
    decided_at: datetime | None


class CampaignDetailOut(CampaignOut):
    milestones: list[MilestoneOut]
    batches: list[BatchOut]
    open_extensions: list[ExtensionOut]


class CampaignPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[CampaignOut]


class CampaignIn(Schema):
    """``unit``: the code of a street or district of the caller's area; ``start_on``: day 1."""

    unit: line(20)
    name: line(100)
    start_on: line(10)


class MilestoneDoneIn(Schema):
    evidence_note: lines(500)
    done_on: line(10) = ""
    version: Version


class ExtensionIn(Schema):
    days: integer(0, 365)
    reason: lines(300)


class DecisionIn(Schema):
    """``decision``: approve or reject."""

    decision: line(10)
    note: lines(300) = ""


class PauseIn(Schema):
    reason: lines(300)
    version: Version


class ResumeIn(Schema):
    version: Version


class DailyReportIn(Schema):
    community: line(20)
    note: lines(500) = ""


class DailyReportOut(Schema):
    community: str
    day: date
    reported_at: datetime
    note: str

    @staticmethod
    def resolve_community(obj):
        return obj.community.code


class IndicatorOut(Schema):
    code: str
    numerator: int
    denominator: int
    value: float | None
    colour: str


class BoardRowOut(Schema):
    community: str
    community_name: str
    batch: int
    size: str
    households: int
    reported_today: bool
    indicators: list[IndicatorOut]


class BoardOut(Schema):
    campaign: CampaignOut
    day: int
    phase: str | None
    month: date
    milestones: list[MilestoneOut]
    rows: list[BoardRowOut]
    totals: list[IndicatorOut]
    reports_due: bool
    report_deadline: datetime
    missing_reports: list[str]


def _milestones(campaign):
    out = []
    for m in campaign.milestones.all():
        late = services.milestone_lateness(m, campaign=campaign)
        out.append(
            {
                "id": m.pk,
                "day": m.day,
                "name": m.name,
                "name_en": m.name_en,
                "owner": m.owner,
                "acceptance": m.acceptance,
                "due_on": m.due_on,
                "state": m.state,
                "done_on": m.done_on,
                "evidence_note": m.evidence_note,
                "extended_days": m.extended_days,
                "days_late": late.days_late,
                "colour": late.colour,
                "version": m.version,
            }
        )
    return out


def _summary(campaign) -> dict:
    day = services.campaign_day(campaign)
    phase = services.phase_of(campaign, day)
    return {
        "uid": campaign.uid,
        "name": campaign.name,
        "unit": campaign.unit.code,
        "unit_name": campaign.unit.name,
        "start_on": campaign.start_on,
        "state": campaign.state,
        "day": day,
        "phase": phase["code"] if phase else None,
        "paused_on": campaign.paused_on,
        "pause_reason": campaign.pause_reason,
        "paused_days": campaign.paused_days,
        "policy_version": campaign.policy_version,
        "version": campaign.version,
    }


def _detail(campaign) -> dict:
    from gridgov.groups.models_campaigns import MilestoneExtension

    campaign.refresh_from_db()
    data = _summary(campaign)
    data["milestones"] = _milestones(campaign)
    data["batches"] = [
        {
            "community": b.community.code,
            "community_name": b.community.name,
            "households": b.households,
            "size": b.size,
            "number": b.number,
            "start_on": b.start_on,
        }
        for b in campaign.batches.select_related("community")
    ]
    data["open_extensions"] = [
        {
            "uid": e.uid,
            "milestone": e.milestone_id,
            "days": e.days,
            "reason": e.reason,
            "state": e.state,
            "requested_at": e.requested_at,
            "decided_at": e.decided_at,
        }
        for e in MilestoneExtension.objects.filter(
            milestone__campaign=campaign, state=MilestoneExtension.State.REQUESTED
        )
    ]
    return data


@router.get("/campaigns", response=CampaignPage)
@api_requires("groups.view")
def campaign_list(request, offset: Offset = 0, limit: Limit = 50):
    """Campaigns of the caller's area, newest first."""
    qs = selectors.campaign_list(actor=request.user)
    items, limit, offset = page_slice(qs, offset, limit)
    return {
        "count": qs.count(),
        "offset": offset,
        "limit": limit,
        "items": [_summary(c) for c in items],
    }


@router.post("/campaigns", response={201: CampaignDetailOut})
@api_requires("groups.campaign")
def campaign_create(request, payload: CampaignIn):
    """Start a campaign for a street or district: phases and milestones are copied from the
    policy, communities placed in batches by households."""
    campaign = services.campaign_create(
        actor=request.user, unit_code=payload.unit, name=payload.name, start_on=payload.start_on
    )
    return Status(201, _detail(campaign))


@router.get("/campaigns/{uid}", response=CampaignDetailOut)
@api_requires("groups.view")
def campaign_get(request, uid: UUID):
    return _detail(selectors.campaign_get(actor=request.user, uid=uid))


@router.post("/campaigns/{uid}/milestones/{milestone}/done", response=CampaignDetailOut)
@api_requires("groups.campaign")
def milestone_done(request, uid: UUID, milestone: int, payload: MilestoneDoneIn):
    """Mark a milestone done with a note of its evidence (and the day, today by default)."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid, action="campaign")
    services.milestone_done(
        actor=request.user,
        milestone=selectors.milestone_get(campaign=campaign, milestone_id=milestone),
        evidence_note=payload.evidence_note,
        done_on=payload.done_on or None,
        version=payload.version,
    )
    return _detail(campaign)


@router.post(
    "/campaigns/{uid}/milestones/{milestone}/extensions", response={201: CampaignDetailOut}
)
@api_requires("groups.campaign")
def extension_request(request, uid: UUID, milestone: int, payload: ExtensionIn):
    """Ask to move a milestone delayed by an emergency by 3–5 days (policy)."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid, action="campaign")
    services.extension_request(
        actor=request.user,
        milestone=selectors.milestone_get(campaign=campaign, milestone_id=milestone),
        days=payload.days,
        reason=payload.reason,
    )
    return Status(201, _detail(campaign))


@router.post("/campaigns/{uid}/extensions/{extension}", response=CampaignDetailOut)
@api_requires("groups.campaign_approve")
def extension_decide(request, uid: UUID, extension: UUID, payload: DecisionIn):
    """Approve or reject an extension (someone other than who asked)."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid, action="campaign_approve")
    if payload.decision not in ("approve", "reject"):
        from django.utils.translation import gettext as _

        from gridgov.core.errors import ValidationFailed

        raise ValidationFailed(details={"decision": [_("approve or reject.")]})
    services.extension_decide(
        actor=request.user,
        extension=selectors.extension_get(campaign=campaign, uid=extension),
        approve=payload.decision == "approve",
        note=payload.note,
    )
    return _detail(campaign)


@router.post("/campaigns/{uid}/pause", response=CampaignDetailOut)
@api_requires("groups.campaign")
def campaign_pause(request, uid: UUID, payload: PauseIn):
    """「疫情防控优先」: stop the campaign; its clock stands still."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid, action="campaign")
    campaign = services.campaign_pause(
        actor=request.user, campaign=campaign, reason=payload.reason, version=payload.version
    )
    return _detail(campaign)


@router.post("/campaigns/{uid}/resume", response=CampaignDetailOut)
@api_requires("groups.campaign")
def campaign_resume(request, uid: UUID, payload: ResumeIn):
    """Go on: milestones not yet done move by the days paused."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid, action="campaign")
    campaign = services.campaign_resume(
        actor=request.user, campaign=campaign, version=payload.version
    )
    return _detail(campaign)


@router.post("/campaigns/{uid}/daily-reports", response={201: DailyReportOut})
@api_requires("groups.register")
def daily_report(request, uid: UUID, payload: DailyReportIn):
    """A community's report of the day (due by 17:00 in the 实施 phase)."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid, action="register")
    report = services.daily_report_submit(
        actor=request.user, campaign=campaign, community_code=payload.community, note=payload.note
    )
    return Status(201, report)


@router.get("/campaigns/{uid}/board", response=BoardOut)
@api_requires("groups.view")
def campaign_board(request, uid: UUID):
    """Per community the six indicators of the month with colours, the milestones with
    theirs, and the communities that have not reported today by the deadline."""
    campaign = selectors.campaign_get(actor=request.user, uid=uid)
    board = selectors.campaign_board(campaign, actor=request.user)
    return {
        "campaign": _summary(campaign),
        "day": board.day,
        "phase": board.phase["code"] if board.phase else None,
        "month": board.month,
        "milestones": _milestones(campaign),
        "rows": [
            {
                "community": r.batch.community.code,
                "community_name": r.batch.community.name,
                "batch": r.batch.number,
                "size": r.batch.size,
                "households": r.batch.households,
                "reported_today": r.reported_at is not None,
                "indicators": [vars(i) for i in r.indicators.values()],
            }
            for r in board.rows
        ],
        "totals": [vars(i) for i in board.totals.values()],
        "reports_due": board.reports_due,
        "report_deadline": board.report_deadline,
        "missing_reports": [b.community.code for b in board.missing_reports],
    }
