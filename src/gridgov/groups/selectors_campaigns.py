"""Reads of the inventory campaign, every one through ``core.scoping`` (``groups.*``), and
the street's board: per community the six indicators with their colours, the milestones
with theirs, and the daily report check.

The six indicators of a community for the current month (docs/groups.md, *Campaign board*);
"registered" groups are those the committee approved and that are active:

- 采集完成率 collection: registered groups with a snapshot of the month ÷ registered groups;
- 数据异常率 anomalies: the month's snapshots of those groups that are abnormal ÷ the month's
  snapshots. A snapshot is abnormal when its member count is not measured, when all three
  age bands are given and do not add up to the member count, or when the member count
  moved by more than the policy's share (50 %) from the group's month before;
- 居民参与率 participation: verified residents in the registered groups (the groups'
  member statistics) ÷ residents in the community's registry, at most 100 % (a resident
  in two groups counts twice, so this is an upper bound of the share taking part);
- 四有比例: registered groups with all of 章程, 管理员, 审核机制, 应急预案 ÷ registered groups;
- 整改按期率: rectification items of the community's groups due by now that were done by
  their due time ÷ those items;
- 月度更新率: registered groups whose month's snapshot was last saved by the policy's day
  (the 5th) ÷ registered groups.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Abs
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.groups.models import Group, RectificationItem, Snapshot
from gridgov.groups.models_campaigns import (
    Campaign,
    CampaignBatch,
    DailyReport,
    Milestone,
    MilestoneExtension,
)
from gridgov.groups.policies_campaigns import LOWER_IS_BETTER, CampaignPolicy, campaign_policy
from gridgov.groups.services_campaigns import (
    campaign_day,
    collection_counts,
    milestone_lateness,
    phase_of,
    report_deadline,
)

INDICATORS = (
    "collection",
    "anomaly",
    "participation",
    "four_haves",
    "rectification_on_time",
    "monthly_update",
)


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _ancestors(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["".join(f"{c}/" for c in codes[:n]) for n in range(1, len(codes))]


def _actor_paths(actor, action: str) -> list[str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    return actor.scope_paths(f"groups.{action}")


def campaign_list(*, actor, action: str = "view") -> QuerySet[Campaign]:
    """The campaigns of the actor's area and, for community and grid staff, the campaign of
    the street or district above them (they report to it and see their own rows of it)."""
    paths = _actor_paths(actor, action)
    if not paths:
        return Campaign.objects.none()
    where = Q()
    for path in paths:
        where |= Q(scope_path__startswith=path) | Q(scope_path__in=_ancestors(path))
    return Campaign.objects.filter(where).select_related("unit", "unit__parent")


def campaign_get(*, actor, uid, action: str = "view") -> Campaign:
    try:
        return campaign_list(actor=actor, action=action).get(uid=_uuid(uid))
    except Campaign.DoesNotExist:
        raise NotFound() from None


def community_visible(actor, community_path: str, action: str = "view") -> bool:
    """A board row is shown to those whose area holds the community or lies inside it."""
    return any(
        community_path.startswith(p) or p.startswith(community_path)
        for p in _actor_paths(actor, action)
    )


def milestone_get(*, campaign: Campaign, milestone_id) -> Milestone:
    try:
        return Milestone.objects.select_related("campaign").get(
            campaign=campaign, pk=int(milestone_id)
        )
    except (Milestone.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def extension_get(*, campaign: Campaign, uid) -> MilestoneExtension:
    try:
        return MilestoneExtension.objects.select_related("milestone__campaign", "requested_by").get(
            milestone__campaign=campaign, uid=_uuid(uid)
        )
    except MilestoneExtension.DoesNotExist:
        raise NotFound() from None


def campaign_by_token(token: str) -> Campaign:
    """The campaign of a public progress page; a wrong token is a 404."""
    token = str(token or "")
    if not 20 <= len(token) <= 64:
        raise NotFound()
    try:
        return Campaign.objects.select_related("unit").get(public_token=token)
    except Campaign.DoesNotExist:
        raise NotFound() from None


def colour_of(code: str, value: float | None, policy: CampaignPolicy) -> str:
    threshold = policy.board_thresholds.get(code)
    if value is None or threshold is None:
        return "secondary"
    if code in LOWER_IS_BETTER:
        if value <= threshold.target:
            return "success"
        return "warning" if value <= threshold.yellow else "danger"
    if value >= threshold.target:
        return "success"
    return "warning" if value >= threshold.yellow else "danger"


@dataclass
class Indicator:
    code: str
    numerator: int
    denominator: int
    value: float | None
    colour: str


@dataclass
class CommunityRow:
    batch: CampaignBatch
    indicators: dict[str, Indicator] = field(default_factory=dict)
    reported_at: datetime | None = None


@dataclass
class Board:
    campaign: Campaign
    day: int
    phase: dict | None
    today: date
    month: date
    milestones: list[tuple[Milestone, object]]
    rows: list[CommunityRow]
    totals: dict[str, Indicator]
    reports_due: bool
    report_deadline: datetime
    missing_reports: list[CampaignBatch]
    past_deadline: bool
    open_extensions: list[MilestoneExtension]


def _pct(num: int, den: int, cap: bool = False) -> float | None:
    if not den:
        return None
    value = round(num * 100 / den, 2)
    return min(value, 100.0) if cap else value


def abnormal_q(policy: CampaignPolicy) -> Q:
    """On snapshots annotated by ``with_previous``: what makes a month abnormal."""
    share = policy.anomaly_member_change_pct / 100
    return (
        Q(members_total__isnull=True)
        | (Q(age_sum__isnull=False) & ~Q(age_sum=F("members_total")))
        | Q(previous_members__gt=0, member_change__gt=F("previous_members") * share)
    )


def with_previous(snapshots: QuerySet[Snapshot]) -> QuerySet[Snapshot]:
    """The member count of the group's month before, the age bands' sum and the change."""
    previous = Snapshot.objects.filter(
        group=OuterRef("group"), month__lt=OuterRef("month")
    ).order_by("-month")
    return snapshots.annotate(
        previous_members=Subquery(previous.values("members_total")[:1]),
        age_sum=F("age_0_18") + F("age_19_60") + F("age_60_plus"),
    ).annotate(member_change=Abs(F("members_total") - F("previous_members")))


def update_deadline(month: date, policy: CampaignPolicy) -> datetime:
    """The moment after the policy's day of the month (the 5th) ends."""
    last = month.replace(day=policy.monthly_update_day) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(last, time.min))


def community_indicators(
    community_ids: list[int], paths: dict[int, str], month: date, now: datetime, policy
) -> dict[int, dict[str, Indicator]]:
    """{community id: {indicator: Indicator}}: each indicator one grouped query."""
    from gridgov.people.models import Resident

    counts = collection_counts(community_ids, month)
    registered = Group.objects.filter(
        community_id__in=community_ids, state=Group.State.APPROVED, status=Group.Status.ACTIVE
    )
    per_group = {
        r["community_id"]: r
        for r in registered.values("community_id")
        .annotate(
            n=Count("pk", distinct=True),
            four=Count(
                "pk",
                distinct=True,
                filter=Q(
                    has_charter=True, has_admin=True, has_review=True, has_emergency_plan=True
                ),
            ),
            updated=Count(
                "pk",
                distinct=True,
                filter=Q(
                    snapshots__month=month,
                    snapshots__entered_at__lt=update_deadline(month, policy),
                ),
            ),
        )
        .order_by()
    }
    verified = {
        r["community_id"]: r["v"] or 0
        for r in registered.values("community_id").annotate(v=Sum("verified_residents")).order_by()
    }
    snapshots = with_previous(Snapshot.objects.filter(group__in=registered, month=month))
    anomalies = {
        r["group__community_id"]: r
        for r in snapshots.values("group__community_id")
        .annotate(n=Count("pk"), bad=Count("pk", filter=abnormal_q(policy)))
        .order_by()
    }
    items = {
        r["case__group__community_id"]: r
        for r in RectificationItem.objects.filter(
            case__group__community_id__in=community_ids, due_at__lte=now
        )
        .values("case__group__community_id")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(done_at__isnull=False, done_at__lte=F("due_at"))),
        )
        .order_by()
    }
    residents = {cid: 0 for cid in community_ids}
    where = Q(pk__in=[])
    for path in paths.values():
        where |= Q(scope_path__startswith=path)
    per_path = (
        Resident.objects.filter(where, archived_at__isnull=True)
        .values("scope_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in per_path:
        for cid, path in paths.items():
            if row["scope_path"].startswith(path):
                residents[cid] += row["n"]
    out = {}
    for cid in community_ids:
        reg, collected = counts.get(cid, (0, 0))
        g = per_group.get(cid, {"n": 0, "four": 0, "updated": 0})
        a = anomalies.get(cid, {"n": 0, "bad": 0})
        it = items.get(cid, {"n": 0, "on_time": 0})
        figures = {
            "collection": (collected, reg, _pct(collected, reg)),
            "anomaly": (a["bad"], a["n"], _pct(a["bad"], a["n"])),
            "participation": (
                verified.get(cid, 0),
                residents.get(cid, 0),
                _pct(verified.get(cid, 0), residents.get(cid, 0), cap=True),
            ),
            "four_haves": (g["four"], g["n"], _pct(g["four"], g["n"])),
            "rectification_on_time": (it["on_time"], it["n"], _pct(it["on_time"], it["n"])),
            "monthly_update": (g["updated"], g["n"], _pct(g["updated"], g["n"])),
        }
        out[cid] = {
            code: Indicator(code, num, den, value, colour_of(code, value, policy))
            for code, (num, den, value) in figures.items()
        }
    return out


def campaign_board(campaign: Campaign, *, actor=None, now: datetime | None = None) -> Board:
    """The board; with ``actor``, only the communities of the actor's area (everything
    for the street or district that runs the campaign)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    policy = campaign_policy()
    month = today.replace(day=1)
    batches = [
        b
        for b in CampaignBatch.objects.filter(campaign=campaign).select_related("community")
        if actor is None or community_visible(actor, b.community.path)
    ]
    ids = [b.community_id for b in batches]
    figures = community_indicators(
        ids, {b.community_id: b.community.path for b in batches}, month, now, policy
    )
    reports = dict(
        DailyReport.objects.filter(campaign=campaign, day=today).values_list(
            "community_id", "reported_at"
        )
    )
    rows = [CommunityRow(b, figures[b.community_id], reports.get(b.community_id)) for b in batches]
    totals = {}
    for code in INDICATORS:
        num = sum(r.indicators[code].numerator for r in rows)
        den = sum(r.indicators[code].denominator for r in rows)
        value = _pct(num, den, cap=code == "participation")
        totals[code] = Indicator(code, num, den, value, colour_of(code, value, policy))
    day = campaign_day(campaign, today)
    phase = phase_of(campaign, day)
    deadline = report_deadline(today, policy)
    reports_due = (
        campaign.state == Campaign.State.RUNNING
        and phase is not None
        and phase["code"] in policy.daily_report_phases
    )
    missing = [
        b
        for b in batches
        if reports_due and (b.community_id not in reports or reports[b.community_id] > deadline)
    ]
    milestones = [
        (m, milestone_lateness(m, today, campaign=campaign, policy=policy))
        for m in campaign.milestones.all()
    ]
    extensions = list(
        MilestoneExtension.objects.filter(
            milestone__campaign=campaign, state=MilestoneExtension.State.REQUESTED
        ).select_related("milestone", "requested_by")
    )
    return Board(
        campaign=campaign,
        day=day,
        phase=phase,
        today=today,
        month=month,
        milestones=milestones,
        rows=rows,
        totals=totals,
        reports_due=reports_due,
        report_deadline=deadline,
        missing_reports=missing,
        past_deadline=now >= deadline,
        open_extensions=extensions,
    )


def late_milestones(*, actor) -> list[tuple[Milestone, object]]:
    """Milestones not yet done and late (yellow or red) in the campaigns the actor runs."""
    running = Campaign.objects.visible_to(actor, "campaign")
    out = []
    for m in (
        Milestone.objects.filter(campaign__in=running, state=Milestone.State.PENDING)
        .select_related("campaign", "campaign__unit")
        .order_by("due_on", "pk")
    ):
        late = milestone_lateness(m, campaign=m.campaign)
        if late.colour != "success":
            out.append((m, late))
    return out


def extensions_to_decide(*, actor) -> QuerySet[MilestoneExtension]:
    """Extensions waiting in the actor's campaigns that someone else asked for."""
    visible = campaign_list(actor=actor, action="campaign_approve")
    return (
        MilestoneExtension.objects.filter(
            milestone__campaign__in=visible, state=MilestoneExtension.State.REQUESTED
        )
        .exclude(requested_by=actor)
        .select_related("milestone__campaign")
    )
