"""Emergency supplies 应急物资: stores at three tiers, batches, stock movements and checks.

A store carries the path of its org unit (``scope_path``) and is read through
``core.scoping`` under the ``operations`` permissions. Quantities live in the shared
double-entry ledger (``core/ledger.py``, ledger ``supplies``): each batch is a holder
account that can never go below zero; a movement or a check is the source record of one
ledger transaction. Movements and checks are never changed: a wrong one is answered by a
new movement.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import LedgerAccount, LedgerTransaction
from gridgov.core.scoping import ScopedQuerySet


class StoreQuerySet(ScopedQuerySet):
    def visible_to(self, actor, action: str = "view"):
        """The subtree scope; for reading, also the stores kept by the units above the
        actor's (a grid worker reads the store of the community). Writes stay within."""
        inside = super().visible_to(actor, action)
        if action != "view" or not getattr(actor, "is_authenticated", False):
            return inside
        above: set[str] = set()
        for path in actor.scope_paths("operations.view"):
            codes = [c for c in path.split("/") if c]
            above |= {"/".join(codes[:i]) + "/" for i in range(1, len(codes))}
        if not above:
            return inside
        return self.filter(Q(pk__in=inside.values("pk")) | Q(scope_path__in=sorted(above)))


class Store(models.Model):
    """A store of emergency supplies (社区储备 / 街道周转库 / 区级储备中心)."""

    class Tier(models.TextChoices):
        COMMUNITY = "community", _("community reserve (社区储备)")
        STREET = "street", _("street turnover store (街道周转库)")
        DISTRICT = "district", _("district reserve centre (区级储备中心)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    org_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("org unit")
    )
    scope_path = models.CharField(max_length=255, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    keeper_name = models.CharField(_("responsible person"), max_length=50)
    keeper_phone_encrypted = models.CharField(max_length=200, blank=True)
    keeper_phone_masked = models.CharField(
        _("responsible person's phone"), max_length=30, blank=True
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoreQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("supply store")
        verbose_name_plural = _("supply stores")
        ordering = ["scope_path", "name"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="store_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """A batch of one category in one store. Its quantity is its ledger account's balance."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="batches")
    category = models.CharField(_("category"), max_length=20)
    produced_on = models.DateField(_("produced on"))
    expires_on = models.DateField(_("expires on"))
    source = models.CharField(_("source"), max_length=100, blank=True)
    # The batch it was moved from (a transfer makes a batch of the same dates elsewhere).
    origin = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supply batch")
        verbose_name_plural = _("supply batches")
        ordering = ["expires_on", "pk"]
        indexes = [models.Index(fields=["store", "category"], name="batch_store_cat")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("produced_on")),
                name="batch_expires_after_produced",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.expires_on}"


class StockMovement(models.Model):
    """One movement of stock: the source record of one ledger transaction."""

    class Kind(models.TextChoices):
        RECEIPT = "in", _("received (入库)")
        ISSUE = "out", _("issued (出库)")
        TRANSFER = "transfer", _("transfer (调拨)")
        LOSS = "loss", _("loss (损耗)")
        DISPOSAL = "disposal", _("expired disposal (过期处置)")
        CHECK = "check", _("stock check difference (盘点差异)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("movement"), max_length=10, choices=Kind.choices)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="movements")
    to_store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=20)
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.category} {self.quantity}"


class StockCheck(models.Model):
    """A stock check 盘点 of one store: counted against book per batch."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="checks")
    checked_on = models.DateField(_("checked on"))
    reason = models.CharField(_("reason for differences"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock check")
        verbose_name_plural = _("stock checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.store_id} {self.checked_on}"


class StockCheckLine(models.Model):
    check_record = models.ForeignKey(StockCheck, on_delete=models.PROTECT, related_name="lines")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="+")
    book = models.IntegerField(_("book quantity"))
    counted = models.PositiveIntegerField(_("counted"))
    movement = models.OneToOneField(
        StockMovement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.batch_id} {self.book}→{self.counted}"

    @property
    def difference(self) -> int:
        return self.counted - self.book


class DispatchQuerySet(ScopedQuerySet):
    def visible_to(self, actor, action: str = "view"):
        """Dispatches whose sending or receiving store the actor may act on."""
        stores = Store.objects.visible_to(actor, action)
        return self.filter(Q(from_store__in=stores) | Q(to_store__in=stores))


class Dispatch(models.Model):
    """A transfer sent for a shortage or an emergency event, with its arrival target
    (``target_minutes``, the policy's dispatch target when sent) met or missed on receipt."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    from_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("from store")
    )
    to_store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("to store")
    )
    category = models.CharField(_("category"), max_length=20)
    quantity = models.PositiveIntegerField(_("quantity"))
    distance_m = models.PositiveIntegerField(_("straight-line distance (m)"))
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    movement = models.OneToOneField(StockMovement, on_delete=models.PROTECT, related_name="+")
    target_minutes = models.PositiveIntegerField(_("target minutes"))
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    met_target = models.BooleanField(_("within the target"), null=True)
    version = models.PositiveIntegerField(default=1)

    objects = DispatchQuerySet.as_manager()
    scope_path_field = "to_store__scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("supply dispatch")
        verbose_name_plural = _("supply dispatches")
        ordering = ["-dispatched_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.category} {self.quantity} → {self.to_store_id}"

    @property
    def minutes_taken(self) -> int | None:
        if self.received_at is None:
            return None
        return int((self.received_at - self.dispatched_at).total_seconds() // 60)


from gridgov.operations.models_catalogue import (  # noqa: E402
    ServiceDay,
    ServiceItem,
    ServiceModel,
)
from gridgov.operations.models_devices import Device, DeviceAlarm, RepairTicket  # noqa: E402
from gridgov.operations.models_facilities import (  # noqa: E402
    AdjustmentTask,
    Facility,
    FacilitySpace,
    SpaceUse,
)
from gridgov.operations.models_workforce import (  # noqa: E402
    Certificate,
    TrainingRecord,
    WorkerProfile,
)

__all__ = [
    "AdjustmentTask",
    "Batch",
    "Certificate",
    "Device",
    "DeviceAlarm",
    "Dispatch",
    "Facility",
    "FacilitySpace",
    "RepairTicket",
    "ServiceDay",
    "ServiceItem",
    "ServiceModel",
    "SpaceUse",
    "StockCheck",
    "StockCheckLine",
    "StockMovement",
    "TrainingRecord",
    "WorkerProfile",
    "Store",
]
