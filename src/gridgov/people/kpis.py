"""The registry's KPIs (建档覆盖率, 数据完整率, 数据鲜活度, 特殊人群建档率, 网格员配比).

They describe the state of the records rather than a flow, so each is a snapshot: counted
per grid as of the end of the period (or now), from the rows that existed then. Fields as
they are today stand in for fields as they were; a past period is as exact as creation and
archiving dates allow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Kpi, Period, register
from gridgov.org.models import Grid, GridAssignment
from gridgov.people import quality
from gridgov.people.models import Household, Resident, ResidentTag

UNIT_LEVELS = ("district", "street", "community", "grid")


def _present(prefix: str, as_of: datetime):
    """Residents under ``prefix`` who were on file at ``as_of`` and not archived by then."""
    return Resident.objects.filter(scope_path__startswith=prefix, created_at__lt=as_of).filter(
        Q(archived_at__isnull=True) | Q(archived_at__gte=as_of)
    )


def _per_grid(rows, numerator: Q) -> dict[str, list]:
    counted = rows.values("scope_path").annotate(n=Count("pk"), num=Count("pk", filter=numerator))
    return {r["scope_path"]: [r["num"], r["n"]] for r in counted.order_by()}


def _day(as_of: datetime):
    """The last day the moment covers (``as_of`` is exclusive)."""
    return timezone.localtime(as_of - timedelta(microseconds=1)).date()


def coverage(prefix: str, as_of: datetime) -> dict[str, list]:
    known = Grid.objects.filter(unit__path__startswith=prefix, unit__is_active=True)
    out = {path: [0, count] for path, count in known.values_list("unit__path", "household_count")}
    filed = (
        Household.objects.filter(scope_path__startswith=prefix, created_at__lt=as_of)
        .exclude(status=Household.Status.MOVED_OUT)
        .values("scope_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in filed:
        out.setdefault(row["scope_path"], [0, 0])[0] += row["n"]
    return out


def completeness(prefix: str, as_of: datetime) -> dict[str, list]:
    return _per_grid(_present(prefix, as_of), quality.complete_q())


def freshness(prefix: str, as_of: datetime) -> dict[str, list]:
    return _per_grid(_present(prefix, as_of), quality.fresh_q(as_of))


def special_files(prefix: str, as_of: datetime) -> dict[str, list]:
    day = _day(as_of)
    tags = (
        ResidentTag.objects.filter(
            scope_path__startswith=prefix, created_at__lt=as_of, category__derived=False
        )
        .filter(Q(resident__archived_at__isnull=True) | Q(resident__archived_at__gte=as_of))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    )
    return _per_grid(tags, quality.tag_file_complete_q())


def staffing(prefix: str, as_of: datetime) -> dict[str, list]:
    """Residents and full-time grid workers per grid (a worker of two grids counts in each)."""
    day = _day(as_of)
    residents = _present(prefix, as_of).values("scope_path").annotate(n=Count("pk")).order_by()
    out = {r["scope_path"]: [r["n"], 0] for r in residents}
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


def _residents_link(**params):
    def link(unit_code: str, period: Period) -> str:
        query = urlencode({"unit": unit_code, **params})
        return f"{reverse('people:resident_list')}?{query}"

    return link


def _registry_kpi(unit="%", **kwargs) -> Kpi:
    return register(Kpi(capability="people", levels=UNIT_LEVELS, unit=unit, **kwargs))


_registry_kpi(
    code="people.coverage",
    name=_("Household file coverage (建档覆盖率)"),
    definition=_(
        "Households with a file in the registry, as a share of the households the grids are "
        "known to hold (the grid register's household count). Households that moved out are "
        "not counted."
    ),
    formula=_("households on file ÷ households in the grids"),
    higher_is_better=True,
    snapshot=coverage,
    records=_residents_link(),
)
_registry_kpi(
    code="people.completeness",
    name=_("Data completeness (数据完整率)"),
    definition=_(
        "Of the residents on file, the share whose required fields (policy \u201cRegistry data "
        "quality\u201d: ID number, phone, ethnicity, occupation, education by default) are all "
        "filled."
    ),
    formula=_("complete records ÷ residents on file"),
    higher_is_better=True,
    snapshot=completeness,
    records=_residents_link(check="incomplete"),
)
_registry_kpi(
    code="people.freshness",
    name=_("Data freshness (数据鲜活度)"),
    definition=_(
        "Of the residents on file, the share whose record was verified (created, edited or "
        "confirmed unchanged) within the window of the policy \u201cRegistry data quality\u201d "
        "(180 days by default)."
    ),
    formula=_("records verified within the window ÷ residents on file"),
    higher_is_better=True,
    snapshot=freshness,
    records=_residents_link(check="stale"),
)
_registry_kpi(
    code="people.special_files",
    name=_("Special-population file rate (特殊人群建档率)"),
    definition=_(
        "Of the special-population tags in force, the share whose file is complete: where the "
        "information came from and since when."
    ),
    formula=_("tags with source and start date ÷ tags in force"),
    higher_is_better=True,
    snapshot=special_files,
    records=_residents_link(),
)
_registry_kpi(
    code="people.staffing",
    name=_("Residents per grid worker (网格员配比)"),
    definition=_(
        "Residents on file per full-time grid worker assigned to the grids. A grid "
        "without a full-time worker has no value and shows as a gap."
    ),
    formula=_("residents on file ÷ full-time grid workers"),
    unit=_("residents"),
    higher_is_better=False,
    scale=1.0,
    snapshot=staffing,
    records=_residents_link(),
)
