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


class Ledger(models.Model):
    """One append-only double-entry ledger (``core/ledger.py``): the points, the time bank,
    later the emergency-supply stock. ``places`` is its precision (0: whole units)."""

    code = models.CharField(max_length=40, unique=True)
    places = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return self.code


class LedgerAccount(models.Model):
    """An account of a ledger: its owner as a plain key (``"people.resident"`` and the
    record's id, or a system name), its kind, and its balance kept in step with its entries."""

    class Kind(models.TextChoices):
        HOLDER = "holder", _("holder")
        ISSUER = "issuer", _("issuer")
        SINK = "sink", _("redemption sink")
        RESERVE = "reserve", _("reserve")

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="accounts")
    owner_type = models.CharField(max_length=60)
    owner_id = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Whether the balance may go below zero (issuers do; holders never).
    allow_negative = models.BooleanField(default=False)
    # The org unit whose staff may read the account (a holder's community or grid).
    scope_path = models.CharField(max_length=255, blank=True)
    balance = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ledger", "owner_type", "owner_id", "kind"], name="ledger_account_owner"
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="ledger_acct_scope", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.ledger_id}:{self.owner_type}:{self.owner_id}:{self.kind}"


class LedgerTransaction(models.Model):
    """A set of entries summing to zero. ``source_key`` names the record that justifies it;
    (ledger, action, source_key) is unique, so one source is credited once. A correction is
    a new transaction mirroring the original (``reversal_of``), with a reason and approver."""

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="transactions")
    action = models.CharField(max_length=40)
    source_key = models.CharField(max_length=120)
    reason = models.CharField(max_length=300, blank=True)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    # When the act happened (the source's date); ``created_at`` is when it was written.
    occurred_at = models.DateTimeField(db_index=True)
    # Earned units lapse after this (points); null: never.
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ledger", "action", "source_key"], name="ledger_txn_source_once"
            )
        ]
        indexes = [models.Index(fields=["ledger", "action", "occurred_at"], name="ledger_txn_kind")]

    def __str__(self) -> str:
        return f"{self.ledger_id}:{self.action}:{self.source_key}"


class LedgerEntry(models.Model):
    """One leg of a transaction. Never updated or deleted (a database trigger refuses it)."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_entry_account")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"
