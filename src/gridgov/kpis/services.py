"""Reading KPI values: scoped, by level and period, with the target's colour.

Every number of a unit (district, street, community, grid) is read from the daily
pre-aggregates, whichever view shows it — dashboard, KPI list and page, command screen,
API, alerts, reports — so the same unit and period give the same number everywhere, with
the same as-of time (``freshness``). Numbers by worker, department or category have no
pre-aggregates and are computed from the records at the time of the request. ``live=True``
computes a unit's numbers from the records too: the tests that prove the pre-aggregates
exact use it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import NotFound, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import path_in_scope
from gridgov.kpis import daily as daily_aggregates
from gridgov.kpis.daily import Freshness
from gridgov.kpis.policies import Target, default_targets
from gridgov.kpis.registry import (  # noqa: F401 (kpi_get, parse_period: for the readers)
    REGISTRY,
    Kpi,
    KpiValue,
    Period,
    kpi_get,
    parse_period,
)
from gridgov.org.models import OrgUnit

UNIT_LEVELS = ("district", "street", "community", "grid")


@dataclass(frozen=True)
class Reading:
    key: object  # a unit, user, department or category id; None for the unit itself
    label: str
    value: KpiValue
    colour: str  # success / warning / danger / secondary
    code: str = ""  # the unit's code, for drilling down


def target_for(kpi: Kpi, level: str) -> tuple[Target | None, int]:
    in_force = policy_in_force("kpis.targets")
    target = in_force.value.level_overrides.get(level, {}).get(kpi.code)
    target = target or in_force.value.targets.get(kpi.code)
    # A KPI added after the policy was last saved has its default target until it is set.
    return target or default_targets().get(kpi.code), in_force.version


# What a colour means, in words (the dashboard's legend; reports write these).
COLOUR_LABELS = {
    "success": gettext_lazy("on target"),
    "warning": gettext_lazy("below target"),
    "danger": gettext_lazy("red"),
    "secondary": gettext_lazy("nothing to measure"),
}


def colour(kpi: Kpi, value: float | None, target: Target | None) -> str:
    if value is None or target is None:
        return "secondary"
    better = (lambda a, b: a >= b) if kpi.higher_is_better else (lambda a, b: a <= b)
    if better(value, target.target):
        return "success"
    if better(value, target.yellow):
        return "warning"
    return "danger"


def home_unit(user) -> OrgUnit | None:
    """The unit whose numbers a user sees first: the top of their ``kpis.view`` scope."""
    paths = user.scope_paths("kpis.view")
    return OrgUnit.objects.filter(path__in=paths).order_by("path").first() if paths else None


def _unit_in_scope(actor, unit: OrgUnit) -> None:
    if not path_in_scope(actor, unit.path, "kpis.view"):
        raise NotFound()


def freshness(period: Period) -> Freshness:
    """When the numbers of a unit for this period were computed (shown by every view)."""
    return daily_aggregates.freshness(period)


def unit_value(*, actor, kpi: Kpi, unit: OrgUnit, period: Period, live=False) -> Reading:
    """The KPI at a unit, from the pre-aggregates (``live``: from the records)."""
    _unit_in_scope(actor, unit)
    value = _live(kpi, unit, period) if live else daily_aggregates.unit_value(kpi, unit, period)
    target, _version = target_for(kpi, unit.level)
    return Reading(None, unit.name, value, colour(kpi, value.value, target))


def _scoped(kpi: Kpi, unit: OrgUnit):
    return kpi.source().filter(scope_path__startswith=unit.path)


def _live(kpi: Kpi, unit: OrgUnit, period: Period) -> KpiValue:
    """The KPI at a unit computed from the records themselves."""
    if kpi.snapshot is not None:
        return kpi.snapshot_values(unit.path, period)[None]
    return kpi.grouped(_scoped(kpi, unit), period, None)[None]


def breakdown(
    *, actor, kpi: Kpi, unit: OrgUnit, level: str, period: Period, live=False
) -> list[Reading]:
    """The KPI for each child unit (or worker, department, category) under ``unit``; units
    with nothing to measure are listed too. Units read the pre-aggregates unless ``live``;
    workers, departments and categories are always computed from the records."""
    _unit_in_scope(actor, unit)
    if level not in kpi.levels:
        raise ValidationFailed(
            details={"level": [_("This KPI has no level %(l)s.") % {"l": level}]}
        )
    target, _version = target_for(kpi, level)
    if level in UNIT_LEVELS:
        children = list(
            OrgUnit.objects.filter(path__startswith=unit.path, level=level).order_by("code")
        )
        if not live or kpi.snapshot is not None:
            if not live:
                values = daily_aggregates.values_for(kpi, children, period)
            else:
                values = kpi.snapshot_values(unit.path, period, [c.path for c in children])
            return [
                _reading(kpi, c.pk, c.name, values.get(c.path), target, c.code) for c in children
            ]
        rows = _scoped(kpi, unit)
        if level == "grid":
            values = kpi.grouped(rows, period, kpi.group_fields["grid"])
            return [_reading(kpi, c.pk, c.name, values.get(c.pk), target, c.code) for c in children]
        lengths = {len(c.path) for c in children}
        if len(lengths) == 1:
            # Children's paths have one length: group by that prefix in a single query.
            prefix = Substr("scope_path", 1, lengths.pop())
            values = kpi.grouped(rows.annotate(kpi_prefix=prefix), period, "kpi_prefix")
            return [
                _reading(kpi, c.pk, c.name, values.get(c.path), target, c.code) for c in children
            ]
        return [
            _reading(
                kpi, c.pk, c.name, kpi.grouped(_scoped(kpi, c), period, None)[None], target, c.code
            )
            for c in children
        ]
    field = kpi.group_fields.get(level)
    if field is None:
        raise ValidationFailed(
            details={"level": [_("This KPI has no level %(l)s.") % {"l": level}]}
        )
    values = kpi.grouped(_scoped(kpi, unit), period, field)
    keys = [k for k in values if k is not None]
    labels = kpi.labels(level, keys) if kpi.labels else _labels(level, keys)
    return sorted(
        (_reading(kpi, k, labels.get(k, "—"), v, target) for k, v in values.items() if k),
        key=lambda r: r.label,
    )


def _reading(kpi, key, label, value, target, code="") -> Reading:
    value = value or KpiValue(0, 0, None)
    return Reading(key, label, value, colour(kpi, value.value, target), code)


def _labels(level: str, keys: list) -> dict:
    from gridgov.accounts.models import User
    from gridgov.events.models import Category, Department

    model = {"worker": User, "department": Department, "category": Category}[level]
    return {o.pk: str(o) for o in model.objects.filter(pk__in=keys)}


def trend(
    *, actor, kpi: Kpi, unit: OrgUnit, period: Period, count: int = 6, live=False
) -> list[tuple]:
    """(period label, value) for this period and the ones before it, oldest first."""
    _unit_in_scope(actor, unit)
    periods = [period]
    for _i in range(count - 1):
        periods.append(periods[-1].previous())
    read = _live if live else daily_aggregates.unit_value
    return [(p.label, read(kpi, unit, p).value) for p in reversed(periods)]


def require_kpis(actor) -> None:
    if not actor.has_permission("kpis.view"):
        raise PermissionDenied()


@dataclass(frozen=True)
class Score:
    key: object
    label: str
    score: float | None
    grade: str
    parts: dict[str, float | None]


def kpi_score(kpi: Kpi, value: float | None, target: Target | None) -> float | None:
    """0–100: how far the value goes toward its target (100 at or beyond it)."""
    if value is None or target is None:
        return None
    if kpi.higher_is_better:
        return round(min(100.0, 100.0 * value / target.target), 2) if target.target else 100.0
    if value <= target.target:
        return 100.0
    return round(100.0 * target.target / value, 2)


def grade(score: float | None) -> str:
    if score is None:
        return "—"
    for letter, lowest in sorted(
        policy_in_force("kpis.composite").value.grades.items(), key=lambda g: -g[1]
    ):
        if score >= lowest:
            return letter
    return "E"


def composite_scores(*, actor, unit: OrgUnit, who: str, period: Period) -> list[Score]:
    """The policy-weighted composite score of each worker or department under ``unit``;
    KPIs with nothing to measure are left out and the weights of the others rescaled."""
    weights = policy_in_force("kpis.composite").value.weights.get(who)
    if not weights:
        raise ValidationFailed(details={"who": [_("No composite score for %(w)s.") % {"w": who}]})
    parts: dict[object, dict[str, float | None]] = {}
    labels: dict[object, str] = {}
    for code in weights:
        kpi = kpi_get(code)
        target, _version = target_for(kpi, who)
        for reading in breakdown(actor=actor, kpi=kpi, unit=unit, level=who, period=period):
            parts.setdefault(reading.key, {})[code] = kpi_score(kpi, reading.value.value, target)
            labels[reading.key] = reading.label
    scores = []
    for key, by_code in parts.items():
        measured = {c: v for c, v in by_code.items() if v is not None}
        total_weight = sum(weights[c] for c in measured)
        score = (
            round(sum(weights[c] * v for c, v in measured.items()) / total_weight, 2)
            if total_weight
            else None
        )
        scores.append(Score(key, labels[key], score, grade(score), by_code))
    return sorted(scores, key=lambda s: (s.score is None, -(s.score or 0), s.label))


@dataclass(frozen=True)
class Tile:
    kpi: Kpi
    reading: Reading
    previous: float | None
    delta: float | None  # change against the previous period, in the KPI's unit
    target: Target | None


def dashboard_tiles(*, actor, unit: OrgUnit, period: Period, live=False) -> list[Tile]:
    """Each KPI at the unit, with the change against the previous period."""
    _unit_in_scope(actor, unit)
    tiles = []
    before = period.previous()
    kpis = list(REGISTRY.values())
    if not live:
        now, then = (daily_aggregates.unit_values(kpis, unit, p) for p in (period, before))
    for kpi in kpis:
        value = _live(kpi, unit, period) if live else now[kpi.code]
        target, _version = target_for(kpi, unit.level)
        reading = Reading(None, unit.name, value, colour(kpi, value.value, target))
        previous = (_live(kpi, unit, before) if live else then[kpi.code]).value
        delta = (
            round(reading.value.value - previous, 2)
            if reading.value.value is not None and previous is not None
            else None
        )
        tiles.append(Tile(kpi, reading, previous, delta, target))
    return tiles


def ranking(rows: list[Reading], kpi: Kpi, size: int = 3) -> tuple[list, list]:
    """The best and the worst ``size`` of sibling units that have a value."""
    measured = [r for r in rows if r.value.value is not None]
    ordered = sorted(measured, key=lambda r: r.value.value, reverse=kpi.higher_is_better)
    return ordered[:size], list(reversed(ordered[-size:])) if len(ordered) > size else []


def own_readings(*, user, period: Period) -> dict[str, list[tuple[Kpi, Reading]]]:
    """A person's own numbers: as the assignee of events, and for each department they
    belong to (the KPIs that group by worker or department)."""
    out: dict[str, list[tuple[Kpi, Reading]]] = {}
    sections = [(str(user), "worker", {"assignee": user})]
    sections += [(d.name, "department", {"department": d}) for d in user.departments.all()]
    for label, level, lookup in sections:
        readings = []
        for kpi in REGISTRY.values():
            if level not in kpi.group_fields:
                continue
            value = kpi.grouped(kpi.source().filter(**lookup), period, None)[None]
            target, _version = target_for(kpi, level)
            readings.append((kpi, Reading(None, label, value, colour(kpi, value.value, target))))
        out[label] = readings
    return out
