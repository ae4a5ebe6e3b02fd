"""The treatments of the four classes besides rectification (docs/groups.md, *Treatments*):
a 潜力提升群 paired with a mentor group, a 高效能群 whose admin coaches it (「结对帮扶」), and a
功能重构群's split-or-merge task, done when the new groups are registered as formed from it
(「拆分合并」)."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Pairing(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("in progress (帮扶中)")
        ENDED = "ended", _("ended (已结束)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mentee = models.ForeignKey(
        "groups.Group",
        verbose_name=_("group coached"),
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    mentor = models.ForeignKey(
        "groups.Group",
        verbose_name=_("mentor group"),
        on_delete=models.PROTECT,
        related_name="mentoring",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.ACTIVE)
    started_on = models.DateField(_("started"))
    class_at_start = models.CharField(_("class at start"), max_length=12)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    created_by_name = models.CharField(_("paired by"), max_length=150)
    ended_by_name = models.CharField(max_length=150, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("mentor pairing")
        verbose_name_plural = _("mentor pairings")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentee"], condition=Q(state="active"), name="groups_pairing_one_active"
            ),
            models.CheckConstraint(
                condition=~Q(mentee=F("mentor")), name="groups_pairing_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} ← {self.mentor_id}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class RestructureTask(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("to split or merge (待拆分合并)")
        DONE = "done", _("done (已完成)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(
        "groups.Group", on_delete=models.PROTECT, related_name="restructure_tasks"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    snapshot = models.ForeignKey(
        "groups.Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    due_on = models.DateField(_("due"))
    opened_at = models.DateTimeField(_("opened"))
    opened_by_name = models.CharField(_("opened by"), max_length=150)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by_name = models.CharField(max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "groups"

    class Meta:
        verbose_name = _("split-or-merge task")
        verbose_name_plural = _("split-or-merge tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group"], condition=Q(state="open"), name="groups_restructure_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.due_on}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path
