"""KPI definitions and scoped values."""

from django.utils.translation import gettext as _
from ninja import Schema

from gridgov.core.api_support import PermissionRouter, api_requires
from gridgov.core.errors import NotFound
from gridgov.kpis import services
from gridgov.kpis.registry import REGISTRY
from gridgov.kpis.views import home_unit
from gridgov.org.models import OrgUnit

router = PermissionRouter(tags=["kpis"])


class KpiOut(Schema):
    code: str
    name: str
    definition: str
    formula: str
    unit: str
    higher_is_better: bool
    levels: list[str]
    periods: list[str]
    target: float | None
    yellow: float | None


class ValueOut(Schema):
    key: str | None
    label: str
    value: float | None
    numerator: float
    denominator: int
    colour: str


class ValuesOut(Schema):
    code: str
    unit: str
    period: str
    level: str
    policy_version: int
    total: ValueOut
    items: list[ValueOut]


def _value(reading) -> ValueOut:
    return ValueOut(
        key=str(reading.key) if reading.key is not None else None,
        label=reading.label,
        value=reading.value.value,
        numerator=reading.value.numerator,
        denominator=reading.value.denominator,
        colour=reading.colour,
    )


@router.get("/kpis", response=list[KpiOut])
@api_requires("kpis.view")
def kpi_list(request):
    out = []
    for kpi in REGISTRY.values():
        target, _version = services.target_for(kpi, "")
        out.append(
            KpiOut(
                code=kpi.code,
                name=str(kpi.name),
                definition=str(kpi.definition),
                formula=str(kpi.formula),
                unit=kpi.unit,
                higher_is_better=kpi.higher_is_better,
                levels=list(kpi.levels),
                periods=list(kpi.periods),
                target=target.target if target else None,
                yellow=target.yellow if target else None,
            )
        )
    return out


@router.get("/kpis/{code}/values", response=ValuesOut)
@api_requires("kpis.view")
def kpi_values(
    request, code: str, unit: str = "", level: str = "", period: str = "month", date: str = ""
):
    kpi = services.kpi_get(code)
    scope = OrgUnit.objects.filter(code=unit[:20]).first() if unit else home_unit(request.user)
    if scope is None:
        raise NotFound(_("Unknown unit."))
    when = services.parse_period(period[:10], date[:10])
    total = services.unit_value(actor=request.user, kpi=kpi, unit=scope, period=when)
    items = []
    if level:
        items = services.breakdown(
            actor=request.user, kpi=kpi, unit=scope, level=level[:12], period=when
        )
    _target, version = services.target_for(kpi, scope.level)
    return ValuesOut(
        code=kpi.code,
        unit=kpi.unit,
        period=when.label,
        level=level,
        policy_version=version,
        total=_value(total),
        items=[_value(r) for r in items],
    )


class ScoreOut(Schema):
    key: str
    label: str
    score: float | None
    grade: str
    parts: dict[str, float | None]


@router.get("/kpis/scores", response=list[ScoreOut])
@api_requires("kpis.view")
def kpi_scores(request, who: str = "worker", unit: str = "", period: str = "month", date: str = ""):
    scope = OrgUnit.objects.filter(code=unit[:20]).first() if unit else home_unit(request.user)
    if scope is None:
        raise NotFound(_("Unknown unit."))
    when = services.parse_period(period[:10], date[:10])
    return [
        ScoreOut(key=str(s.key), label=s.label, score=s.score, grade=s.grade, parts=s.parts)
        for s in services.composite_scores(
            actor=request.user, unit=scope, who=who[:12], period=when
        )
    ]
