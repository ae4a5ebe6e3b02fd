"""Service facilities 服务设施: facilities at a point, their spaces with opening hours (or
the bookable resource of the three lists they are booked through), walk-in use entered by
staff, and the 功能调整 task a space gets when it stands idle too much of a month.

A facility carries the path of the grid holding its point (or of its community, when the
point lies outside every grid) and is read through ``core.scoping`` under the
``operations`` permissions; its spaces, uses and tasks are reached through it."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Facility(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("facility type"), max_length=20)
    grid = models.ForeignKey(
        "org.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("grid"),
    )
    community = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    scope_path = models.CharField(max_length=255, editable=False)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    owner_department = models.CharField(_("owner department"), max_length=100)
    shared_with = models.CharField(_("shared with"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("service facility")
        verbose_name_plural = _("service facilities")
        ordering = ["scope_path", "name"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="facility_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.name


class FacilitySpace(models.Model):
    """A room or area of a facility. Its opening hours are its own weekly ``schedule``
    ({"0": [["08:30", "11:30"], …]}, 0 = Monday), or, when it is booked through the three
    lists (``bookable``), that resource's."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="spaces")
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity (people)"))
    schedule = models.JSONField(_("opening hours"), default=dict, blank=True)
    bookable = models.OneToOneField(
        "lists.BookableSpace",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facility_space",
        verbose_name=_("booked as"),
    )
    equipment = models.CharField(_("equipment"), max_length=300, blank=True)
    # Use and utilisation count from this day (a room registered after it opened gives it).
    opened_on = models.DateField(_("in use since"))
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facility space")
        verbose_name_plural = _("facility spaces")
        ordering = ["facility", "name"]

    def __str__(self) -> str:
        return self.name


class SpaceUse(models.Model):
    """Walk-in use of a space on a day (activities without a booking), entered by staff."""

    space = models.ForeignKey(FacilitySpace, on_delete=models.PROTECT, related_name="uses")
    used_on = models.DateField(_("day"), db_index=True)
    hours = models.DecimalField(_("hours used"), max_digits=4, decimal_places=1)
    attendees = models.PositiveIntegerField(_("attendees"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("walk-in use")
        verbose_name_plural = _("walk-in uses")
        ordering = ["-used_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="space_use_hours_positive")
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.used_on} {self.hours}"


class AdjustmentTask(models.Model):
    """功能调整: a space idle above the policy's share of its open hours in a month."""

    class State(models.TextChoices):
        OPEN = "open", _("to adjust (待调整)")
        DONE = "done", _("adjusted (已调整)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    space = models.ForeignKey(FacilitySpace, on_delete=models.PROTECT, related_name="tasks")
    scope_path = models.CharField(max_length=255, editable=False)
    month = models.DateField(_("month"))
    idle = models.FloatField(_("idle share"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    note = models.CharField(_("what was changed"), max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("function-adjustment task")
        verbose_name_plural = _("function-adjustment tasks")
        ordering = ["-month", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["space", "month"], name="one_adjustment_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.month}"
