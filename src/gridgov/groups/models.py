"""The community chat-group inventory 小区群盘点 (docs/groups.md).

A chat group 小区群 serving compounds or buildings of one community: its platform, its
external id kept only as a keyed hash, its function 功能定位 and 管理主体, its admins, the
compounds and buildings it serves, its status with the lineage of splits and merges, the
居委会's approval (a group counts as registered only once approved), the 「四有」 checklist
with evidence, and member statistics as aggregates only (never member lists).

A group carries ``scope_path``: the path of the one grid all its buildings lie in, or else
of its community; it is read through ``core.scoping`` under the ``groups`` permissions.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Group(models.Model):
    class Platform(models.TextChoices):
        WECHAT = "wechat", _("WeChat group (微信群)")
        WECOM = "wecom", _("WeCom group (企业微信群)")
        QQ = "qq", _("QQ group (QQ群)")
        DINGTALK = "dingtalk", _("DingTalk group (钉钉群)")
        OTHER = "other", _("other platform")

    class Function(models.TextChoices):
        NOTICE = "notice", _("notice group (通知群)")
        SERVICE = "service", _("service group (服务群)")
        MUTUAL_AID = "mutual_aid", _("mutual-aid group (互助群)")
        DELIBERATION = "deliberation", _("deliberation group (议事群)")
        MIXED = "mixed", _("mixed-purpose group (综合群)")

    # Pure commercial groups (团购群, 微商群) are outside the inventory and refused.
    COMMERCIAL = "commercial"

    class Manager(models.TextChoices):
        COMMITTEE = "committee", _("residents' committee (居委会)")
        PROPERTY = "property", _("property management (物业)")
        OWNERS = "owners", _("owners' committee (业委会)")
        VOLUNTEERS = "volunteers", _("volunteers (志愿者)")
        BUILDING_HEAD = "building_head", _("building head (楼栋长)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        MERGED = "merged", _("merged into another group")
        SPLIT = "split", _("split into other groups")
        DISSOLVED = "dissolved", _("dissolved")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval (待审批)")
        APPROVED = "approved", _("registered (已登记)")
        REJECTED = "rejected", _("not approved (未通过)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("group name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=12, choices=Platform.choices)
    # HMAC of the platform's group id (blind index, purpose "groups.external_id").
    external_id_hash = models.CharField(max_length=64, blank=True, editable=False)
    function = models.CharField(_("function (功能定位)"), max_length=16, choices=Function.choices)
    manager = models.CharField(_("managed by (管理主体)"), max_length=16, choices=Manager.choices)
    community = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="chat_groups",
    )
    grid = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    compounds = models.ManyToManyField(
        "org.Compound", verbose_name=_("compounds served"), related_name="chat_groups"
    )
    buildings = models.ManyToManyField(
        "org.Building", verbose_name=_("buildings served"), related_name="chat_groups", blank=True
    )
    # The grid worker responsible for the group (包片负责制).
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible grid worker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chat_groups",
    )
    created_on = models.DateField(_("group created on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    predecessors = models.ManyToManyField(
        "self",
        verbose_name=_("formed from"),
        symmetrical=False,
        related_name="successors",
        blank=True,
    )
    state = models.CharField(
        _("approval"), max_length=12, choices=State.choices, default=State.PENDING
    )
    decided_by_name = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    # 「四有」: 章程, 管理员, 审核机制, 应急预案.
    has_charter = models.BooleanField(_("has a charter (有章程)"), default=False)
    has_admin = models.BooleanField(_("has admins (有管理员)"), default=False)
    has_review = models.BooleanField(_("has content review (有审核机制)"), default=False)
    has_emergency_plan = models.BooleanField(_("has an emergency plan (有应急预案)"), default=False)
    # Member statistics, aggregates only.
    members_total = models.PositiveIntegerField(_("members"), null=True, blank=True)
    age_0_18 = models.PositiveIntegerField(_("aged 0–18"), null=True, blank=True)
    age_19_60 = models.PositiveIntegerField(_("aged 19–60"), null=True, blank=True)
    age_60_plus = models.PositiveIntegerField(_("aged 60+"), null=True, blank=True)
    occupation_students = models.PositiveIntegerField(_("students"), null=True, blank=True)
    occupation_employed = models.PositiveIntegerField(_("employed"), null=True, blank=True)
    occupation_retired = models.PositiveIntegerField(_("retired"), null=True, blank=True)
    occupation_other = models.PositiveIntegerField(_("other occupations"), null=True, blank=True)
    special_elderly_alone = models.PositiveIntegerField(
        _("elderly living alone"), null=True, blank=True
    )
    special_pregnant = models.PositiveIntegerField(_("pregnant women"), null=True, blank=True)
    special_chronic = models.PositiveIntegerField(
        _("chronically ill people"), null=True, blank=True
    )
    verified_residents = models.PositiveIntegerField(_("verified residents"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    FOUR_HAVES = ("has_charter", "has_admin", "has_review", "has_emergency_plan")
    STAT_FIELDS = (
        "members_total",
        "age_0_18",
        "age_19_60",
        "age_60_plus",
        "occupation_students",
        "occupation_employed",
        "occupation_retired",
        "occupation_other",
        "special_elderly_alone",
        "special_pregnant",
        "special_chronic",
        "verified_residents",
    )

    class Meta:
        verbose_name = _("chat group")
        verbose_name_plural = _("chat groups")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id_hash"],
                condition=~Q(external_id_hash=""),
                name="groups_group_external_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_group_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["state", "status"], name="groups_group_state_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def is_registered(self) -> bool:
        return self.state == self.State.APPROVED

    @property
    def four_haves(self) -> bool:
        return all(getattr(self, f) for f in self.FOUR_HAVES)

    @property
    def verified_share(self) -> float | None:
        if not self.members_total or self.verified_residents is None:
            return None
        return self.verified_residents / self.members_total


class GroupAdmin(models.Model):
    """An admin of a group: a staff account or a resident (contact only for admins)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("group admin")
        verbose_name_plural = _("group admins")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, resident__isnull=True)
                | Q(user__isnull=True, resident__isnull=False),
                name="groups_admin_user_or_resident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.user_id or self.resident_id}"


class GroupEvidence(models.Model):
    """A photo or PDF scan proving one 「四有」 item (stored through ``core.attachments``)."""

    class Item(models.TextChoices):
        CHARTER = "has_charter", _("charter (章程)")
        ADMIN = "has_admin", _("admins (管理员)")
        REVIEW = "has_review", _("content review (审核机制)")
        EMERGENCY = "has_emergency_plan", _("emergency plan (应急预案)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="evidence")
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    stored_path = models.CharField(max_length=500, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by_name = models.CharField(max_length=150, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("「四有」 evidence")
        verbose_name_plural = _("「四有」 evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.item}"


class IndicatorSet(models.Model):
    """A version of the indicator set 「三维度十二指标」 (revised every year): the stored fields
    in their dimensions, which of them are scored, as data. A snapshot names the version it
    was entered under."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    # [{"code", "dimension", "name", "name_en", "scored", "source"}]: source is "group" (the
    # registry) or "snapshot" (the month's report).
    indicators = models.JSONField(_("indicators"))

    class Meta:
        verbose_name = _("indicator set")
        verbose_name_plural = _("indicator sets")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


class Snapshot(models.Model):
    """One group's indicators for one month, from the admin's monthly report. A measure
    not had is NULL ("not measured", 未测量), never zero. The class 「四类小区群」 the rule
    engine placed it in is kept with the rule and the policy version."""

    class Klass(models.TextChoices):
        HIGH = "high", _("high-performing (高效能群)")
        POTENTIAL = "potential", _("with potential (潜力提升群)")
        RECTIFY = "rectify", _("to be rectified (问题整改群)")
        RESTRUCTURE = "restructure", _("to be restructured (功能重构群)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="snapshots")
    month = models.DateField(_("month"))  # the first day
    indicator_set = models.ForeignKey(
        IndicatorSet, verbose_name=_("indicator set"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    # 群组基础信息: activity.
    activity_pct = models.FloatField(_("activity (% of members who posted in 30 days)"), null=True)
    messages_per_day = models.FloatField(_("messages per day"), null=True)
    # 成员构成数据.
    members_total = models.PositiveIntegerField(_("members"), null=True)
    age_0_18 = models.PositiveIntegerField(_("aged 0–18"), null=True)
    age_19_60 = models.PositiveIntegerField(_("aged 19–60"), null=True)
    age_60_plus = models.PositiveIntegerField(_("aged 60+"), null=True)
    occupation_students = models.PositiveIntegerField(_("students"), null=True)
    occupation_employed = models.PositiveIntegerField(_("employed"), null=True)
    occupation_retired = models.PositiveIntegerField(_("retired"), null=True)
    occupation_other = models.PositiveIntegerField(_("other occupations"), null=True)
    special_elderly_alone = models.PositiveIntegerField(_("elderly living alone"), null=True)
    special_pregnant = models.PositiveIntegerField(_("pregnant women"), null=True)
    special_chronic = models.PositiveIntegerField(_("chronically ill people"), null=True)
    admin_contact = models.BooleanField(_("admins' contact recorded"), null=True)
    # 管理效能.
    publish_hours = models.FloatField(_("hours until 90% of members read a notice"), null=True)
    response_hours = models.FloatField(_("hours to the first reply to a resident"), null=True)
    allocation_hours = models.FloatField(
        _("hours from a request for supplies to delivery"), null=True
    )
    # What the classes and the score also need.
    satisfaction_pct = models.FloatField(_("residents' satisfaction (%)"), null=True)
    false_information = models.BooleanField(_("false information spread"), null=True)
    service_missing = models.BooleanField(_("services missing"), null=True)
    mixed_function = models.BooleanField(
        _("function blurred (e.g. notices mixed with group buying)"), null=True
    )
    leak_incidents = models.PositiveIntegerField(_("information leak incidents"), null=True)
    complaints = models.PositiveIntegerField(_("complaints"), null=True)
    remarks = models.CharField(_("remarks"), max_length=500, blank=True)
    klass = models.CharField(_("class"), max_length=12, choices=Klass.choices)
    class_rule = models.CharField(_("placed by"), max_length=300)
    class_policy_version = models.PositiveIntegerField(default=0)
    entered_by_name = models.CharField(_("entered by"), max_length=150)
    # The account that saved this version (the quarterly cross-check is someone else's);
    # NULL for a system actor and for versions saved before it was kept.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    MEASURES = (
        "activity_pct",
        "messages_per_day",
        "members_total",
        "age_0_18",
        "age_19_60",
        "age_60_plus",
        "occupation_students",
        "occupation_employed",
        "occupation_retired",
        "occupation_other",
        "special_elderly_alone",
        "special_pregnant",
        "special_chronic",
        "admin_contact",
        "publish_hours",
        "response_hours",
        "allocation_hours",
        "satisfaction_pct",
        "false_information",
        "service_missing",
        "mixed_function",
        "leak_incidents",
        "complaints",
    )

    class Meta:
        verbose_name = _("monthly snapshot")
        verbose_name_plural = _("monthly snapshots")
        ordering = ["-month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "month"], name="groups_snapshot_month_unique")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_snapshot_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["month", "klass"], name="groups_snapshot_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.month:%Y-%m}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Score(models.Model):
    """The monthly score 「双周期四维度」 of one group: four dimensions 0–100 (数据 / 服务 /
    安全 / 发展; a dimension with nothing measured is NULL and leaves the weighted mean),
    the total, stars 1–5 and the rank within the street, with the policy version."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    snapshot = models.OneToOneField(Snapshot, on_delete=models.CASCADE, related_name="score")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="scores")
    month = models.DateField(_("month"))
    scope_path = models.CharField(max_length=255, editable=False)
    street = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    data = models.FloatField(_("data"), null=True)
    service = models.FloatField(_("service"), null=True)
    security = models.FloatField(_("security"), null=True)
    development = models.FloatField(_("development"), null=True)
    total = models.FloatField(_("score"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    rank = models.PositiveIntegerField(_("rank in the street"), null=True)
    ranked_among = models.PositiveIntegerField(default=0)
    policy_version = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("monthly score")
        verbose_name_plural = _("monthly scores")
        ordering = ["-month", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "month"], name="groups_score_month_unique")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_score_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["street", "month"], name="groups_score_street_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.month:%Y-%m} {self.total:.1f}"

    @property
    def dims(self) -> list[float | None]:
        return [self.data, self.service, self.security, self.development]


class Rectification(models.Model):
    """A rectification case 「限期整改+专项督导」: the reason, the class at trigger, the
    street's supervisor 督导员, items with deadlines, the "restrict posting" check for the
    admin (GridGov cannot enforce it on another platform), evidence and the closure review."""

    class State(models.TextChoices):
        OPEN = "open", _("in rectification (整改中)")
        REVIEW = "review", _("closure requested (待验收)")
        CLOSED = "closed", _("closed (已销号)")

    class Trigger(models.TextChoices):
        CLASS = "class", _("placed in 问题整改群")
        LOW_SCORE = "low_score", _("score below the threshold two months running")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="rectifications")
    scope_path = models.CharField(max_length=255, editable=False)
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    reason = models.CharField(_("reason"), max_length=500)
    klass_at_trigger = models.CharField(
        _("class at trigger"), max_length=12, choices=Snapshot.Klass.choices, blank=True
    )
    snapshot = models.ForeignKey(
        Snapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor (督导员)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    restrict_posting_checked_at = models.DateTimeField(
        _("posting restricted (checked)"), null=True, blank=True
    )
    restrict_posting_checked_by = models.CharField(max_length=150, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    opened_by_name = models.CharField(_("opened by"), max_length=150)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by_name = models.CharField(_("closed by"), max_length=150, blank=True)
    policy_version = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("rectification case")
        verbose_name_plural = _("rectification cases")
        ordering = ["-opened_at", "id"]
        constraints = [
            # One case in progress per group: a second trigger finds the first.
            models.UniqueConstraint(
                fields=["group"],
                condition=~Q(state="closed"),
                name="groups_rectification_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_rect_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.opened_at:%Y-%m-%d}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class RectificationItem(models.Model):
    """One item of the 整改清单 with its deadline (calendar days from opening)."""

    case = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(_("item"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return self.text


class RectificationEvidence(models.Model):
    """A photo or PDF scan of the rectification's result (``core.attachments``)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="evidence")
    stored_path = models.CharField(max_length=500, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by_name = models.CharField(max_length=150, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rectification evidence")
        verbose_name_plural = _("rectification evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.uid}"


# Chat exports and early warning, the campaign, residents' feedback and the treatments live
# in their own modules; Django finds models here.
from gridgov.groups.models_campaigns import (  # noqa: E402
    Campaign,
    CampaignAlert,
    CampaignBatch,
    CampaignDaily,
    DailyReport,
    Milestone,
    MilestoneExtension,
)
from gridgov.groups.models_crosschecks import (  # noqa: E402
    CrossCheck,
    CrossCheckDiscrepancy,
    CrossCheckItem,
)
from gridgov.groups.models_feedback import GroupRating, Suggestion  # noqa: E402
from gridgov.groups.models_messages import (  # noqa: E402
    ChatImport,
    ChatMessage,
    EarlyWarning,
    ExportConsent,
    KeywordDay,
)
from gridgov.groups.models_treatments import Pairing, RestructureTask  # noqa: E402

__all__ = [
    "Campaign",
    "CampaignAlert",
    "CampaignBatch",
    "CampaignDaily",
    "ChatImport",
    "ChatMessage",
    "CrossCheck",
    "CrossCheckDiscrepancy",
    "CrossCheckItem",
    "DailyReport",
    "EarlyWarning",
    "ExportConsent",
    "Group",
    "GroupAdmin",
    "GroupEvidence",
    "GroupRating",
    "IndicatorSet",
    "KeywordDay",
    "Milestone",
    "MilestoneExtension",
    "Pairing",
    "Rectification",
    "RectificationEvidence",
    "RectificationItem",
    "RestructureTask",
    "Score",
    "Snapshot",
    "Suggestion",
]
