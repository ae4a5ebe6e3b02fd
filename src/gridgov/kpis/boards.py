"""Campaign boards (e.g. 入户走访调度看板) and their monthly bulletins (月通报).

A capability registers a ``Board`` with the registry: some of its KPIs and columns of its own
records. Here a board is read for a unit and each unit one level down, in a week or a month:
every KPI figure and colour is the one the dashboard, the KPI pages, the API and the reports
show (``services.unit_value`` / ``services.breakdown`` on the daily figures, coloured by the
``kpis.targets`` policy), never computed a second way. The bulletin adds the units ranked,
those off target named and a few sentences written from the figures in the reader's
language; it is made in the report centre as PDF and XLSX (``reports``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.kpis import services
from gridgov.kpis.registry import BOARDS, LEVEL_LABELS, PERIOD_LABELS, REGISTRY, Board, Kpi
from gridgov.org.models import OrgUnit

NEXT_LEVEL = {"district": "street", "street": "community", "community": "grid"}
OFF_TARGET = ("warning", "danger")


@dataclass
class BoardRow:
    unit: OrgUnit
    readings: dict[str, services.Reading]  # KPI code → reading
    columns: dict[str, float | int | None]  # column code → value

    @property
    def off_target(self) -> list[str]:
        return [code for code, r in self.readings.items() if r.colour in OFF_TARGET]

    def cells(self, kpis: list[Kpi]) -> list[services.Reading]:
        return [self.readings[k.code] for k in kpis]

    @property
    def off_target_names(self) -> str:
        return pgettext("list of names", ", ").join(str(REGISTRY[c].name) for c in self.off_target)


@dataclass
class BoardData:
    board: Board
    unit: OrgUnit
    period: services.Period
    level: str  # the rows' level, "" for a grid
    kpis: list[Kpi]
    targets: dict  # KPI code → the rows' Target (or None)
    total: BoardRow
    rows: list[BoardRow]
    freshness: object
    as_of: object  # the moment of the board's own columns
    show_columns: bool
    policy_version: int
    ranked: list[BoardRow] = field(default_factory=list)

    @property
    def ranked_kpi(self) -> Kpi:
        return REGISTRY[self.board.ranked_by or self.board.kpis[0]]

    @property
    def ranking(self) -> list[tuple[int, BoardRow, services.Reading]]:
        """(place, row, its reading of the ranking KPI), best first."""
        code = self.ranked_kpi.code
        return [(i, r, r.readings[code]) for i, r in enumerate(self.ranked, 1)]

    @property
    def table(self) -> list[dict]:
        """The unit's own row, then each row: the KPI readings and the columns in order
        (what the page, the PDF and the API show)."""
        return [
            {
                "row": r,
                "total": r is self.total,
                "readings": [(r.readings[k.code], k.unit_label) for k in self.kpis],
                "columns": [r.columns.get(c.code) for c in self.board.columns],
            }
            for r in [self.total, *self.rows]
        ]

    @property
    def headers(self) -> list[tuple[Kpi, object]]:
        return [(k, self.targets.get(k.code)) for k in self.kpis]

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS.get(self.level, ""))

    @property
    def below_target(self) -> list[BoardRow]:
        return [r for r in self.rows if r.off_target]


def board_get_by_code(code: str) -> Board:
    board = BOARDS.get(code)
    if board is None:
        raise NotFound(_("No board has this code."))
    return board


def board_period(board: Board, kind: str, on: str = "") -> services.Period:
    if kind not in board.periods:
        raise ValidationFailed(
            details={
                "period": [
                    _("One of: %(p)s.")
                    % {"p": ", ".join(str(PERIOD_LABELS[p]) for p in board.periods)}
                ]
            }
        )
    return services.parse_period(kind, on)


def board_read(*, actor, board: Board, unit: OrgUnit, period: services.Period) -> BoardData:
    """The board of ``unit`` (NotFound outside the reader's ``kpis.view`` scope)."""
    kpis = [REGISTRY[code] for code in board.kpis]
    level = NEXT_LEVEL.get(unit.level, "")
    totals = {
        k.code: services.unit_value(actor=actor, kpi=k, unit=unit, period=period) for k in kpis
    }
    by_unit: dict[int, dict[str, services.Reading]] = {}
    children: list[OrgUnit] = []
    if level:
        children = list(
            OrgUnit.objects.filter(path__startswith=unit.path, level=level).order_by("code")
        )
        for kpi in kpis:
            for reading in services.breakdown(
                actor=actor, kpi=kpi, unit=unit, level=level, period=period
            ):
                by_unit.setdefault(reading.key, {})[kpi.code] = reading
    as_of = min(period.end, timezone.now())
    show_columns = bool(board.permission) and actor.has_permission(board.permission)
    paths = [unit.path] + [c.path for c in children]
    columns = {
        c.code: (c.values(actor, paths, as_of) if show_columns else {}) for c in board.columns
    }

    def row(u: OrgUnit, readings) -> BoardRow:
        return BoardRow(u, readings, {code: v.get(u.path) for code, v in columns.items()})

    targets = {k.code: services.target_for(k, level or unit.level)[0] for k in kpis}
    _target, version = services.target_for(kpis[0], unit.level)
    data = BoardData(
        board=board,
        unit=unit,
        period=period,
        level=level,
        kpis=kpis,
        targets=targets,
        total=row(unit, totals),
        rows=[row(c, by_unit.get(c.pk, {})) for c in children],
        freshness=services.freshness(period),
        as_of=as_of,
        show_columns=show_columns,
        policy_version=version,
    )
    data.ranked = ranked(data)
    return data


def ranked(data: BoardData) -> list[BoardRow]:
    """The rows best first by the board's ranking KPI; rows with nothing to measure last."""
    kpi = data.ranked_kpi

    def key(r: BoardRow):
        value = r.readings[kpi.code].value.value
        if value is None:
            return (1, 0.0, r.unit.code)
        return (0, -value if kpi.higher_is_better else value, r.unit.code)

    return sorted(data.rows, key=key)


def _figure(kpi: Kpi, value) -> str:
    unit = kpi.unit_label
    return f"{value:g}{unit}" if unit == "%" else f"{value:g} {unit}"


def sentences(data: BoardData) -> list[str]:
    """The bulletin's summary in the active language, written from the figures: each KPI of
    the unit against its target, the unit one level down that does worst on it, the units
    below target, and the board's own columns."""
    out = []
    unit_level = str(LEVEL_LABELS.get(data.unit.level, ""))
    for kpi in data.kpis:
        reading = data.total.readings[kpi.code]
        target, _version = services.target_for(kpi, data.unit.level)
        value = reading.value.value
        names = {"period": data.period.label, "unit": data.unit.name, "kpi": kpi.name}
        if value is None:
            out.append(_("%(period)s: %(unit)s had no %(kpi)s to measure.") % names)
            continue
        names |= {"value": _figure(kpi, value), "level": unit_level}
        if target is None:
            out.append(_("%(period)s: the %(kpi)s of %(unit)s was %(value)s.") % names)
        else:
            names["target"] = _figure(kpi, target.target)
            if reading.colour not in OFF_TARGET and kpi.higher_is_better:
                message = _(
                    "%(period)s: the %(kpi)s of %(unit)s was %(value)s, on target (%(target)s)."
                )
            elif reading.colour not in OFF_TARGET:
                message = _(
                    "%(period)s: the %(kpi)s of %(unit)s was %(value)s, within its limit "
                    "(%(target)s)."
                )
            elif kpi.higher_is_better:
                message = _("%(period)s: the %(kpi)s of %(unit)s was %(value)s, below %(target)s.")
            else:
                message = _("%(period)s: the %(kpi)s of %(unit)s was %(value)s, above %(target)s.")
            out.append(message % names)
        measured = [r for r in data.rows if r.readings[kpi.code].value.value is not None]
        if len(measured) > 1 and len({r.readings[kpi.code].value.value for r in measured}) == 1:
            # Level figures (say 0 % refusals everywhere): nobody is the worst.
            out.append(
                _("Every %(level)s has the same %(kpi)s (%(value)s).")
                % {
                    "level": data.level_label,
                    "kpi": kpi.name,
                    "value": _figure(kpi, measured[0].readings[kpi.code].value.value),
                }
            )
        elif len(measured) > 1:
            pick = min if kpi.higher_is_better else max
            worst = pick(measured, key=lambda r: r.readings[kpi.code].value.value)
            worst_names = {
                "kpi": kpi.name,
                "level": data.level_label,
                "unit": worst.unit.name,
                "value": _figure(kpi, worst.readings[kpi.code].value.value),
            }
            message = (
                _("The %(level)s with the lowest %(kpi)s: %(unit)s (%(value)s).")
                if kpi.higher_is_better
                else _("The %(level)s with the highest %(kpi)s: %(unit)s (%(value)s).")
            )
            out.append(message % worst_names)
    below = data.below_target
    if data.rows:
        if below:
            names_sep = pgettext("list of names", ", ")
            parts = [
                _("%(unit)s (%(kpis)s)")
                % {
                    "unit": r.unit.name,
                    "kpis": names_sep.join(str(REGISTRY[c].name) for c in r.off_target),
                }
                for r in below
            ]
            out.append(
                _("Below target (%(n)d of %(total)d, by %(level)s): %(units)s.")
                % {
                    "n": len(below),
                    "total": len(data.rows),
                    "level": data.level_label,
                    "units": pgettext("list of clauses", "; ").join(parts),
                }
            )
        elif any(r.value.value is not None for row in data.rows for r in row.readings.values()):
            out.append(_("Every %(level)s met its targets.") % {"level": data.level_label})
        else:
            out.append(
                _("No %(level)s has figures for this period yet.") % {"level": data.level_label}
            )
    if data.show_columns:
        for column in data.board.columns:
            value = data.total.columns.get(column.code)
            if value is None:
                out.append(_("%(name)s: none.") % {"name": column.name})
                continue
            out.append(
                _("%(name)s: %(value)s %(unit)s.")
                % {"name": column.name, "value": f"{value:g}", "unit": column.unit}
            )
    return out
