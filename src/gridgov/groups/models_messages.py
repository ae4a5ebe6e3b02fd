"""Chat exports and early warning 「群健康度评估」 (docs/groups.md, *Chat exports and warnings*).

An admin may upload a group's chat export (the only lawful path: GridGov never crawls a
platform), and only once the group's consent notice is recorded. The export file is kept
encrypted for the retention window of the ``groups.messages`` policy and then deleted;
what stays is one row per message without its text (time, a keyed hash of the sender,
a keyed digest for de-duplication, whether it asked something, its keyword hits), the
day's keyword counts per topic with a few masked excerpts, and the import's figures
(activity, messages per day, first-reply time). On PostgreSQL the message table is
partitioned by month, so old months are dropped whole.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class ExportConsent(models.Model):
    """How the group's members were told that its exports are read (e.g. the 群公告 of a
    date). Exports are refused without one in force; withdrawing stops further uploads."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(
        "groups.Group", on_delete=models.PROTECT, related_name="export_consents"
    )
    notice = models.CharField(_("consent notice"), max_length=300)
    noticed_on = models.DateField(_("members told on"))
    recorded_by_name = models.CharField(_("recorded by"), max_length=150)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("export consent")
        verbose_name_plural = _("export consents")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(withdrawn_at__isnull=True),
                name="groups_consent_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.noticed_on}"


class ChatImport(models.Model):
    """One uploaded chat export and what was computed from it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.PROTECT, related_name="imports")
    scope_path = models.CharField(max_length=255, editable=False)
    file_format = models.CharField(_("format"), max_length=16)
    encoding = models.CharField(_("encoding"), max_length=12)
    # The encrypted export, until the retention window ends ("" once deleted).
    stored_path = models.CharField(max_length=500, blank=True, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    first_at = models.DateTimeField(_("first message"), null=True)
    last_at = models.DateTimeField(_("last message"), null=True)
    messages_read = models.PositiveIntegerField(_("messages in the file"), default=0)
    messages_new = models.PositiveIntegerField(_("messages not seen before"), default=0)
    posters_30d = models.PositiveIntegerField(_("members who posted in 30 days"), default=0)
    activity_pct = models.FloatField(_("activity (%)"), null=True)
    messages_per_day = models.FloatField(_("messages per day"), null=True)
    questions = models.PositiveIntegerField(_("residents' questions"), default=0)
    answered = models.PositiveIntegerField(_("questions answered"), default=0)
    response_hours = models.FloatField(_("median hours to the first reply"), null=True)
    hits = models.PositiveIntegerField(_("keyword hits"), default=0)
    warnings = models.PositiveIntegerField(_("warnings raised"), default=0)
    imported_by_name = models.CharField(_("uploaded by"), max_length=150)
    imported_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    text_deleted_at = models.DateTimeField(_("export file deleted"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("chat export")
        verbose_name_plural = _("chat exports")
        ordering = ["-imported_at", "-id"]
        constraints = [
            # The same file twice would count nothing new: refused with its own message.
            models.UniqueConstraint(fields=["group", "sha256"], name="groups_import_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.imported_at:%Y-%m-%d}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class ChatMessage(models.Model):
    """One message without its text. On PostgreSQL the table is partitioned by the month
    of ``sent_at`` (migration 0005), its primary key (id, sent_at); nothing refers to it."""

    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey("groups.Group", on_delete=models.DO_NOTHING, related_name="+")
    chat_import = models.ForeignKey(ChatImport, on_delete=models.DO_NOTHING, related_name="+")
    sent_at = models.DateTimeField()
    # HMAC-SM3 of the sender's display name within the group: distinct posters, no names.
    sender = models.CharField(max_length=32)
    # Keyed digest of (time, sender, text): the same message in a later export is skipped.
    digest = models.CharField(max_length=32)
    is_question = models.BooleanField(default=False)
    hits = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "digest", "sent_at"], name="groups_message_once"
            ),
        ]
        indexes = [models.Index(fields=["group", "sent_at"], name="groups_message_group_idx")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.sent_at:%Y-%m-%d %H:%M}"


class KeywordDay(models.Model):
    """A group's keyword hits of one topic on one day (Asia/Shanghai), from exports and
    admins' reports: the baseline of the spike rule. Excerpts are masked, then encrypted."""

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    scope_path = models.CharField(max_length=255, editable=False)
    topic = models.CharField(max_length=32)
    day = models.DateField()
    hits = models.PositiveIntegerField(default=0)
    terms = models.JSONField(default=dict)  # {term: count}
    excerpts = models.TextField(blank=True)  # encrypted JSON list of masked excerpts

    class Meta:
        verbose_name = _("keyword hits of a day")
        verbose_name_plural = _("keyword hits of a day")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "topic", "day"], name="groups_keywordday_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.topic} {self.day}: {self.hits}"


class EarlyWarning(models.Model):
    """An early warning: a topic's hits on a day spiked against the group's own baseline.
    Pushed to the grid worker and the group's admins; staff mark it true or a false alarm
    (precision is reported) and may turn it into a grid event with one action."""

    class State(models.TextChoices):
        OPEN = "open", _("to check (待核实)")
        CONFIRMED = "confirmed", _("confirmed (属实)")
        FALSE_ALARM = "false_alarm", _("false alarm (误报)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.PROTECT, related_name="warnings")
    scope_path = models.CharField(max_length=255, editable=False)
    topic = models.CharField(_("topic"), max_length=32)
    topic_name = models.CharField(_("topic"), max_length=60)
    day = models.DateField(_("day"))
    window_start = models.DateField(_("baseline from"))
    hits = models.PositiveIntegerField(_("hits"))
    baseline = models.FloatField(_("daily mean before"))
    terms = models.JSONField(_("terms"), default=dict)
    rule = models.CharField(_("rule"), max_length=300)
    policy_version = models.PositiveIntegerField(default=0)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    decided_by_name = models.CharField(_("checked by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("checked"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "topic", "day"], name="groups_warning_once_a_day"
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_warning_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["state", "day"], name="groups_warning_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.topic} {self.day}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("groups:warning_detail", args=[self.uid])

    @property
    def audit_org_path(self) -> str:
        return self.scope_path
