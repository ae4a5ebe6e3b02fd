"""Smart devices 智能设备: the registry over the events app's signed device sources, repair
tickets with their clock, and the alarm log with each alarm's verdict.

A device carries the path of its grid (``scope_path``) and is read through
``core.scoping`` under the ``operations`` permissions. Heartbeats are not stored one by one
(10,000 devices beating every 5 minutes would be 2.9 million rows a day): each moves the
device's ``last_seen_at`` and the moment it will count as offline (``offline_after``), so
the offline scan is one indexed range query.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Device(models.Model):
    class Status(models.TextChoices):
        ONLINE = "online", _("online (在线)")
        OFFLINE = "offline", _("offline (离线)")
        FAULT = "fault", _("faulty (故障)")
        REPAIRING = "repairing", _("under repair (维修中)")
        DISABLED = "disabled", _("disabled (停用)")
        SCRAPPED = "scrapped", _("scrapped (报废)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The signed webhook's credentials and the category its alarms open (events app).
    source = models.OneToOneField(
        "events.DeviceSource", on_delete=models.PROTECT, related_name="registry"
    )
    kind = models.CharField(_("device type"), max_length=20)
    model_name = models.CharField(_("model"), max_length=60, blank=True)
    spec = models.CharField(_("specification"), max_length=100, blank=True)
    grid = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("grid")
    )
    building = models.ForeignKey(
        "org.Building",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("building"),
    )
    scope_path = models.CharField(max_length=255, editable=False)
    installer = models.CharField(_("installer"), max_length=100)
    installed_on = models.DateField(_("installed on"))
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    replace_due_on = models.DateField(_("replacement due"))
    keeper_name = models.CharField(_("responsible person"), max_length=50)
    keeper_phone_encrypted = models.CharField(max_length=200, blank=True)
    keeper_phone_masked = models.CharField(
        _("responsible person's phone"), max_length=30, blank=True
    )
    sampling_minutes = models.PositiveSmallIntegerField(_("heartbeat interval (minutes)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE
    )
    status_changed_at = models.DateTimeField()
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    # An online device that is not heard from by then goes offline (the scan's index).
    offline_after = models.DateTimeField(null=True, blank=True)
    # Taken out of service (disabled or scrapped); cleared when it is enabled again.
    retired_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("smart device")
        verbose_name_plural = _("smart devices")
        ordering = ["scope_path", "pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="device_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["offline_after"],
                name="device_online_due_idx",
                condition=Q(status="online"),
            ),
        ]

    def __str__(self) -> str:
        return self.source.code if self.source_id else str(self.uid)

    # The shared state machine (core/workflow.py) reads ``state``.
    @property
    def state(self) -> str:
        return self.status

    def get_state_display(self) -> str:
        return self.get_status_display()


class RepairTicket(models.Model):
    """A device out of order: opened by the offline scan, a device's own fault report or
    staff, with the repair clock of the devices policy; closed when it is fixed (or when
    the device comes back online by itself, for an offline ticket)."""

    class State(models.TextChoices):
        OPEN = "open", _("waiting for repair (待维修)")
        REPAIRING = "repairing", _("under repair (维修中)")
        FIXED = "fixed", _("fixed (已修复)")
        CANCELLED = "cancelled", _("closed without repair (已关闭)")

    class Cause(models.TextChoices):
        OFFLINE = "offline", _("went offline")
        FAULT = "fault", _("the device reported a fault")
        REPORTED = "reported", _("reported by staff")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="tickets")
    scope_path = models.CharField(max_length=255, editable=False)
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    due_at = models.DateTimeField(_("repair due"))
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_note = models.CharField(_("note"), max_length=300, blank=True)
    overdue_notified = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("repair ticket")
        verbose_name_plural = _("repair tickets")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="ticket_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(state__in=["open", "repairing"]),
                name="one_open_ticket_per_device",
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.cause} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.OPEN, self.State.REPAIRING)

    @property
    def repair_hours(self) -> float | None:
        if self.state != self.State.FIXED or self.closed_at is None:
            return None
        return round((self.closed_at - self.opened_at).total_seconds() / 3600, 1)


class DeviceAlarm(models.Model):
    """An alarm a device raised, the event it opened, and the handler's verdict (true or
    false alarm) that the accuracy KPI counts."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="alarms")
    scope_path = models.CharField(max_length=255, editable=False)
    event = models.OneToOneField("events.Event", on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"), db_index=True)
    is_true = models.BooleanField(_("true alarm"), null=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("device alarm")
        verbose_name_plural = _("device alarms")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="alarm_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.received_at}"
