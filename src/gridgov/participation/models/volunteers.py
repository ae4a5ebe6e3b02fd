"""Volunteers 志愿者: a profile per resident of the registry, teams, activities with
shifts, and the shift record of one volunteer on one shift (sign-up → check-in → check-out →
approved hours, with a rating). Every scoped row carries ``scope_path``: a volunteer their
residence grid's path, a team its community's, an activity and its shifts and records the
organising unit's."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Skill(models.TextChoices):
    """A fixed list (one vocabulary for matching and reports across the district)."""

    CARE = "care", _("care for the elderly (助老)")
    CHILDREN = "children", _("children and tutoring (助学)")
    MEDICAL = "medical", _("medical and first aid (医疗急救)")
    LEGAL = "legal", _("legal advice (法律咨询)")
    REPAIR = "repair", _("repairs (维修)")
    IT = "it", _("computers and phones (数字助老)")
    CULTURE = "culture", _("culture and sports (文体)")
    SAFETY = "safety", _("safety patrol (平安巡防)")
    ENVIRONMENT = "environment", _("environment and sorting (环境·垃圾分类)")
    MEDIATION = "mediation", _("mediation (调解)")
    TRANSLATION = "translation", _("languages and sign language (翻译·手语)")
    OTHER = "other", _("other")


class TimeBand(models.TextChoices):
    MORNING = "morning", _("morning")
    AFTERNOON = "afternoon", _("afternoon")
    EVENING = "evening", _("evening")


class Team(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", _("volunteer service team (志愿服务队)")
        THINK_TANK = "think_tank", _("community think tank (社区智囊团)")
        OTHER = "other", _("other team")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["scope_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="team_name_per_community")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.scope_path = self.community.path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Volunteer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        LEFT = "left", _("left")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.OneToOneField(
        "people.Resident", on_delete=models.PROTECT, related_name="volunteer"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    district = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", editable=False
    )
    badge_number = models.CharField(_("badge number"), max_length=20)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    weekdays = models.JSONField(_("available weekdays"), default=list, blank=True)
    time_bands = models.JSONField(_("available times"), default=list, blank=True)
    service_area = models.ManyToManyField(
        "org.OrgUnit", verbose_name=_("service area"), related_name="+", blank=True
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("teams"), related_name="members", blank=True
    )
    confidentiality_signed_on = models.DateField(
        _("confidentiality agreement signed on"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    status_since = models.DateField(_("status since"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    registered_by_name = models.CharField(max_length=150)
    on_behalf = models.BooleanField(_("registered by staff (代办)"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["scope_path", "badge_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "badge_number"], name="volunteer_badge_per_district"
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="volunteer_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.badge_number

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Activity(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("community or grid"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    place = models.CharField(_("place"), max_length=120)
    # WGS-84, like every stored point (core.coords converts for display).
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    radius_m = models.PositiveIntegerField(_("check-in radius (m)"))
    touches_personal_data = models.BooleanField(_("touches personal data"), default=False)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="activity_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.scope_path = self.org_unit.path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Shift(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="shifts")
    scope_path = models.CharField(max_length=255, editable=False)
    start_at = models.DateTimeField(_("start"))
    end_at = models.DateTimeField(_("end"))
    slots = models.PositiveIntegerField(_("slots"))
    # The person served, who may approve and rate the hours like the organiser.
    recipient = models.ForeignKey(
        "people.Resident",
        verbose_name=_("service recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["start_at", "pk"]
        indexes = [
            models.Index(
                fields=["scope_path", "start_at"],
                name="shift_scope_idx",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.start_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.scope_path = self.activity.scope_path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class ShiftRecord(models.Model):
    """One volunteer on one shift: the source of approved hours."""

    class State(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        CANCELLED = "cancelled", _("cancelled")
        CHECKED_IN = "checked_in", _("checked in, on duty")
        CHECKED_OUT = "checked_out", _("checked out, waiting for approval")
        APPROVED = "approved", _("hours approved")

    HOLDING = (State.SIGNED_UP, State.CHECKED_IN, State.CHECKED_OUT, State.APPROVED)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="records")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="records")
    scope_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.SIGNED_UP
    )
    signed_up_at = models.DateTimeField()
    signed_up_by_name = models.CharField(max_length=150)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    check_in_distance_m = models.PositiveIntegerField(null=True, blank=True)
    check_in_client_id = models.UUIDField(null=True, blank=True, unique=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    check_out_distance_m = models.PositiveIntegerField(null=True, blank=True)
    check_out_client_id = models.UUIDField(null=True, blank=True, unique=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by_name = models.CharField(max_length=150, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rated_by_name = models.CharField(max_length=150, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("shift record")
        verbose_name_plural = _("shift records")
        ordering = ["-signed_up_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "volunteer"], name="one_record_per_shift"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="shift_record_rating_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "approved_at"], name="shift_record_state_idx"),
            models.Index(
                fields=["scope_path"],
                name="shift_record_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} @ {self.shift_id}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path
