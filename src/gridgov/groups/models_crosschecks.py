"""The quarterly cross-check 季度复核 (「社区季度复核」, 双人复核): at each quarter's end a second
person — holding ``groups.approve`` in the group's area, never the one who saved the
reports being checked — confirms each of the quarter's monthly snapshots of a registered
group or records what does not match (which indicator, the value found, a note). One check
per group and quarter. A discrepancy is corrected by the reporter through the snapshot's
own versioned correction; the item keeps the version it checked, so a later version shows
the correction was made."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class CrossCheck(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.PROTECT, related_name="crosschecks")
    quarter = models.DateField(_("quarter"))  # its first day
    scope_path = models.CharField(max_length=255, editable=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_by_name = models.CharField(_("checked by"), max_length=150)
    checked_at = models.DateTimeField(_("checked"))
    # Checked after the window's last day (policy ``groups.crosscheck``).
    late = models.BooleanField(_("late"), default=False)
    # Months of the quarter without a report when it was checked.
    months_missing = models.PositiveSmallIntegerField(_("months without a report"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    policy_version = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("quarterly cross-check")
        verbose_name_plural = _("quarterly cross-checks")
        ordering = ["-quarter", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "quarter"], name="groups_crosscheck_once_a_quarter"
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_crosscheck_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["quarter"], name="groups_crosscheck_quarter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.quarter:%Y-%m}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def quarter_label(self) -> str:
        return f"{self.quarter.year}-Q{(self.quarter.month - 1) // 3 + 1}"


class CrossCheckItem(models.Model):
    """One snapshot of the quarter as checked: confirmed, or with its discrepancies."""

    crosscheck = models.ForeignKey(CrossCheck, on_delete=models.CASCADE, related_name="items")
    snapshot = models.ForeignKey(
        "groups.Snapshot", on_delete=models.PROTECT, related_name="crosscheck_items"
    )
    snapshot_version = models.PositiveIntegerField(_("version checked"))
    confirmed = models.BooleanField(_("confirmed"))

    class Meta:
        verbose_name = _("cross-checked snapshot")
        verbose_name_plural = _("cross-checked snapshots")
        ordering = ["snapshot__month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["crosscheck", "snapshot"], name="groups_crosscheck_item_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.crosscheck_id}: {self.snapshot_id}"


class CrossCheckDiscrepancy(models.Model):
    """An indicator whose value the checker found different (text masked)."""

    item = models.ForeignKey(CrossCheckItem, on_delete=models.CASCADE, related_name="discrepancies")
    indicator = models.CharField(_("indicator"), max_length=40)
    recorded = models.CharField(_("value reported"), max_length=50, blank=True)
    found = models.CharField(_("value found"), max_length=50)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("cross-check discrepancy")
        verbose_name_plural = _("cross-check discrepancies")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "indicator"], name="groups_crosscheck_discrepancy_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.indicator}"
