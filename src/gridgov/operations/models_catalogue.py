"""The "网格+X" service models and the grid service catalogue: a model (网格+物业, 网格+养老 …)
kept by a street or community, offered in some of its grids, delivered by providers of the
three lists' resource pool, with its service items (fees, target groups); and the monthly
网格服务日 with its attendance. A grid's catalogue ("我的网格能做什么") is the items of the
models running in it.

A model carries the path of the unit that keeps it (``scope_path``) and is read through
``core.scoping`` under the ``operations`` permissions; a service day carries its grid's."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class ServiceModelQuerySet(ScopedQuerySet):
    def visible_to(self, actor, action: str = "view"):
        """The subtree scope; for reading, also the models offered in a grid of the actor's
        area (a grid worker reads the community's models that run in their grid)."""
        from gridgov.core.scoping import path_filter

        inside = super().visible_to(actor, action)
        if action != "view" or not getattr(actor, "is_authenticated", False):
            return inside
        offered = path_filter(actor, "operations.view", field="grids__path")
        if offered is None:
            return inside
        return self.filter(
            Q(pk__in=inside.values("pk"))
            | Q(pk__in=ServiceModel.objects.filter(offered).values("pk"))
        )


class ServiceModel(models.Model):
    class Type(models.TextChoices):
        BASIC = "basic", _("basic function (基础职能)")
        FEATURED = "featured", _("signature service (特色服务)")
        VALUE_ADDED = "value_added", _("value-added service (增值服务)")

    class Status(models.TextChoices):
        PILOT = "pilot", _("pilot (试点)")
        ACTIVE = "active", _("running (运行)")
        ENDED = "ended", _("ended (停止)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("model kind"), max_length=20)
    service_type = models.CharField(_("service type"), max_length=12, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PILOT
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    owner = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("kept by")
    )
    scope_path = models.CharField(max_length=255, editable=False)
    grids = models.ManyToManyField("org.OrgUnit", related_name="+", verbose_name=_("grids"))
    providers = models.ManyToManyField(
        "lists.Resource", blank=True, related_name="+", verbose_name=_("providers")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ServiceModelQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("grid service model")
        verbose_name_plural = _("grid service models")
        ordering = ["scope_path", "name"]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="servicemodel_scope_idx",
                opclasses=["varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service_model = models.ForeignKey(ServiceModel, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("name"), max_length=100)
    fee_yuan = models.DecimalField(_("fee (yuan)"), max_digits=8, decimal_places=2, default=0)
    fee_note = models.CharField(_("fee per"), max_length=50, blank=True)
    target_groups = models.CharField(_("for whom"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["service_model", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_yuan__gte=0), name="service_item_fee_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceDay(models.Model):
    """A 网格服务日 / 网格开放日 held in a grid, with its attendance."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grid = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("grid")
    )
    scope_path = models.CharField(max_length=255, editable=False)
    held_on = models.DateField(_("held on"), db_index=True)
    title = models.CharField(_("title"), max_length=100)
    attendance = models.PositiveIntegerField(_("attendance"))
    service_model = models.ForeignKey(
        ServiceModel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="days",
        verbose_name=_("service model"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "operations"

    class Meta:
        verbose_name = _("grid service day")
        verbose_name_plural = _("grid service days")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.held_on}"
