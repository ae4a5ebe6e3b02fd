from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """One version of one policy; the highest version of a key is in force.

    Versions are never edited: a change adds a version, so every score and deadline
    can name the exact policy version that produced it.
    """

    key = models.CharField(_("policy"), max_length=100)
    version = models.PositiveIntegerField(_("version"))
    value = models.JSONField(_("value"))
    note = models.CharField(_("reason for change"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="policy_key_version_unique")
        ]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class RateCounter(models.Model):
    """Hits of one key in one fixed time window, shared by every app process
    (``core/ratelimit.py``; used when the shared cache is not Redis)."""

    key = models.CharField(max_length=200)
    # The window's number: seconds since the epoch // window length.
    window = models.BigIntegerField()
    count = models.PositiveBigIntegerField(default=0)
    # Seconds since the epoch after which the row no longer counts for any window.
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="rate_counter_key_window")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"


class Notification(models.Model):
    """A notice in a staff member's in-app inbox. Any app posts one about its own records
    through ``core/notifications.py``; the subject is kept as plain values (type, public id,
    link) so the inbox needs to know no app."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20)
    message = models.CharField(max_length=300)
    # "app_label.model" and the record's public id (its uid where it has one).
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    link = models.CharField(max_length=200, blank=True)
    # One notice per (recipient, key): a repeated scan or a retried task adds nothing.
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="core_notification_dedupe"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="core_notification_inbox"),
            models.Index(fields=["subject_type", "subject_id"], name="core_notification_subject"),
        ]

    def __str__(self) -> str:
        return self.message
