"""The KPI registry: each KPI is defined once, here or in its capability's ``kpis`` module,
and everything that shows a number — pages, API, dashboards, reports — reads it from here.

A KPI is a ratio (numerator rows ⊂ denominator rows) or an average of a duration over its
rows, computed on a scoped queryset for a period, and grouped by unit, worker, department or
category in one query. A snapshot KPI (the registry's: coverage, completeness, staffing) is
the state of the records at the end of the period instead: its ``snapshot`` function counts
numerator and denominator per grid, and units add up their grids.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import NotFound, ValidationFailed

PERIODS = ("day", "week", "month", "quarter", "year")
LEVELS = (
    "district",
    "street",
    "community",
    "grid",
    "worker",
    "department",
    "category",
    "provider",
)
PERIOD_LABELS = {
    "day": _("day"),
    "week": _("week"),
    "month": _("month"),
    "quarter": _("quarter"),
    "year": _("year"),
}
LEVEL_LABELS = {
    "district": _("district"),
    "street": _("street"),
    "community": _("community"),
    "grid": _("grid"),
    "worker": _("grid worker"),
    "department": _("department"),
    "category": _("category"),
    "provider": _("provider"),
}


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime
    end: datetime  # exclusive

    @property
    def label(self) -> str:
        first = timezone.localtime(self.start).date()
        if self.kind == "day":
            return first.isoformat()
        if self.kind == "week":
            return f"{first.isocalendar().year}-W{first.isocalendar().week:02d}"
        if self.kind == "month":
            return f"{first:%Y-%m}"
        if self.kind == "quarter":
            return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        return str(first.year)

    def previous(self) -> Period:
        return period_containing(self.kind, timezone.localtime(self.start).date() - timedelta(1))


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_containing(kind: str, day: date) -> Period:
    if kind not in PERIODS:
        raise ValueError(kind)
    if kind == "day":
        start, end = day, day + timedelta(days=1)
    elif kind == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    elif kind == "month":
        start = day.replace(day=1)
        end = start + timedelta(days=_calendar.monthrange(day.year, day.month)[1])
    elif kind == "quarter":
        month = (day.month - 1) // 3 * 3 + 1
        start = date(day.year, month, 1)
        end = date(day.year + (month + 3 > 12), (month + 2) % 12 + 1, 1)
    else:
        start, end = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    return Period(kind, _aware(start), _aware(end))


@dataclass(frozen=True)
class KpiValue:
    numerator: float
    denominator: int
    value: float | None  # None when there is nothing to measure (denominator 0)


# Units written as symbols in the definitions, in the reader's language.
UNIT_WORDS = {
    "min": pgettext_lazy("KPI unit", "min"),
    "h": pgettext_lazy("KPI unit", "h"),
    "d": pgettext_lazy("KPI unit", "days"),
}


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str | Promise
    definition: str | Promise
    formula: str | Promise
    unit: str | Promise  # "%", "min", "h", or a translated word ("residents")
    higher_is_better: bool
    source: Callable[[], QuerySet] | None = None  # the rows, unscoped; the caller scopes them
    denominator: Callable[[Period], Q] | None = None
    numerator: Callable[[Period], Q] | None = None  # ratio KPIs
    duration: Callable[[], object] | None = None  # average KPIs: an expression
    scale: float = 100.0  # ratio → percent, or seconds → the unit
    levels: tuple[str, ...] = LEVELS
    periods: tuple[str, ...] = PERIODS
    capability: str = ""
    group_fields: dict[str, str] = field(default_factory=dict)  # level → field of the row
    # The row's date that places it in a period (what the denominator filters on): daily
    # pre-aggregates are bucketed by it.
    date_field: str = ""
    # Snapshot KPIs: (unit path prefix, as-of moment) → {grid path: [numerator, denominator]}.
    snapshot: Callable[[str, datetime], dict[str, list]] | None = None
    # (unit code, period) → the URL of the records behind a value (dashboard click-through).
    records: Callable[[str, Period], str] | None = None
    # (level, keys) → {key: label} for the breakdowns by category or provider, when the
    # capability's keys are not the events' categories (the default).
    labels: Callable[[str, list], dict] | None = None
    # (rows, period, group field or None) → {key: KpiValue}: a KPI that is neither a count
    # ratio nor an average (e.g. capacity used ÷ capacity offered) groups its own rows.
    group: Callable[[QuerySet, Period, str | None], dict] | None = None

    @property
    def unit_label(self) -> str:
        return str(UNIT_WORDS.get(str(self.unit), self.unit))

    def snapshot_values(self, prefix: str, period: Period, paths=None) -> dict:
        """{path: KpiValue} adding up the grids under each of ``paths`` ({None: …} for all
        of ``prefix``), as of the end of the period or now, whichever is earlier."""
        counts = self.snapshot(prefix, as_of(period))
        if paths is None:
            return {None: self.ratio(*_add(counts.values()))}
        return {
            path: self.ratio(*_add(v for p, v in counts.items() if p.startswith(path)))
            for path in paths
        }

    def ratio(self, num, den) -> KpiValue:
        return KpiValue(num, den, round(num * self.scale / den, 2) if den else None)

    def grouped(self, queryset: QuerySet, period: Period, group: str | None):
        """{group value: KpiValue} (or {None: …} ungrouped), in one query."""
        if self.group is not None:
            return self.group(queryset, period, group)
        rows = queryset.filter(self.denominator(period))
        if group:
            rows = rows.values(group)
        if self.duration is not None:
            aggregates = {"n": Count("pk"), "avg": Avg(self.duration())}
        else:
            aggregates = {"n": Count("pk"), "num": Count("pk", filter=self.numerator(period))}
        if group:
            result = {}
            for row in rows.annotate(**aggregates).order_by():
                result[row[group]] = self._value(row)
            return result
        return {None: self._value(rows.aggregate(**aggregates))}

    def _value(self, row) -> KpiValue:
        n = row["n"] or 0
        if self.duration is not None:
            average = row["avg"]
            if average is None:
                return KpiValue(0, n, None)
            seconds = average.total_seconds() if isinstance(average, timedelta) else average / 1e6
            return KpiValue(seconds, n, round(seconds / self.scale, 2))
        return self.ratio(row["num"] or 0, n)


def as_of(period: Period) -> datetime:
    """The moment a snapshot KPI describes: the end of the period, or now if it is running."""
    return min(period.end, timezone.now())


def _add(pairs) -> tuple[float, int]:
    num = den = 0
    for n, d in pairs:
        num += n
        den += d
    return num, den


REGISTRY: dict[str, Kpi] = {}


def register(kpi: Kpi) -> Kpi:
    if kpi.code in REGISTRY:
        raise ValueError(f"KPI {kpi.code} registered twice")
    REGISTRY[kpi.code] = kpi
    return kpi


def registrar(**shared) -> Callable[..., Kpi]:
    """``add(**fields)`` registering a KPI with the fields a family of KPIs shares said
    once (capability, levels, periods, source, records, unit …); a KPI may override any."""

    def add(**fields) -> Kpi:
        return register(Kpi(**{**shared, **fields}))

    return add


def kpi_get(code: str) -> Kpi:
    kpi = REGISTRY.get(code)
    if kpi is None:
        raise NotFound(gettext("No KPI has this code."))
    return kpi


# Periods of the platform's years only: at the ends of the calendar a period's bounds (and
# the comparison period before it) are not dates at all.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def parse_period(kind: str, on: str = "") -> Period:
    if kind not in PERIODS:
        raise ValidationFailed(
            details={"period": [gettext("One of: %(p)s.") % {"p": ", ".join(PERIODS)}]}
        )
    try:
        day = date.fromisoformat(on) if on else timezone.localdate()
    except ValueError:
        raise ValidationFailed(details={"date": [gettext("Give a date as YYYY-MM-DD.")]}) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationFailed(
            details={
                "date": [
                    gettext("Give a date between %(a)s and %(b)s.")
                    % {"a": EARLIEST_DAY.isoformat(), "b": LATEST_DAY.isoformat()}
                ]
            }
        )
    return period_containing(kind, day)


@dataclass(frozen=True)
class BoardColumn:
    """A column of a campaign board that is not a KPI: the state of the capability's own
    records under each unit (e.g. visit records waiting for review). ``values`` takes the
    reader, the units' paths and the moment, reads through the one scoping mechanism, and
    returns {path: value}."""

    code: str
    name: str | Promise
    unit: str | Promise
    values: Callable[[object, list[str], datetime], dict[str, float | int | None]]


@dataclass(frozen=True)
class Board:
    """A capability's campaign board (e.g. 入户走访调度看板): some of its registered KPIs and
    columns of its own, for a unit and each unit one level down, in a period. The KPI app
    reads and colours the KPIs exactly as every other view does, lists the board, and makes
    its monthly bulletin in the report centre."""

    code: str
    name: str | Promise
    bulletin_name: str | Promise
    kpis: tuple[str, ...]
    columns: tuple[BoardColumn, ...] = ()
    periods: tuple[str, ...] = ("week", "month")
    # The KPI the units are ranked by in the bulletin.
    ranked_by: str = ""
    # The permission that shows the board's own columns (its KPIs need ``kpis.view``).
    permission: str = ""


BOARDS: dict[str, Board] = {}


def register_board(board: Board) -> Board:
    if board.code in BOARDS:
        raise ValueError(f"board {board.code} registered twice")
    BOARDS[board.code] = board
    return board


@dataclass(frozen=True)
class ReportKind:
    """A capability's own monthly report in the report centre (e.g. the lists'
    《社区需求分析报告》): made for units of ``levels``, asked for by whoever has
    ``kpis.view`` and ``permission`` over the unit, scheduled like the others. ``collect``
    reads (actor, unit, period) through the one scoping mechanism, with ``reader`` the KPI
    app's reading service (``unit_value``, ``freshness``); ``pdf`` renders the data
    to bytes and ``xlsx`` writes it to a path, in the active language."""

    code: str
    name: str | Promise
    levels: tuple[str, ...]
    permission: str
    collect: Callable[..., object]
    pdf: Callable[[object], bytes]
    xlsx: Callable[[object, object], None]


REPORT_KINDS: dict[str, ReportKind] = {}


def register_report_kind(kind: ReportKind) -> ReportKind:
    if kind.code in REPORT_KINDS or kind.code in BOARDS or len(kind.code) > 20:
        raise ValueError(f"report kind {kind.code} registered twice or too long")
    REPORT_KINDS[kind.code] = kind
    return kind
