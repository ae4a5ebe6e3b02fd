"""The volunteers' KPIs (志愿者注册率, 每名专职网格员对应志愿者数, 志愿服务时长, 志愿者留存率),
registered with the KPI registry (docs/kpis.md, docs/participation.md *Volunteers*).

A volunteer counts under their residence grid. The registration rate, the ratio to grid
workers and the retention are snapshots at the end of the period (or now); a volunteer is
active at a moment when registered before it and neither left nor paused on or before
that day (today's status and its date stand in for the history). The hours are a flow:
the approved shift records of the period, by the day they were approved."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, ExpressionWrapper, F, FloatField, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Kpi, Period, register
from gridgov.org.models import GridAssignment
from gridgov.participation.models import ShiftRecord, Volunteer
from gridgov.people.models import Resident

UNIT_LEVELS = ("district", "street", "community", "grid")


def _day(moment: datetime):
    return timezone.localtime(moment - timedelta(microseconds=1)).date()


def _registered(prefix: str, moment: datetime):
    return Volunteer.objects.filter(scope_path__startswith=prefix, created_at__lt=moment)


def _active_q(moment: datetime) -> Q:
    day = _day(moment)
    gone = Q(status=Volunteer.Status.LEFT, left_on__lte=day) | Q(
        status=Volunteer.Status.PAUSED, status_since__lte=day
    )
    return ~gone


def _count(rows, into: dict, index: int) -> None:
    for row in rows.values("scope_path").annotate(n=Count("pk")).order_by():
        into.setdefault(row["scope_path"], [0, 0])[index] += row["n"]


def registration(prefix: str, moment: datetime) -> dict[str, list]:
    """Per grid: [active volunteers, residents on file]."""
    out: dict[str, list] = {}
    _count(_registered(prefix, moment).filter(_active_q(moment)), out, 0)
    residents = Resident.objects.filter(scope_path__startswith=prefix, created_at__lt=moment)
    residents = residents.filter(Q(archived_at__isnull=True) | Q(archived_at__gte=moment))
    _count(residents, out, 1)
    return out


def per_worker(prefix: str, moment: datetime) -> dict[str, list]:
    """Per grid: [active volunteers, full-time grid workers] (counted like 网格员配比)."""
    day = _day(moment)
    out: dict[str, list] = {}
    _count(_registered(prefix, moment).filter(_active_q(moment)), out, 0)
    workers = (
        GridAssignment.objects.filter(
            grid__path__startswith=prefix,
            duty=GridAssignment.Duty.FULL_TIME,
            start_date__lte=day,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .values("grid__path")
        .annotate(n=Count("user", distinct=True))
        .order_by()
    )
    for row in workers:
        out.setdefault(row["grid__path"], [0, 0])[1] += row["n"]
    return out


def retention(prefix: str, moment: datetime) -> dict[str, list]:
    """Per grid: [volunteers still active, volunteers registered] as of the moment."""
    out: dict[str, list] = {}
    registered = _registered(prefix, moment)
    _count(registered.filter(_active_q(moment)), out, 0)
    _count(registered, out, 1)
    return out


def _link(unit_code: str, period: Period) -> str:
    return reverse("participation:volunteer_list")


def _kpi(**kwargs) -> Kpi:
    kwargs.setdefault("higher_is_better", True)
    return register(Kpi(capability="participation", levels=UNIT_LEVELS, records=_link, **kwargs))


_kpi(
    code="volunteers.registration_rate",
    name=_("Volunteer registration rate (志愿者注册率)"),
    definition=_(
        "Active volunteers living in the unit as a share of its residents on file, at the "
        "end of the period (target: 20 %)."
    ),
    formula=_("active volunteers ÷ residents on file"),
    unit="%",
    snapshot=registration,
)
_kpi(
    code="volunteers.per_worker",
    name=_("Volunteers per grid worker (每名专职网格员对应志愿者数)"),
    definition=_(
        "Active volunteers living in the grids per full-time grid worker assigned to them, "
        "counted like the residents per grid worker (target: at least 3)."
    ),
    formula=_("active volunteers ÷ full-time grid workers"),
    unit=_("volunteers"),
    scale=1.0,
    snapshot=per_worker,
)
_kpi(
    code="volunteers.hours",
    name=_("Volunteer service hours (志愿服务时长)"),
    definition=_(
        "Volunteer hours approved in the period, as the average per approved service (one "
        "volunteer on one shift); the number of approved services is its count, and the "
        "total hours are the average times the count."
    ),
    formula=_("approved hours ÷ approved services"),
    unit="h",
    scale=3600,
    source=lambda: ShiftRecord.objects.filter(state=ShiftRecord.State.APPROVED),
    date_field="approved_at",
    denominator=lambda p: Q(approved_at__gte=p.start, approved_at__lt=p.end),
    # Microseconds, like a duration's average (kpis.registry).
    duration=lambda: ExpressionWrapper(
        F("hours") * Decimal("3600000000"), output_field=FloatField()
    ),
)
_kpi(
    code="volunteers.retention",
    name=_("Volunteer retention (志愿者留存率)"),
    definition=_(
        "Of the volunteers registered by the end of the period, the share still active "
        "(neither left nor paused)."
    ),
    formula=_("volunteers still active ÷ volunteers registered"),
    unit="%",
    snapshot=retention,
)
