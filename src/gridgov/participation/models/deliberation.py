"""Deliberation 议事 around a topic: residents' proposals 提案 with their co-signatures 附议,
the discussion's comments (moderated, removals on the public record), the decision 决议
with its report-back 反馈, and the record of who was told of a topic's meeting."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Proposal(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft (草稿)")
        SUBMITTED = "submitted", _("submitted (已提交)")
        SECONDED = "seconded", _("co-signed (已附议)")
        INCLUDED = "included", _("taken into a topic (纳入议题)")
        DECLINED = "declined", _("not adopted (不予采纳)")
        ADOPTED = "adopted", _("adopted (已采纳)")
        IMPLEMENTED = "implemented", _("implemented (已落实)")

    # Proposals that count as decided (居民意见采纳率's denominator) once ``decided_at`` is set.
    ADOPTED_STATES = (State.ADOPTED, State.IMPLEMENTED)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("community or grid"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    topic = models.ForeignKey(
        "participation.Topic",
        verbose_name=_("topic"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
    )
    author = models.ForeignKey(
        "people.Resident", on_delete=models.PROTECT, related_name="proposals"
    )
    # 代办: staff entered it on the resident's behalf.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(_("entered on the resident's behalf (代办)"), default=False)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("proposal"), max_length=4000)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.SUBMITTED
    )
    cosign_count = models.PositiveIntegerField(default=0)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=500, blank=True)
    hidden_by_name = models.CharField(max_length=150, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="pa_proposal_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["decided_at"], name="pa_proposal_decided_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.scope_path = self.org_unit.path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class CoSignature(models.Model):
    """附议: one per resident and proposal (the database refuses a second)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="cosignatures")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "resident"], name="cosign_once"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} ← {self.resident_id}"


class Comment(models.Model):
    """A resident's word in a topic's discussion. A removed comment keeps its place on the
    public record with the moderator's reason; its text is never shown again."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.ForeignKey(
        "participation.Topic", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=2000)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(_("reason for removal"), max_length=300, blank=True)
    removed_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.pk}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("adopted")
        CHANGED = "changed", _("adopted with changes")
        NOT_ADOPTED = "not_adopted", _("not adopted")

    class Implementation(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    ADOPTING = (Outcome.ADOPTED, Outcome.CHANGED)

    topic = models.OneToOneField(
        "participation.Topic", on_delete=models.CASCADE, related_name="decision"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    summary = models.TextField(_("decision"), max_length=4000, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    project = models.ForeignKey(
        "lists.Project",
        verbose_name=_("project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    implementation = models.CharField(
        _("implementation"),
        max_length=12,
        choices=Implementation.choices,
        default=Implementation.NOT_STARTED,
    )
    report_due = models.DateField(_("report-back due"))
    report_text = models.TextField(_("report-back"), max_length=4000, blank=True)
    reported_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    decided_at = models.DateTimeField()
    decided_by_name = models.CharField(max_length=150)

    class Meta:
        indexes = [models.Index(fields=["decided_at"], name="decision_decided_idx")]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.outcome}"

    @property
    def adopting(self) -> bool:
        return self.outcome in self.ADOPTING


class TopicNotice(models.Model):
    """A resident told of a topic's meeting: once per resident and topic."""

    topic = models.ForeignKey(
        "participation.Topic", on_delete=models.CASCADE, related_name="notices"
    )
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "resident"], name="topic_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} → {self.resident_id}"


class TopicDocument(models.Model):
    """A document of the topic (the plan, a drawing, the meeting's minutes): a PDF kept as
    sent or a photo re-encoded without metadata, under ``DATA_DIR/topic_documents``,
    encrypted at rest and served only through the scoped views (``core.attachments``). The
    uploaded file's name is not kept."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.ForeignKey(
        "participation.Topic", on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("document title"), max_length=120)
    kind = models.CharField(max_length=8)  # "pdf" or "image"
    content_type = models.CharField(max_length=40)
    stored_path = models.CharField(max_length=300)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    uploaded_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title
