"""Household visits (入户走访): the indicator catalogue, visit tasks, visit records with their
answers and registry corrections, double review and spot checks.

Every scoped row carries ``scope_path`` (the household's grid path) and is read through
``core.scoping`` under the ``visits`` permissions. Answers to sensitive indicators (health,
disability, mental health) and proposed registry values are stored only as SM4-GCM
ciphertext.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")


FREQUENCY_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 90, "yearly": 365}


class IndicatorCategory(models.Model):
    """One of the twelve categories of the indicator catalogue (统一指标体系)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60)
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("indicator category")
        verbose_name_plural = _("indicator categories")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One indicator: what is asked, how it is checked, how sensitive it is, for which
    collection purposes it may be taken, and how often it must be verified. Editing it
    adds a revision (``IndicatorRevision``) and raises ``version``; answers record the
    version they were given against."""

    class Type(models.TextChoices):
        BOOLEAN = "bool", _("yes / no")
        INTEGER = "int", _("whole number")
        DECIMAL = "decimal", _("number")
        CHOICE = "choice", _("one of a list")
        MULTI = "multi", _("several of a list")
        TEXT = "text", _("text")
        DATE = "date", _("date")

    class Sensitivity(models.TextChoices):
        NORMAL = "normal", _("normal")
        SENSITIVE = "sensitive", _("sensitive (health, disability, mental health)")

    class Method(models.TextChoices):
        VISIT = "visit", _("home visit")
        TERMINAL = "terminal", _("smart terminal")
        SHARED = "shared", _("department data")
        SELF = "self", _("self-report")

    code = models.CharField(_("code"), max_length=20, unique=True)
    category = models.ForeignKey(
        IndicatorCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="indicators",
    )
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100)
    definition = models.CharField(_("definition"), max_length=300, blank=True)
    value_type = models.CharField(_("type"), max_length=8, choices=Type.choices)
    # min / max (numbers), max_length (text), choices [[code, 中文, English], …]
    validation = models.JSONField(_("validation"), default=dict, blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=10, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    purposes = models.JSONField(_("collection purposes"), default=list)
    required = models.BooleanField(_("required"), default=False)
    frequency = models.CharField(_("update frequency"), max_length=10, choices=Frequency.choices)
    short_form = models.BooleanField(_("on the short paper form"), default=False)
    method = models.CharField(
        _("collection method"), max_length=10, choices=Method.choices, default=Method.VISIT
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order on the form"), default=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["category__sort", "sort", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_sensitive(self) -> bool:
        return self.sensitivity == self.Sensitivity.SENSITIVE

    @property
    def frequency_days(self) -> int:
        return FREQUENCY_DAYS[self.frequency]

    @property
    def label(self) -> str:
        """Chinese and English name, as errors name the indicator."""
        return f"{self.name} {self.name_en}"

    @property
    def choices(self) -> list[list[str]]:
        return list(self.validation.get("choices", []))


class IndicatorRevision(models.Model):
    """The definition of an indicator before a change: the catalogue is versioned.

    ``version`` is the version this definition had; ``changes`` (field → [before, after])
    what the change to the next version did, ``changed_by`` / ``created_at`` who made it and
    when. Answers given against ``version`` are read with this definition."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    changes = models.JSONField(default=dict)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "version"], name="indicator_rev_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} v{self.version}"


class VisitTask(models.Model):
    """A household to visit, for a worker, by a day. One open task per household."""

    class Reason(models.TextChoices):
        STALE = "stale", _("indicators out of date")
        CYCLE = "cycle", _("no visit in the cycle")
        REQUESTED = "requested", _("asked for by staff")
        CORRECTION = "correction", _("spot check found a mismatch")

    class Status(models.TextChoices):
        OPEN = "open", _("to visit")
        DONE = "done", _("visited")
        CANCELLED = "cancelled", _("cancelled")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visit_tasks",
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    stale = models.JSONField(_("out-of-date indicators"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    due_date = models.DateField(_("due"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "visits"

    class Meta:
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status="open"),
                name="visit_task_one_open_per_household",
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="visit_task_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["assignee", "status"], name="visit_task_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.due_date}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Visit(models.Model):
    """One visit record, as the collector's device sent it (client UUID, versions read).

    ``state``: submitted → approved, or returned → (corrected) submitted → …; every review
    round is kept (``VisitReview``), and answers and corrections carry the round they
    belong to."""

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("completed")
        PARTIAL = "partial", _("partly completed")
        REFUSED = "refused", _("refused (拒访)")
        NOT_HOME = "not_home", _("nobody at home")
        MOVED_OUT = "moved_out", _("moved out")
        DISSOLVED = "dissolved", _("household dissolved")

    class RefusalReason(models.TextChoices):
        PRIVACY = "privacy", _("privacy concerns (隐私顾虑)")
        MISUNDERSTANDING = "misunderstanding", _("misunderstanding (认知偏差)")
        TIME = "time", _("no time (时间成本)")
        OTHER = "other", _("other")

    class Channel(models.TextChoices):
        APP = "app", _("phone app")
        PAPER = "paper", _("paper form")
        PHONE = "phone", _("telephone")
        SELF = "self", _("self-report")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for review")
        RETURNED = "returned", _("returned for correction")
        APPROVED = "approved", _("review passed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_uuid = models.UUIDField(_("client id"), unique=True)
    body_hash = models.CharField(max_length=64)
    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    task = models.ForeignKey(
        VisitTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.PROTECT,
        related_name="visits_collected",
    )
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("other visitors"), blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    refusal_reason = models.CharField(
        _("reason for refusal"), max_length=16, choices=RefusalReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    purpose = models.CharField(_("purpose"), max_length=40)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    notice_given = models.BooleanField(_("notice handed over (告知书)"), default=False)
    commitment_signed = models.BooleanField(_("privacy commitment signed (承诺书)"), default=False)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"))
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance from the building (m)"), null=True)
    location_flagged = models.BooleanField(_("far from the building"), default=False)
    versions_read = models.JSONField(default=dict)
    # Needs raised (需求): [{"category", "text"}]; when the review passes they become needs
    # of the needs list (lists.services.needs_from_visit).
    needs = models.JSONField(_("needs raised"), default=list, blank=True)
    raised_events = models.ManyToManyField("events.Event", blank=True, related_name="+")
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SUBMITTED
    )
    round = models.PositiveSmallIntegerField(_("review round"), default=1)
    submitted_at = models.DateTimeField(_("submitted"))
    reviewed_at = models.DateTimeField(_("first reviewed"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    spot_checked = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "visits"

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(
                fields=["scope_path"], name="visit_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["household", "ended_at"], name="visit_household_idx"),
            models.Index(fields=["state"], name="visit_state_idx"),
        ]

    def __str__(self) -> str:
        return str(self.uid)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def counts_as_visited(self) -> bool:
        return self.outcome in (self.Outcome.COMPLETED, self.Outcome.PARTIAL)


class VisitAnswer(models.Model):
    """The answer to one indicator in one review round. Sensitive answers are ciphertext."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    indicator_version = models.PositiveIntegerField()
    round = models.PositiveSmallIntegerField(default=1)
    value = models.JSONField(null=True, blank=True)
    value_encrypted = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "indicator", "round"], name="visit_answer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}:{self.indicator_id}"


class Correction(models.Model):
    """A change to the registry the visit proposes. It is applied through the people
    services (history, audit, optimistic version) only when the review passes; a change to
    a field someone else changed since the collector read the record waits in the conflict
    queue instead."""

    class Kind(models.TextChoices):
        UPDATE = "update", _("change a field")
        CONFIRM = "confirm", _("confirm unchanged")
        ARCHIVE = "archive", _("moved out or deceased")
        HOUSEHOLD = "household", _("household moved out or dissolved")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPLIED = "applied", _("applied")
        MERGED = "merged", _("applied after a non-overlapping change")
        CONFLICT = "conflict", _("conflict: to decide")
        KEPT_SERVER = "kept", _("conflict: registry value kept")
        SUPERSEDED = "superseded", _("replaced in a later round")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="corrections")
    round = models.PositiveSmallIntegerField(default=1)
    scope_path = models.CharField(max_length=255, editable=False)
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    field = models.CharField(_("field"), max_length=20, blank=True)
    value_encrypted = models.CharField(max_length=400, blank=True)
    value_masked = models.CharField(_("proposed value"), max_length=60, blank=True)
    base_version = models.PositiveIntegerField(null=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    server_value_masked = models.CharField(_("registry value"), max_length=60, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "visits"

    class Meta:
        verbose_name = _("registry correction")
        verbose_name_plural = _("registry corrections")

    def __str__(self) -> str:
        return f"{self.visit_id}:{self.kind}:{self.field}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class VisitReview(models.Model):
    """One review round (双人复核): passed, or returned with comments per field."""

    class Decision(models.TextChoices):
        PASS = "pass", _("passed")
        RETURN = "return", _("returned")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveSmallIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comments = models.JSONField(_("comments"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit", "round"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "round"], name="visit_review_round_unique")
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} r{self.round} {self.decision}"


class IndicatorFreshness(models.Model):
    """When each indicator of each household was last verified by an approved visit."""

    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    scope_path = models.CharField(max_length=255, editable=False)
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "indicator"], name="indicator_freshness_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id}:{self.indicator_id}"


class SpotCheckDraw(models.Model):
    """The random sample of one community for one period (抽查): reproducible from its
    stored seed, stratified so every collector is sampled."""

    community = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    scope_path = models.CharField(max_length=255, editable=False)
    period_label = models.CharField(_("period"), max_length=10)
    seed = models.CharField(max_length=64)
    rate = models.FloatField(_("rate"))
    policy_version = models.PositiveIntegerField(default=0)
    population = models.PositiveIntegerField(_("households visited"))
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "visits"

    class Meta:
        verbose_name = _("spot-check draw")
        verbose_name_plural = _("spot-check draws")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "period_label"], name="spot_check_draw_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.period_label}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class SpotCheck(models.Model):
    """One sampled visit, checked against reality field by field."""

    class Result(models.TextChoices):
        MATCH = "match", _("matches")
        MISMATCH = "mismatch", _("does not match")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    draw = models.ForeignKey(SpotCheckDraw, on_delete=models.CASCADE, related_name="checks")
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="spot_check")
    scope_path = models.CharField(max_length=255, editable=False)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    fields = models.JSONField(_("fields checked"), default=dict, blank=True)
    correction_task = models.ForeignKey(
        VisitTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "visits"

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")

    def __str__(self) -> str:
        return f"{self.visit_id} {self.result}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class VisitAttachment(models.Model):
    """A scan of the paper form (PDF, kept as sent) or a photo (re-encoded as JPEG without
    metadata) on a visit record; the file lies under ``DATA_DIR/visit_attachments`` and is
    served only through the scoped views. The uploaded file's name is not kept (it may
    name the household)."""

    class Kind(models.TextChoices):
        SCAN = "scan", _("paper form scan")
        PHOTO = "photo", _("photo")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="attachments")
    scope_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    content_type = models.CharField(max_length=40)
    stored_path = models.CharField(max_length=300)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    round = models.PositiveSmallIntegerField(_("review round"), default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "visits"

    class Meta:
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")
        ordering = ["visit", "created_at", "pk"]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="visit_attachment_scope_idx",
                opclasses=["varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return str(self.uid)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def extension(self) -> str:
        return "pdf" if self.content_type == "application/pdf" else "jpg"
