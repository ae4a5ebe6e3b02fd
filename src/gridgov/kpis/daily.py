"""Daily pre-aggregates of the KPIs (see ``KpiDaily``): refreshed for recent days by the
periodic job, rebuilt in full by ``gridgov kpis_rebuild_daily``, and read by dashboards,
the command screen, alerts and reports — the same numbers the live queries give, without
scanning a year of events on every page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from gridgov.kpis.models import KpiDaily
from gridgov.kpis.registry import REGISTRY, Kpi, KpiValue, Period

RECENT_DAYS = 40  # open events change for weeks; older days are settled


def _window(start: date, end: date) -> Period:
    def aware(day):
        return timezone.make_aware(datetime.combine(day, time.min))

    return Period("day", aware(start), aware(end))


def refresh(start: date, end: date, kpis=None) -> int:
    """Recompute the buckets of [start, end) for every KPI; returns rows written."""
    window = _window(start, end)
    written = 0
    for kpi in kpis or REGISTRY.values():
        rows = (
            kpi.source()
            .filter(kpi.denominator(window))
            .annotate(kpi_day=TruncDate(kpi.date_field, tzinfo=timezone.get_current_timezone()))
            .values("scope_path", "kpi_day")
            .order_by()
        )
        if kpi.duration is not None:
            rows = rows.annotate(n=Count("pk"), total=Sum(kpi.duration()))
        else:
            rows = rows.annotate(n=Count("pk"), num=Count("pk", filter=kpi.numerator(window)))
        buckets = [
            KpiDaily(
                kpi_code=kpi.code,
                scope_path=row["scope_path"],
                day=row["kpi_day"],
                numerator=row.get("num") or 0,
                denominator=row["n"],
                duration_seconds=_seconds(row.get("total")),
            )
            for row in rows
        ]
        with transaction.atomic():
            KpiDaily.objects.filter(kpi_code=kpi.code, day__gte=start, day__lt=end).delete()
            KpiDaily.objects.bulk_create(buckets, batch_size=2000)
        written += len(buckets)
    return written


def _seconds(value) -> float:
    if value is None:
        return 0.0
    return value.total_seconds() if isinstance(value, timedelta) else value / 1e6


def refresh_recent(today: date | None = None) -> int:
    today = today or timezone.localdate()
    return refresh(today - timedelta(days=RECENT_DAYS), today + timedelta(days=RECENT_DAYS))


def _value(kpi: Kpi, num, den, seconds) -> KpiValue:
    den = den or 0
    if kpi.duration is not None:
        if not den:
            return KpiValue(0, 0, None)
        average = (seconds or 0) / den
        return KpiValue(average, den, round(average / kpi.scale, 2))
    num = num or 0
    return KpiValue(num, den, round(num * kpi.scale / den, 2) if den else None)


def _buckets(kpi: Kpi, path: str, period: Period):
    first = timezone.localtime(period.start).date()
    last = timezone.localtime(period.end).date()
    return KpiDaily.objects.filter(
        kpi_code=kpi.code, day__gte=first, day__lt=last, scope_path__startswith=path
    )


def unit_value(kpi: Kpi, path: str, period: Period) -> KpiValue:
    agg = _buckets(kpi, path, period).aggregate(
        num=Sum("numerator"), den=Sum("denominator"), sec=Sum("duration_seconds")
    )
    return _value(kpi, agg["num"], agg["den"], agg["sec"])


def child_values(kpi: Kpi, path: str, length: int, period: Period) -> dict[str, KpiValue]:
    """{child path: value} for children whose paths have ``length`` characters."""
    rows = (
        _buckets(kpi, path, period)
        .annotate(child=Substr(F("scope_path"), 1, length))
        .values("child")
        .annotate(num=Sum("numerator"), den=Sum("denominator"), sec=Sum("duration_seconds"))
        .order_by()
    )
    return {r["child"]: _value(kpi, r["num"], r["den"], r["sec"]) for r in rows}
