from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """One append-only entry of the legal record.

    Records form hash chains (one chain per district, plus ``platform`` for actions
    outside any district and ``root`` for anchors): ``hash = SM3(prev_hash ‖ canonical
    content)``. On PostgreSQL and SQLite a trigger refuses UPDATE, and DELETE of records
    younger than the 180-day legal minimum.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAIL = "fail", _("failure")

    chain = models.CharField(_("chain"), max_length=32)
    seq = models.BigIntegerField(_("sequence"))
    created_at = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=150)
    actor_role = models.CharField(_("role"), max_length=100, blank=True)
    org_unit_path = models.CharField(_("org unit"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=80)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    target_type = models.CharField(_("target type"), max_length=80, blank=True)
    target_id = models.CharField(_("target id"), max_length=80, blank=True)
    changes = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    batch_id = models.CharField(_("batch id"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")
        ]
        indexes = [
            models.Index(fields=["created_at"], name="audit_created_idx"),
            models.Index(fields=["actor_id", "created_at"], name="audit_actor_idx"),
            models.Index(fields=["action", "created_at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The last record of each chain; its row lock serialises appends to one chain only.

    It also lets the verifier notice records deleted from the end of a chain.
    """

    chain = models.CharField(max_length=32, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} head #{self.seq}"


class AuditAnchor(models.Model):
    """Where a chain starts after a retention purge: the last purged record's seq and hash."""

    chain = models.CharField(max_length=32, primary_key=True)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    purged_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.chain} anchor #{self.seq}"
