"""The inventory campaign 盘点 (docs/groups.md, *Campaign*): one per street (or district),
with its phases and milestones copied from the policy at creation, the batches of its
communities by size, extensions, pauses, the daily record of each community's collection
rate, the communities' daily reports and the alerts raised.

A campaign carries ``scope_path``: the path of its street or district, read through
``core.scoping`` under the ``groups`` permissions."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class Campaign(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", _("running (进行中)")
        PAUSED = "paused", _("paused (暂停)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("street or district"),
        on_delete=models.PROTECT,
        related_name="group_campaigns",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    start_on = models.DateField(_("day 1"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RUNNING)
    paused_on = models.DateField(_("paused since"), null=True, blank=True)
    pause_reason = models.CharField(_("reason for the pause"), max_length=300, blank=True)
    # Days the campaign stood paused, over all its finished pauses: the clock stood still.
    paused_days = models.PositiveIntegerField(default=0)
    # [{"code", "name", "name_en", "first_day", "last_day"}] copied from the policy.
    phases = models.JSONField(_("phases"))
    # The secret of the public progress page (盘点进度二维码).
    public_token = models.CharField(
        max_length=64, unique=True, default=new_public_token, editable=False
    )
    policy_version = models.PositiveIntegerField(default=0)
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("inventory campaign")
        verbose_name_plural = _("inventory campaigns")
        ordering = ["-start_on", "id"]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_campaign_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class CampaignBatch(models.Model):
    """A community in its batch: large ones first, then medium, then small, days apart."""

    class Size(models.TextChoices):
        LARGE = "large", _("large (over 500 households)")
        MEDIUM = "medium", _("medium (200–500 households)")
        SMALL = "small", _("small (under 200 households)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    community = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    households = models.PositiveIntegerField(_("households"))
    size = models.CharField(_("size"), max_length=8, choices=Size.choices)
    number = models.PositiveSmallIntegerField(_("batch"))
    start_on = models.DateField(_("starts"))

    class Meta:
        verbose_name = _("campaign batch")
        verbose_name_plural = _("campaign batches")
        ordering = ["number", "-households", "community__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "community"], name="groups_batch_community_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.number} {self.community_id}"


class Milestone(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("pending (未完成)")
        DONE = "done", _("done (已完成)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="milestones")
    day = models.PositiveIntegerField(_("day"))
    name = models.CharField(_("milestone"), max_length=60)
    name_en = models.CharField(max_length=100)
    owner = models.CharField(_("owner"), max_length=60)
    acceptance = models.CharField(_("acceptance"), max_length=200)
    due_on = models.DateField(_("due"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by_name = models.CharField(max_length=150, blank=True)
    evidence_note = models.CharField(_("evidence"), max_length=500, blank=True)
    extended_days = models.PositiveIntegerField(_("days extended"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["day", "id"]

    def __str__(self) -> str:
        return f"D{self.day} {self.name}"


class MilestoneExtension(models.Model):
    """An extension 顺延 asked for a milestone delayed by an emergency; a different user
    holding ``groups.campaign_approve`` decides it. The acceptance figure stays."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("days"))
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("milestone extension")
        verbose_name_plural = _("milestone extensions")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(state="requested"),
                name="groups_extension_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id} +{self.days}"


class CampaignDaily(models.Model):
    """One community's collection rate on one day (written by ``groups_campaign_daily``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="daily")
    community = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    registered = models.PositiveIntegerField()
    collected = models.PositiveIntegerField()
    # None when the community has no registered group: nothing to collect is not "low".
    rate = models.FloatField(null=True)

    class Meta:
        verbose_name = _("daily collection rate")
        verbose_name_plural = _("daily collection rates")
        ordering = ["day", "community_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "community", "day"], name="groups_campaign_daily_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.community_id} {self.day}"


class DailyReport(models.Model):
    """A community's daily report 日报 to the street (due by 17:00 in the 实施 phase)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    community = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    note = models.CharField(_("note"), max_length=500, blank=True)
    reported_at = models.DateTimeField()
    reported_by_name = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "community_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "community", "day"], name="groups_daily_report_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.community_id} {self.day}"


class CampaignAlert(models.Model):
    """An alert raised once: a red milestone (to the district) or a community below the
    collection line for days in a row (to the street). ``key`` makes it once."""

    class Kind(models.TextChoices):
        MILESTONE_RED = "milestone_red", _("milestone red (区级督办)")
        LOW_COLLECTION = "low_collection", _("collection low for days (街道督导)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=100)
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("alerted unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    message = models.CharField(_("message"), max_length=300)
    raised_on = models.DateField(_("raised"))

    class Meta:
        verbose_name = _("campaign alert")
        verbose_name_plural = _("campaign alerts")
        ordering = ["-raised_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="groups_campaign_alert_once")
        ]

    def __str__(self) -> str:
        return self.key
