from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class OrgUnit(models.Model):
    """A node of the administrative hierarchy, down to the grid.

    ``path`` is the materialised path of codes (``31/3101/310104/310104003/``), so
    "this unit and everything under it" is one indexed prefix query.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district / county")
        STREET = "street", _("street / township")
        COMMUNITY = "community", _("community")
        GRID = "grid", _("grid")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "path"
    scope_permission_app = "org"

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [
            # LIKE 'prefix%' uses this index on PostgreSQL whatever the collation.
            models.Index(
                fields=["path"], name="orgunit_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "path"], name="orgunit_level_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def audit_org_path(self) -> str:
        return self.path

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c][:-1]


class Grid(models.Model):
    """Extra data of an org unit at the grid level: boundary and size."""

    unit = models.OneToOneField(
        OrgUnit, primary_key=True, on_delete=models.CASCADE, related_name="grid"
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"))
    # Bounding box, for a cheap pre-filter before point-in-polygon.
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    household_count = models.PositiveIntegerField(_("households"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"
    scope_permission_app = "org"

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return str(self.unit)

    @property
    def audit_org_path(self) -> str:
        return self.unit.path


class Compound(models.Model):
    """A residential compound (小区) in a community."""

    class Kind(models.TextChoices):
        COMMERCIAL = "commercial", _("commercial housing")
        OLD = "old", _("old residential area")
        WORK_UNIT = "work_unit", _("work-unit dormitory")
        SUBSIDISED = "subsidised", _("subsidised housing")
        RURAL = "rural", _("rural community")

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="compounds",
        limit_choices_to={"level": OrgUnit.Level.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    household_count = models.PositiveIntegerField(_("households"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "community__path"
    scope_permission_app = "org"

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="compound_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.community.path


class Building(models.Model):
    """A building of a compound; every building lies in exactly one grid."""

    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="buildings"
    )
    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"level": OrgUnit.Level.GRID},
    )
    number = models.CharField(_("building number"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("floors"), default=6)
    # Where the building stands (WGS-84 / CGCS2000, as every stored coordinate): the map's
    # building layer and the visit's location check.
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "grid__path"
    scope_permission_app = "org"

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["compound", "number"], name="building_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.number}"


class Room(models.Model):
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="rooms"
    )
    unit_number = models.CharField(_("stairwell unit"), max_length=10)
    number = models.CharField(_("room"), max_length=10)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "building__grid__path"
    scope_permission_app = "org"

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit_number", "number"], name="room_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.unit_number}-{self.number}"


class GridAssignment(models.Model):
    """A person's duty in a grid for a period (网格长, 专职/兼职网格员, 志愿者)."""

    class Duty(models.TextChoices):
        LEADER = "leader", _("grid leader")
        FULL_TIME = "full_time", _("full-time grid worker")
        PART_TIME = "part_time", _("part-time grid worker")
        VOLUNTEER = "volunteer", _("volunteer")

    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="assignments",
        limit_choices_to={"level": OrgUnit.Level.GRID},
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    duty = models.CharField(_("duty"), max_length=12, choices=Duty.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "grid__path"
    scope_permission_app = "org"

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        indexes = [models.Index(fields=["grid", "end_date"], name="assignment_grid_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.grid.code} ({self.get_duty_display()})"

    @property
    def audit_org_path(self) -> str:
        return self.grid.path
