"""Residents' feedback on their chat groups (「居民反馈直通车」): a monthly rating of each
group serving their compound — the residents' satisfaction the 高效能群 threshold needs —
and suggestions 「盘点建议」, of which staff pick the month's 金点子."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class GroupRating(models.Model):
    """One resident's rating of one group for one month (changed, not added, when given
    again the same month)."""

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="ratings")
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    rated_at = models.DateTimeField(_("rated"), auto_now=True)

    class Meta:
        verbose_name = _("group rating")
        verbose_name_plural = _("group ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "resident", "month"], name="groups_rating_once_a_month"
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="groups_rating_stars"
            ),
        ]
        indexes = [models.Index(fields=["group", "month"], name="groups_rating_month_idx")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.month:%Y-%m}: {self.stars}"


class Suggestion(models.Model):
    """A resident's suggestion for a group 「盘点建议」 (phone and ID numbers masked)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="suggestions")
    resident = models.ForeignKey(
        "people.Resident", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    month = models.DateField(_("month"))
    text = models.CharField(_("suggestion"), max_length=300)
    golden = models.BooleanField(_("金点子"), default=False)
    picked_by_name = models.CharField(_("picked by"), max_length=150, blank=True)
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="groups_suggestion_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["month", "golden"], name="groups_suggestion_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.month:%Y-%m}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path
