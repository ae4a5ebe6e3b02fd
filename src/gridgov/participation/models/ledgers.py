"""The points' redemption catalogue and orders (the balances themselves are accounts of the
shared ledger, ``core/ledger.py``: ledgers ``points`` and ``timebank``)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class CatalogueItem(models.Model):
    """An item or service residents redeem points for (积分兑换), supplied by a resource of
    the three lists. Stock is kept on the row, changed only under its row lock."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    resource = models.ForeignKey(
        "lists.Resource",
        verbose_name=_("supplied by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    price = models.PositiveIntegerField(_("price (points)"))
    stock = models.PositiveIntegerField(_("stock"))
    active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["price", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="catalogue_stock_gte_0")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Redemption(models.Model):
    """A resident's redemption order: placed (points taken, stock held) → picked up with
    the code, or cancelled / expired (points given back by a reversing entry, stock back)."""

    class State(models.TextChoices):
        PLACED = "placed", _("awaiting pick-up (待领取)")
        PICKED_UP = "picked_up", _("picked up (已领取)")
        CANCELLED = "cancelled", _("cancelled (已取消)")
        EXPIRED = "expired", _("expired (已过期)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(
        CatalogueItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="orders"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    points = models.PositiveIntegerField(_("points"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLACED)
    # SHA-256 of the pick-up code; the code itself is shown once to the resident.
    code_digest = models.CharField(max_length=64)
    placed_at = models.DateTimeField(_("placed"))
    expires_at = models.DateTimeField(_("collect by"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    transaction = models.OneToOneField(
        "core.LedgerTransaction", on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["state", "expires_at"], name="redemption_due_idx")]

    def __str__(self) -> str:
        return f"{self.item_id}×{self.resident_id}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class PendingCredit(models.Model):
    """An act whose earning rule needs approval, recorded when it happens and credited only
    when staff approve it (or declined with the reason). One per (action, source record)."""

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting approval (待审核)")
        APPROVED = "approved", _("approved (已入账)")
        DECLINED = "declined", _("declined (不予入账)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    action = models.CharField(_("act"), max_length=40)
    # The source record as ``app_label.model:pk`` (what the credit will name).
    source = models.CharField(max_length=120)
    units = models.DecimalField(_("units"), max_digits=8, decimal_places=2, default=1)
    occurred_at = models.DateTimeField(_("when"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    points = models.IntegerField(_("points"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("credit awaiting approval")
        verbose_name_plural = _("credits awaiting approval")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "source"], name="pending_credit_once")
        ]
        indexes = [models.Index(fields=["state", "scope_path"], name="pending_credit_queue_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.source}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path
