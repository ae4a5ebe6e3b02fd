"""The demo's inventory campaign 盘点: one campaign of the demo street on its day 40 (the
实施 phase), its first milestones done — D10 and D15 on time, D25 two days late (yellow) —
the later ones ahead, this month's reports entered for most of the street's registered
groups (about one in six still missing, so collection is not the same everywhere), some
communities' daily reports sent today, and the daily collection rates recorded. Idempotent:
a street with a campaign is left as it is."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.demo.visits import GRID, _office
from gridgov.groups import services_campaigns as campaigns
from gridgov.groups.models import Group, Snapshot
from gridgov.groups.models_campaigns import Campaign, CampaignBatch, CampaignDaily
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.org.models import OrgUnit

DAY = 40
# (milestone day, days after its due day it was done)
DONE = [(10, 0), (15, 0), (25, 2)]


def _month_reports(street: OrgUnit) -> int:
    """This month's report for most registered groups of the street, copied from last
    month's figures."""
    first = timezone.localdate().replace(day=1)
    made = 0
    groups = (
        Group.objects.filter(
            community__parent=street, state=Group.State.APPROVED, status=Group.Status.ACTIVE
        )
        .select_related("community")
        .order_by("pk")
    )
    for index, group in enumerate(groups):
        if index % 6 == 5 or Snapshot.objects.filter(group=group, month=first).exists():
            continue
        last = Snapshot.objects.filter(group=group, month__lt=first).order_by("-month").first()
        if last is None:
            continue
        data = {k: getattr(last, k) for k in Snapshot.MEASURES}
        data = {k: ("" if v is None else v) for k, v in data.items()}
        staff = _office(group.community, Role.COMMUNITY_STAFF, "demo_cs_", "社区工作者")
        snapshot_save(actor=staff, group=group, month=first, data=data)
        made += 1
    return made


def seed_groups_campaign() -> Campaign | None:
    """The campaign made (None when the demo street has one already or is missing)."""
    grid = OrgUnit.objects.filter(code=GRID).select_related("parent__parent").first()
    if grid is None or grid.parent is None or grid.parent.parent is None:
        return None
    street = grid.parent.parent
    if Campaign.objects.filter(unit=street).exists():
        return None
    today = timezone.localdate()
    runner = _office(street, Role.STREET_STAFF, "demo_ss_", "街道工作人员")
    campaign = campaigns.campaign_create(
        actor=runner,
        unit_code=street.code,
        name=f"{street.name}小区群盘点",
        start_on=today - timedelta(days=DAY - 1),
    )
    for day, late in DONE:
        milestone = campaign.milestones.get(day=day)
        campaigns.milestone_done(
            actor=runner,
            milestone=milestone,
            evidence_note=f"{milestone.name}验收材料已归档",
            done_on=milestone.due_on + timedelta(days=late),
            version=milestone.version,
        )
    _month_reports(street)
    batches = CampaignBatch.objects.filter(campaign=campaign).select_related("community")
    for index, batch in enumerate(batches.order_by("community__code")):
        if index % 3 == 2:
            continue  # not reported yet today
        staff = _office(batch.community, Role.COMMUNITY_STAFF, "demo_cs_", "社区工作者")
        campaigns.daily_report_submit(
            actor=staff,
            campaign=campaign,
            community_code=batch.community.code,
            note="今日完成群组信息核验",
        )
    if not CampaignDaily.objects.filter(campaign=campaign, day=today).exists():
        campaigns.campaign_daily_run(today)
    return campaign
