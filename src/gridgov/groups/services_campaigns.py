"""The inventory campaign 盘点 (docs/groups.md, *Campaign*): creation with the policy's
phases and milestones copied in and the communities placed in batches by households,
milestones marked done with evidence, extensions asked for and decided by someone else
above, pauses 「疫情防控优先」 that move every milestone not yet done by the days paused,
the communities' daily reports, and the daily run that records each community's collection
rate and raises the alerts (a red milestone → the district; a community below the line for
days in a row → the street), each once.

Days are calendar days, as in the plan (S000 §7). Every write is audited in its
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.selectors import unit_staff
from gridgov.audit.services import audit_record
from gridgov.core import notifications
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.groups.models import Group, Snapshot
from gridgov.groups.models_campaigns import (
    Campaign,
    CampaignAlert,
    CampaignBatch,
    CampaignDaily,
    DailyReport,
    Milestone,
    MilestoneExtension,
)
from gridgov.groups.policies_campaigns import CampaignPolicy, campaign_policy
from gridgov.groups.services import actor_name, free_text, lock_current
from gridgov.org.models import Grid, OrgUnit

LEVELS = (OrgUnit.Level.STREET, OrgUnit.Level.DISTRICT)
# The furthest ahead a campaign may be planned, and how far back it may be entered.
START_WINDOW_DAYS = 366


# Days and phases ---------------------------------------------------------------------------


def campaign_day(campaign: Campaign, today: date | None = None) -> int:
    """The campaign's day (day 1 = ``start_on``); paused days do not count, and while it is
    paused the day stands still. 0 before it starts."""
    today = today or timezone.localdate()
    reference = campaign.paused_on if campaign.state == Campaign.State.PAUSED else today
    day = (reference - campaign.start_on).days + 1 - campaign.paused_days
    return max(day, 0)


def phase_of(campaign: Campaign, day: int) -> dict | None:
    for phase in campaign.phases:
        last = phase.get("last_day")
        if phase["first_day"] <= day and (last is None or day <= last):
            return phase
    return None


def due_on(start_on: date, day: int) -> date:
    return start_on + timedelta(days=day - 1)


# Colours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lateness:
    days_late: int
    colour: str  # success / warning / danger
    beyond_plan: bool  # yellow only because the policy treats the plan's gap as yellow


def milestone_lateness(
    milestone: Milestone,
    today: date | None = None,
    *,
    campaign: Campaign | None = None,
    policy: CampaignPolicy | None = None,
) -> Lateness:
    """Calendar days late and the colour: green on time; yellow up to ``red_after_days``
    late (the plan's yellow is "within 3 days", its red "over 5": days 4–5 are treated as
    yellow and flagged); red beyond. A done milestone keeps the colour of the day it was
    done; a paused campaign's clock stands still."""
    policy = policy or campaign_policy()
    campaign = campaign or milestone.campaign
    if milestone.state == Milestone.State.DONE and milestone.done_on is not None:
        reference = milestone.done_on
    else:
        reference = today or timezone.localdate()
        if campaign.state == Campaign.State.PAUSED and campaign.paused_on is not None:
            reference = min(reference, campaign.paused_on)
    late = (reference - milestone.due_on).days
    if late <= 0:
        return Lateness(max(late, 0), "success", False)
    if late <= policy.red_after_days:
        return Lateness(late, "warning", late > policy.yellow_within_days)
    return Lateness(late, "danger", False)


# Creation ----------------------------------------------------------------------------------


def community_households(unit: OrgUnit) -> dict[int, int]:
    """{community id: households} under ``unit``: the registry's household counts of the
    community's grids (``Grid.household_count``, the register the people KPIs also use)."""
    communities = OrgUnit.objects.filter(
        path__startswith=unit.path, level=OrgUnit.Level.COMMUNITY, is_active=True
    )
    out = {c: 0 for c in communities.values_list("pk", flat=True)}
    sums = (
        Grid.objects.filter(unit__parent__in=list(out), unit__is_active=True)
        .values("unit__parent")
        .annotate(n=Sum("household_count"))
        .order_by()
    )
    for row in sums:
        out[row["unit__parent"]] = row["n"] or 0
    return out


def size_of(households: int, policy: CampaignPolicy) -> str:
    if households > policy.batch_large_above:
        return CampaignBatch.Size.LARGE
    if households < policy.batch_small_below:
        return CampaignBatch.Size.SMALL
    return CampaignBatch.Size.MEDIUM


def plan_batches(
    start_on: date, households: dict[int, int], policy: CampaignPolicy
) -> list[tuple[int, int, str, int, date]]:
    """[(community id, households, size, batch number, start)]: large communities first,
    then medium, then small, ``batch_interval_days`` apart from ``batch_start_day``; sizes
    with no community leave no gap."""
    order = [CampaignBatch.Size.LARGE, CampaignBatch.Size.MEDIUM, CampaignBatch.Size.SMALL]
    by_size: dict[str, list[tuple[int, int]]] = {s: [] for s in order}
    for community, count in households.items():
        by_size[size_of(count, policy)].append((community, count))
    out = []
    number = 0
    for size in order:
        if not by_size[size]:
            continue
        number += 1
        start = due_on(start_on, policy.batch_start_day) + timedelta(
            days=(number - 1) * policy.batch_interval_days
        )
        for community, count in sorted(by_size[size], key=lambda x: (-x[1], x[0])):
            out.append((community, count, size, number, start))
    return out


def _start_date(value, errors: dict) -> date | None:
    if isinstance(value, date):
        start = value
    else:
        try:
            start = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors["start_on"] = [_("Give the first day as YYYY-MM-DD.")]
            return None
    today = timezone.localdate()
    if abs((start - today).days) > START_WINDOW_DAYS:
        errors["start_on"] = [_("Give a first day within a year of today.")]
        return None
    return start


def campaign_create(*, actor, unit_code: str, name: str, start_on) -> Campaign:
    """A campaign for a street or district in the actor's scope, with the policy's phases
    and milestones copied in (a later policy change leaves it as it is)."""
    errors: dict[str, list] = {}
    unit = OrgUnit.objects.filter(code=str(unit_code or "").strip(), is_active=True).first()
    if unit is None or not path_in_scope(actor, unit.path, "groups.campaign"):
        errors["unit"] = [_("Choose a street or district of your area.")]
    elif unit.level not in LEVELS:
        errors["unit"] = [_("A campaign is run by a street or a district.")]
    name = free_text(name, "name", 100, errors)
    if not name and "name" not in errors:
        errors["name"] = [_("Give the campaign a name.")]
    start = _start_date(start_on, errors)
    if errors:
        raise ValidationFailed(details=errors)
    in_force = policy_in_force("groups.campaigns")
    policy: CampaignPolicy = in_force.value
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            unit=unit,
            scope_path=unit.path,
            start_on=start,
            phases=[p.model_dump() for p in policy.phases],
            policy_version=in_force.version,
            created_by_name=actor_name(actor),
        )
        Milestone.objects.bulk_create(
            [
                Milestone(
                    campaign=campaign,
                    day=m.day,
                    name=m.name,
                    name_en=m.name_en,
                    owner=m.owner,
                    acceptance=m.acceptance,
                    due_on=due_on(start, m.day),
                )
                for m in sorted(policy.milestones, key=lambda m: m.day)
            ]
        )
        batches = plan_batches(start, community_households(unit), policy)
        CampaignBatch.objects.bulk_create(
            [
                CampaignBatch(
                    campaign=campaign,
                    community_id=community,
                    households=count,
                    size=size,
                    number=number,
                    start_on=begins,
                )
                for community, count, size, number, begins in batches
            ]
        )
        audit_record(
            "groups.campaign.create",
            actor=actor,
            target=campaign,
            changes={
                "unit": unit.code,
                "start_on": start.isoformat(),
                "milestones": len(policy.milestones),
                "communities": len(batches),
                "policy_version": in_force.version,
            },
        )
    return campaign


# Milestones --------------------------------------------------------------------------------


def milestone_done(
    *, actor, milestone: Milestone, evidence_note: str, done_on=None, version: int
) -> Milestone:
    campaign = milestone.campaign
    require_in_scope(actor, campaign.scope_path, "groups.campaign")
    errors: dict[str, list] = {}
    note = free_text(evidence_note, "evidence_note", 500, errors)
    if not note and "evidence_note" not in errors:
        errors["evidence_note"] = [_("Say what proves it (the report, minutes, the list).")]
    today = timezone.localdate()
    when = today
    if done_on not in (None, ""):
        try:
            when = done_on if isinstance(done_on, date) else date.fromisoformat(str(done_on))
        except ValueError:
            errors["done_on"] = [_("Give the day as YYYY-MM-DD.")]
        else:
            if when > today or when < campaign.start_on:
                errors["done_on"] = [_("Give a day between the campaign's first day and today.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if locked.version != version:
            raise Conflict(details={"version": locked.version})
        if locked.state == Milestone.State.DONE:
            raise Conflict(_("This milestone is done already."), code="milestone_done")
        locked.state = Milestone.State.DONE
        locked.done_on = when
        locked.done_by_name = actor_name(actor)
        locked.evidence_note = note
        locked.version += 1
        locked.save()
        audit_record(
            "groups.milestone.done",
            actor=actor,
            target=campaign,
            changes={"milestone": locked.day, "done_on": when.isoformat(), "evidence": note},
        )
    return locked


def extension_request(*, actor, milestone: Milestone, days, reason: str) -> MilestoneExtension:
    """Ask to move a milestone delayed by an emergency by 3–5 days (policy)."""
    campaign = milestone.campaign
    require_in_scope(actor, campaign.scope_path, "groups.campaign")
    policy = campaign_policy()
    errors: dict[str, list] = {}
    try:
        days = int(str(days).strip())
    except (TypeError, ValueError):
        days = None
    if days is None or not policy.extension_min_days <= days <= policy.extension_max_days:
        errors["days"] = [
            _("Between %(a)s and %(b)s days.")
            % {"a": policy.extension_min_days, "b": policy.extension_max_days}
        ]
    reason = free_text(reason, "reason", 300, errors)
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say which emergency delayed it.")]
    if errors:
        raise ValidationFailed(details=errors)
    if milestone.state == Milestone.State.DONE:
        raise Conflict(_("This milestone is done already."), code="milestone_done")
    try:
        with transaction.atomic():
            extension = MilestoneExtension.objects.create(
                milestone=milestone, days=days, reason=reason, requested_by=actor
            )
            audit_record(
                "groups.milestone.extension_request",
                actor=actor,
                target=campaign,
                changes={"milestone": milestone.day, "days": days, "reason": reason},
            )
    except IntegrityError:
        raise Conflict(
            _("An extension of this milestone is waiting for a decision already."),
            code="extension_open",
        ) from None
    return extension


def extension_decide(
    *, actor, extension: MilestoneExtension, approve: bool, note: str = ""
) -> MilestoneExtension:
    """Approve (the due day moves by the days asked; the acceptance figure stays) or reject,
    by someone above holding ``groups.campaign_approve`` who did not ask for it."""
    milestone = extension.milestone
    campaign = milestone.campaign
    require_in_scope(actor, campaign.scope_path, "groups.campaign_approve")
    if extension.requested_by_id == actor.pk:
        raise PermissionDenied(_("Someone other than the person who asked decides."))
    errors: dict[str, list] = {}
    note = free_text(note, "note", 300, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        locked = MilestoneExtension.objects.select_for_update().get(pk=extension.pk)
        if locked.state != MilestoneExtension.State.REQUESTED:
            raise Conflict(_("This extension was decided already."), code="extension_decided")
        locked.state = (
            MilestoneExtension.State.APPROVED if approve else MilestoneExtension.State.REJECTED
        )
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save()
        changes = {"milestone": milestone.day, "days": locked.days, "note": note}
        if approve:
            target = Milestone.objects.select_for_update().get(pk=milestone.pk)
            target.due_on += timedelta(days=locked.days)
            target.extended_days += locked.days
            target.version += 1
            target.save()
            changes["due_on"] = target.due_on.isoformat()
            audit_record(
                "groups.milestone.extension_approve", actor=actor, target=campaign, changes=changes
            )
        else:
            audit_record(
                "groups.milestone.extension_reject", actor=actor, target=campaign, changes=changes
            )
    return locked


# Pause and resume --------------------------------------------------------------------------


def campaign_pause(*, actor, campaign: Campaign, reason: str, version: int) -> Campaign:
    """「疫情防控优先」: the campaign stops; its clock stands still until it resumes."""
    require_in_scope(actor, campaign.scope_path, "groups.campaign")
    errors: dict[str, list] = {}
    reason = free_text(reason, "reason", 300, errors)
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say why the campaign stops (e.g. a local outbreak).")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        locked = lock_current(campaign, version)
        if locked.state == Campaign.State.PAUSED:
            raise Conflict(_("The campaign is paused already."), code="campaign_paused")
        locked.state = Campaign.State.PAUSED
        locked.paused_on = timezone.localdate()
        locked.pause_reason = reason
        locked.version += 1
        locked.save()
        audit_record(
            "groups.campaign.pause",
            actor=actor,
            target=locked,
            changes={"paused_on": locked.paused_on.isoformat(), "reason": reason},
        )
    return locked


def campaign_resume(*, actor, campaign: Campaign, version: int) -> Campaign:
    """The campaign goes on; every milestone not yet done, and every batch not yet begun,
    moves by the days it stood paused."""
    require_in_scope(actor, campaign.scope_path, "groups.campaign")
    with transaction.atomic():
        locked = lock_current(campaign, version)
        if locked.state != Campaign.State.PAUSED:
            raise Conflict(_("The campaign is not paused."), code="campaign_running")
        days = max((timezone.localdate() - locked.paused_on).days, 0)
        shift = timedelta(days=days)
        pending = list(
            Milestone.objects.select_for_update().filter(
                campaign=locked, state=Milestone.State.PENDING
            )
        )
        for m in pending:
            m.due_on += shift
            m.version += 1
        Milestone.objects.bulk_update(pending, ["due_on", "version"])
        later = list(CampaignBatch.objects.filter(campaign=locked, start_on__gte=locked.paused_on))
        for b in later:
            b.start_on += shift
        CampaignBatch.objects.bulk_update(later, ["start_on"])
        paused_on = locked.paused_on
        locked.state = Campaign.State.RUNNING
        locked.paused_days += days
        locked.paused_on = None
        locked.pause_reason = ""
        locked.version += 1
        locked.save()
        audit_record(
            "groups.campaign.resume",
            actor=actor,
            target=locked,
            changes={
                "paused_on": paused_on.isoformat(),
                "days": days,
                "milestones_moved": len(pending),
            },
        )
    return locked


# Daily reports -----------------------------------------------------------------------------


def report_deadline(day: date, policy: CampaignPolicy | None = None) -> datetime:
    policy = policy or campaign_policy()
    hours, minutes = (int(x) for x in policy.daily_report_by.split(":"))
    return timezone.make_aware(datetime.combine(day, time(hours, minutes)))


def daily_report_submit(*, actor, campaign: Campaign, community_code: str, note: str = ""):
    """A community's report of the day to the street (once a day; sending again updates the
    note and keeps the first time)."""
    errors: dict[str, list] = {}
    batch = (
        CampaignBatch.objects.filter(campaign=campaign, community__code=str(community_code or ""))
        .select_related("community")
        .first()
    )
    if batch is None or not path_in_scope(actor, batch.community.path, "groups.register"):
        errors["community"] = [_("Choose a community of this campaign in your area.")]
    note = free_text(note, "note", 500, errors)
    if errors:
        raise ValidationFailed(details=errors)
    if campaign.state == Campaign.State.PAUSED:
        raise Conflict(_("The campaign is paused."), code="campaign_paused")
    today = timezone.localdate()
    with transaction.atomic():
        report, created = DailyReport.objects.get_or_create(
            campaign=campaign,
            community=batch.community,
            day=today,
            defaults={
                "note": note,
                "reported_at": timezone.now(),
                "reported_by_name": actor_name(actor),
            },
        )
        if not created:
            report.note = note
            report.save(update_fields=["note"])
        audit_record(
            "groups.campaign.daily_report",
            actor=actor,
            target=campaign,
            changes={"community": batch.community.code, "day": today.isoformat(), "note": note},
        )
    return report


# The daily run -----------------------------------------------------------------------------


def collection_counts(community_ids: list[int], month: date) -> dict[int, tuple[int, int]]:
    """{community id: (registered groups, of them with the month's snapshot)}: registered
    means approved by the committee and active."""
    rows = (
        Group.objects.filter(
            community_id__in=community_ids,
            state=Group.State.APPROVED,
            status=Group.Status.ACTIVE,
        )
        .values("community_id")
        .annotate(
            registered=Count("pk", distinct=True),
            collected=Count("pk", distinct=True, filter=Q(snapshots__month=month)),
        )
        .order_by()
    )
    return {r["community_id"]: (r["registered"], r["collected"]) for r in rows}


# The inbox's kind of notice for each alert (at most 20 characters).
NOTICE_KINDS = {
    CampaignAlert.Kind.MILESTONE_RED: "campaign_red",
    CampaignAlert.Kind.LOW_COLLECTION: "campaign_low",
}


def _raise(campaign: Campaign, *, kind, key, unit, message, day, milestone=None, community=None):
    try:
        with transaction.atomic():
            alert = CampaignAlert.objects.create(
                campaign=campaign,
                kind=kind,
                key=key,
                unit=unit,
                milestone=milestone,
                community=community,
                message=message[:300],
                raised_on=day,
            )
    except IntegrityError:
        return 0  # raised already
    notifications.inbox(
        unit_staff([unit], "groups.view"),
        kind=NOTICE_KINDS[kind],
        message=message,
        key=f"groups_campaign_alert:{alert.pk}",
    )
    audit_record(
        "groups.campaign.alert",
        actor_name="system:groups_campaign_daily",
        target=campaign,
        changes={"kind": kind, "key": key, "unit": unit.code},
    )
    return 1


def _district_of(unit: OrgUnit) -> OrgUnit:
    return unit if unit.level == OrgUnit.Level.DISTRICT else (unit.parent or unit)


def _street_of(community: OrgUnit) -> OrgUnit:
    return community.parent or community


def campaign_daily_run(day: date | None = None) -> dict[str, int]:
    """Record every running campaign's collection rate per community for ``day`` and raise
    the alerts due. Idempotent: running it again the same day rewrites the same rows and
    raises nothing new."""
    day = day or timezone.localdate()
    policy = campaign_policy()
    month = day.replace(day=1)
    recorded = alerts = 0
    campaigns = Campaign.objects.filter(
        state=Campaign.State.RUNNING, start_on__lte=day
    ).select_related("unit", "unit__parent")
    for campaign in campaigns:
        batches = list(
            CampaignBatch.objects.filter(campaign=campaign).select_related("community__parent")
        )
        counts = collection_counts([b.community_id for b in batches], month)
        with transaction.atomic():
            for b in batches:
                registered, collected = counts.get(b.community_id, (0, 0))
                rate = round(collected * 100 / registered, 2) if registered else None
                CampaignDaily.objects.update_or_create(
                    campaign=campaign,
                    community=b.community,
                    day=day,
                    defaults={"registered": registered, "collected": collected, "rate": rate},
                )
                recorded += 1
        # Communities are followed day by day in the phases with a daily report (实施), from
        # the day their batch begins; the 1st of each later month starts from zero again.
        phase = phase_of(campaign, campaign_day(campaign, day))
        followed = phase is not None and phase["code"] in policy.daily_report_phases
        for b in batches if followed else []:
            run_start = _low_run_start(campaign, b, day, policy)
            if run_start is None:
                continue
            alerts += _raise(
                campaign,
                kind=CampaignAlert.Kind.LOW_COLLECTION,
                key=f"low_collection:{b.community_id}:{run_start.isoformat()}",
                unit=_street_of(b.community),
                community=b.community,
                day=day,
                message=_(
                    "%(community)s: collection below %(line)s%% for %(n)s days in a row "
                    "(since %(since)s) — street supervision."
                )
                % {
                    "community": b.community.name,
                    "line": f"{policy.low_collection_below:g}",
                    "n": (day - run_start).days + 1,
                    "since": run_start.isoformat(),
                },
            )
        for m in Milestone.objects.filter(campaign=campaign, state=Milestone.State.PENDING):
            late = milestone_lateness(m, day, campaign=campaign, policy=policy)
            if late.colour != "danger":
                continue
            alerts += _raise(
                campaign,
                kind=CampaignAlert.Kind.MILESTONE_RED,
                key=f"milestone_red:{m.pk}:{m.due_on.isoformat()}",
                unit=_district_of(campaign.unit),
                milestone=m,
                day=day,
                message=_("%(campaign)s: milestone D%(day)s %(name)s is %(n)s days late.")
                % {"campaign": campaign.name, "day": m.day, "name": m.name, "n": late.days_late},
            )
    return {"recorded": recorded, "alerts": alerts}


def _low_run_start(campaign, batch: CampaignBatch, day: date, policy: CampaignPolicy):
    """The first day of the run of low days ending on ``day`` (counted from the day the
    community's batch began), if the run is long enough."""
    rows = (
        CampaignDaily.objects.filter(
            campaign=campaign,
            community_id=batch.community_id,
            day__lte=day,
            day__gte=batch.start_on,
        )
        .order_by("-day")
        .values_list("day", "rate")[:366]
    )
    start = None
    expected = day
    length = 0
    for row_day, rate in rows:
        if row_day != expected or rate is None or rate >= policy.low_collection_below:
            break
        start, length = row_day, length + 1
        expected = row_day - timedelta(days=1)
    return start if length >= policy.low_collection_days else None


def snapshots_of_month(community_ids: list[int], month: date):
    return Snapshot.objects.filter(
        group__community_id__in=community_ids,
        group__state=Group.State.APPROVED,
        group__status=Group.Status.ACTIVE,
        month=month,
    )
