"""Daily pre-aggregates of the KPIs (see ``KpiDaily``): refreshed for recent days by the
periodic job, rebuilt in full by ``gridgov kpis_rebuild_daily``, and the one source of
every KPI number of a unit — dashboards, the KPI list and pages, the command screen, the
API, alerts and reports — the same numbers the live queries give, without scanning a year
of events on every page.

A refresh rewrites its days in one transaction and records itself (``KpiRefresh``), so a
reader sees all KPIs of one refresh or of the one before, never a mix, and ``freshness``
tells every view the moment its numbers describe."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from gridgov.kpis.models import KpiDaily, KpiRefresh
from gridgov.kpis.registry import REGISTRY, Kpi, KpiValue, Period
from gridgov.org.models import OrgUnit

RECENT_DAYS = 40  # open events change for weeks; older days are settled


def _window(start: date, end: date) -> Period:
    def aware(day):
        return timezone.make_aware(datetime.combine(day, time.min))

    return Period("day", aware(start), aware(end))


def refresh(start: date, end: date, kpis=None) -> int:
    """Recompute the buckets of [start, end) for every KPI (or those given) in one
    transaction, and record the refresh when it covers every KPI; returns rows written."""
    as_of = timezone.now()
    with transaction.atomic():
        written = _rewrite(start, end, kpis)
        if kpis is None:
            finished = timezone.now()
            KpiRefresh.objects.create(
                first_day=start, last_day=end, as_of=as_of, finished_at=finished
            )
            # Older refreshes inside this one's days no longer describe any of them.
            KpiRefresh.objects.filter(
                first_day__gte=start, last_day__lte=end, as_of__lt=as_of
            ).delete()
    return written


def _rewrite(start: date, end: date, kpis=None) -> int:
    window = _window(start, end)
    unit_paths = set(
        OrgUnit.objects.exclude(level=OrgUnit.Level.GRID).values_list("path", flat=True)
    )
    written = 0
    for kpi in kpis or REGISTRY.values():
        if kpi.snapshot is not None:
            written += _refresh_snapshot(kpi, start, end, unit_paths)
            continue
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
        buckets = []
        rollups: dict[tuple[str, date], list[float]] = {}
        for row in rows:
            num, den, seconds = row.get("num") or 0, row["n"], _seconds(row.get("total"))
            buckets.append(_bucket(kpi, row["scope_path"], row["kpi_day"], num, den, seconds))
            for path in _units_above(row["scope_path"], unit_paths):
                sums = rollups.setdefault((path, row["kpi_day"]), [0, 0, 0.0])
                sums[0] += num
                sums[1] += den
                sums[2] += seconds
        buckets += [
            _bucket(kpi, path, day, num, den, seconds, rollup=True)
            for (path, day), (num, den, seconds) in rollups.items()
        ]
        KpiDaily.objects.filter(kpi_code=kpi.code, day__gte=start, day__lt=end).delete()
        KpiDaily.objects.bulk_create(buckets, batch_size=5000)
        written += len(buckets)
    return written


def _refresh_snapshot(kpi: Kpi, start: date, end: date, unit_paths: set[str]) -> int:
    """Today's snapshot, if today is in [start, end), and the last day of each past month in
    the window that has none yet (the state at its end, from the records' dates), so every
    month, quarter and year reads a stored day. A stored past day is never taken again."""
    today = timezone.localdate()
    days = {today: timezone.now()} if start <= today < end else {}
    month_end = date(start.year, start.month, 1)
    while month_end < min(end, today):
        following = (month_end + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        if start <= last < min(end, today):
            days[last] = timezone.make_aware(datetime.combine(following, time.min))
        month_end = following
    stored = set(
        KpiDaily.objects.filter(kpi_code=kpi.code, day__in=[d for d in days if d != today])
        .values_list("day", flat=True)
        .distinct()
    )
    written = 0
    for day, moment in days.items():
        if day in stored:
            continue
        counts = kpi.snapshot("", moment)
        buckets = [_bucket(kpi, path, day, num, den, 0.0) for path, (num, den) in counts.items()]
        rollups: dict[str, list[float]] = {}
        for path, (num, den) in counts.items():
            for unit_path in _units_above(path, unit_paths):
                sums = rollups.setdefault(unit_path, [0, 0])
                sums[0] += num
                sums[1] += den
        buckets += [
            _bucket(kpi, path, day, num, den, 0.0, rollup=True)
            for path, (num, den) in rollups.items()
        ]
        KpiDaily.objects.filter(kpi_code=kpi.code, day=day).delete()
        KpiDaily.objects.bulk_create(buckets, batch_size=5000)
        written += len(buckets)
    return written


def _bucket(kpi, path, day, num, den, seconds, rollup=False) -> KpiDaily:
    return KpiDaily(
        kpi_code=kpi.code,
        scope_path=path,
        day=day,
        numerator=num,
        denominator=den,
        duration_seconds=seconds,
        rollup=rollup,
    )


def _units_above(path: str, unit_paths: set[str]) -> list[str]:
    """The unit paths that contain ``path`` (itself included when it is a community queue)."""
    prefixes = []
    end = path.find("/")
    while end != -1:
        prefix = path[: end + 1]
        if prefix in unit_paths:
            prefixes.append(prefix)
        end = path.find("/", end + 1)
    return prefixes


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


def _days(period: Period) -> tuple[date, date]:
    return timezone.localtime(period.start).date(), timezone.localtime(period.end).date()


def values_for(kpi: Kpi, units: list[OrgUnit], period: Period) -> dict[str, KpiValue]:
    """{unit path: value} for the units, from their own rows (grids) or their roll-ups."""
    first, last = _days(period)
    days = {"day__gte": first, "day__lt": last}
    if kpi.snapshot is not None:
        # A snapshot KPI is the state on the period's last stored day, not a sum of days.
        latest = KpiDaily.objects.filter(kpi_code=kpi.code, **days).aggregate(d=Max("day"))["d"]
        days = {"day": latest}
    out: dict[str, KpiValue] = {}
    for rollup in (False, True):
        paths = [u.path for u in units if (u.level != OrgUnit.Level.GRID) is rollup]
        if not paths:
            continue
        rows = (
            KpiDaily.objects.filter(kpi_code=kpi.code, rollup=rollup, **days)
            .filter(_paths_filter(paths))
            .values("scope_path")
            .annotate(num=Sum("numerator"), den=Sum("denominator"), sec=Sum("duration_seconds"))
            .order_by()
        )
        out.update({r["scope_path"]: _value(kpi, r["num"], r["den"], r["sec"]) for r in rows})
    return out


def _paths_filter(paths: list[str]) -> Q:
    """Many sibling paths (a district's grids for the map) as one indexed prefix range
    rather than a thousand-item list; rows of other paths are ignored by the caller."""
    if len(paths) <= 50:
        return Q(scope_path__in=paths)
    prefix = os.path.commonprefix(paths)
    return Q(scope_path__startswith=prefix[: prefix.rfind("/") + 1])


def unit_values(kpis: list[Kpi], unit: OrgUnit, period: Period) -> dict[str, KpiValue]:
    """{KPI code: value} of many KPIs at one unit, in one query (the dashboard's tiles)."""
    first, last = _days(period)
    rows = KpiDaily.objects.filter(
        kpi_code__in=[k.code for k in kpis],
        scope_path=unit.path,
        rollup=unit.level != OrgUnit.Level.GRID,
        day__gte=first,
        day__lt=last,
    ).values_list("kpi_code", "day", "numerator", "denominator", "duration_seconds")
    sums: dict[str, list] = {}
    for code, day, num, den, seconds in rows:
        if REGISTRY[code].snapshot is not None:
            # A snapshot is the state on its latest day, not a sum over days.
            if code not in sums or day > sums[code][3]:
                sums[code] = [num, den, seconds, day]
            continue
        total = sums.setdefault(code, [0, 0, 0.0, None])
        total[0] += num
        total[1] += den
        total[2] += seconds
    empty = KpiValue(0, 0, None)
    return {k.code: _value(k, *sums[k.code][:3]) if k.code in sums else empty for k in kpis}


def unit_value(kpi: Kpi, unit: OrgUnit, period: Period) -> KpiValue:
    return values_for(kpi, [unit], period).get(unit.path, KpiValue(0, 0, None))


@dataclass(frozen=True)
class Freshness:
    """The moment the pre-aggregates of a period describe, and whether every day of it
    (up to today) has been computed at all."""

    as_of: datetime | None
    complete: bool


def freshness(period: Period) -> Freshness:
    """The oldest of the refreshes that supply the period's days (each day from the
    latest refresh that covered it). Days still to come hold nothing yet and need none."""
    first, last = _days(period)
    last = min(last, timezone.localdate() + timedelta(days=1))
    if first >= last:
        latest = KpiRefresh.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        return Freshness(latest, latest is not None)
    uncovered = [(first, last)]
    oldest = None
    refreshes = KpiRefresh.objects.filter(first_day__lt=last, last_day__gt=first).order_by("-as_of")
    for refresh_ in refreshes.values_list("first_day", "last_day", "as_of"):
        start, end, moment = refresh_
        remaining = []
        for a, b in uncovered:
            if end <= a or start >= b:
                remaining.append((a, b))
                continue
            oldest = moment  # newest first: the last one that supplied a day is the oldest
            if a < start:
                remaining.append((a, start))
            if end < b:
                remaining.append((end, b))
        uncovered = remaining
        if not uncovered:
            break
    return Freshness(oldest, not uncovered)
