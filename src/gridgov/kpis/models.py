"""KPI alerts (a unit's KPI entered red in a period) and generated reports."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class KpiAlert(models.Model):
    """One per unit, KPI and period: a KPI that stays red does not alert again."""

    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kpi_code = models.CharField(_("KPI"), max_length=60)
    period_kind = models.CharField(max_length=10)
    period_label = models.CharField(_("period"), max_length=12)
    value = models.FloatField(_("value"))
    target = models.FloatField(_("target"), null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"
    scope_permission_app = "kpis"

    class Meta:
        verbose_name = _("KPI alert")
        verbose_name_plural = _("KPI alerts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "kpi_code", "period_kind", "period_label"],
                name="kpi_alert_once_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kpi_code} {self.period_label}"

    @property
    def audit_org_path(self) -> str:
        return self.unit.path


class KpiReport(models.Model):
    """A monthly report of a unit, as PDF and XLSX, kept for the retention policy: the KPI
    evaluation report (kind ``kpis``) or the bulletin of a registered campaign board (kind =
    the board's code, e.g. ``visits``: 入户走访月通报)."""

    KPIS = "kpis"

    class Status(models.TextChoices):
        PENDING = "pending", _("being generated")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, default=KPIS)
    period_kind = models.CharField(max_length=10, default="month")
    period_label = models.CharField(_("period"), max_length=12)
    period_date = models.DateField()
    scheduled = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(max_length=300, blank=True)
    pdf_path = models.CharField(max_length=300, blank=True)
    xlsx_path = models.CharField(max_length=300, blank=True)
    # Set by the worker that generates the report: a second worker given the same task
    # leaves it alone, unless the claim is older than CLAIM_SECONDS (that worker died).
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"
    scope_permission_app = "kpis"

    class Meta:
        verbose_name = _("KPI report")
        verbose_name_plural = _("KPI reports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "kind", "period_kind", "period_label"],
                condition=models.Q(scheduled=True),
                name="kpi_report_scheduled_once_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period_label}"

    @property
    def audit_org_path(self) -> str:
        return self.unit.path


class KpiDaily(models.Model):
    """A KPI's numerator and denominator (or duration sum and count) for one day and one
    grid (or community queue), and rolled up for every unit above, so dashboards add up a
    few rows instead of scanning events.
    Rebuilt for recent days by the periodic job; rebuilt in full by a command."""

    kpi_code = models.CharField(max_length=60)
    scope_path = models.CharField(max_length=255)
    day = models.DateField()
    numerator = models.FloatField(default=0)
    denominator = models.IntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    # False: the rows whose scope is exactly this path (a grid, or a community's queue);
    # True: everything under this unit (district, street, community), summed once.
    rollup = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kpi_code", "day", "scope_path", "rollup"], name="kpi_daily_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["kpi_code", "rollup", "scope_path", "day"], name="kpi_daily_lookup_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi_code} {self.day} {self.scope_path}"


class KpiRefresh(models.Model):
    """One completed refresh of the daily pre-aggregates: the days it rewrote and the
    moment its numbers describe (when it started reading). Every KPI view shows that
    moment as its as-of time; a refresh supersedes the older ones it covers."""

    first_day = models.DateField()
    last_day = models.DateField()  # exclusive
    as_of = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["first_day", "last_day"], name="kpi_refresh_days_idx")]

    def __str__(self) -> str:
        return f"{self.first_day}–{self.last_day} as of {self.as_of}"
