"""KPI definitions and scoped values."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema

from gridgov.core.api_support import Limit, Offset, PermissionRouter, api_requires, line, page_slice
from gridgov.core.errors import NotFound
from gridgov.core.replica import replica_reads
from gridgov.core.scoping import access_object
from gridgov.kpis import alerts, boards, services
from gridgov.kpis.models import KpiAlert
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
    # When the unit's figures were computed (the daily figures every view reads); null
    # before the first computation.
    as_of: datetime | None
    complete: bool  # every day of the period (up to today) has been computed
    total: ValueOut
    items: list[ValueOut]
    # Workers, departments and categories are computed from the records at the request.
    items_as_of: datetime | None


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
                unit=str(kpi.unit),
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
@replica_reads
def kpi_values(
    request,
    code: line(60),
    unit: line(20) = "",
    level: line(12) = "",
    period: line(10) = "month",
    date: line(10) = "",
):
    kpi = services.kpi_get(code)
    scope = OrgUnit.objects.filter(code=unit[:20]).first() if unit else home_unit(request.user)
    if scope is None:
        raise NotFound(_("Unknown unit."))
    when = services.parse_period(period, date)
    total = services.unit_value(actor=request.user, kpi=kpi, unit=scope, period=when)
    freshness = services.freshness(when)
    items = []
    items_as_of = None
    if level:
        items = services.breakdown(
            actor=request.user, kpi=kpi, unit=scope, level=level[:12], period=when
        )
        items_as_of = freshness.as_of if level in services.UNIT_LEVELS else timezone.now()
    _target, version = services.target_for(kpi, scope.level)
    return ValuesOut(
        code=kpi.code,
        unit=str(kpi.unit),
        period=when.label,
        level=level,
        policy_version=version,
        as_of=freshness.as_of,
        complete=freshness.complete,
        total=_value(total),
        items=[_value(r) for r in items],
        items_as_of=items_as_of,
    )


class ScoreOut(Schema):
    key: str
    label: str
    score: float | None
    grade: str
    parts: dict[str, float | None]


@router.get("/kpis/scores", response=list[ScoreOut])
@api_requires("kpis.view")
@replica_reads
def kpi_scores(
    request,
    who: line(20) = "worker",
    unit: line(20) = "",
    period: line(10) = "month",
    date: line(10) = "",
):
    scope = OrgUnit.objects.filter(code=unit[:20]).first() if unit else home_unit(request.user)
    if scope is None:
        raise NotFound(_("Unknown unit."))
    when = services.parse_period(period, date)
    return [
        ScoreOut(key=str(s.key), label=s.label, score=s.score, grade=s.grade, parts=s.parts)
        for s in services.composite_scores(
            actor=request.user, unit=scope, who=who[:12], period=when
        )
    ]


class AlertOut(Schema):
    id: int
    unit: str
    unit_name: str
    kpi: str
    period: str
    value: float
    target: float | None
    created_at: datetime
    acknowledged: bool
    note: str

    @staticmethod
    def resolve_unit(obj):
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name

    @staticmethod
    def resolve_kpi(obj):
        return obj.kpi_code

    @staticmethod
    def resolve_period(obj):
        return obj.period_label

    @staticmethod
    def resolve_acknowledged(obj):
        return obj.acknowledged_at is not None


class AckIn(Schema):
    note: line(500)


@router.get("/alerts", response=list[AlertOut])
@api_requires("kpis.view")
def alert_list(request, open_only: bool = False, offset: Offset = 0, limit: Limit = 50):
    qs = KpiAlert.objects.visible_to(request.user).select_related("unit")
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    items, _limit, _offset = page_slice(qs, offset, limit)
    return list(items)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut)
@api_requires("kpis.view")
def alert_acknowledge(request, alert_id: int, payload: AckIn):
    alert = access_object(request.user, KpiAlert.objects.select_related("unit"), pk=alert_id)
    return alerts.alert_acknowledge(actor=request.user, alert=alert, note=payload.note)


class BoardKpiOut(Schema):
    code: str
    name: str
    unit: str
    higher_is_better: bool
    target: float | None  # the rows' target (the unit one level down)


class BoardColumnOut(Schema):
    code: str
    name: str
    unit: str


class BoardCellOut(Schema):
    value: float | None
    numerator: float
    denominator: int
    colour: str


class BoardRowOut(Schema):
    unit: str
    name: str
    level: str
    total: bool  # the unit asked for (the other rows are one level down)
    values: dict[str, BoardCellOut]
    columns: dict[str, float | None]
    off_target: list[str]


class BoardOut(Schema):
    board: str
    unit: str
    unit_name: str
    level: str
    period: str
    period_kind: str
    policy_version: int
    as_of: datetime | None
    complete: bool
    kpis: list[BoardKpiOut]
    columns: list[BoardColumnOut]
    rows: list[BoardRowOut]
    ranking: list[str]  # the rows' unit codes, best first by the ranking KPI
    summary: list[str]


def _board_out(data) -> BoardOut:
    def row(r, total: bool) -> BoardRowOut:
        return BoardRowOut(
            unit=r.unit.code,
            name=r.unit.name,
            level=r.unit.level,
            total=total,
            values={
                code: BoardCellOut(
                    value=x.value.value,
                    numerator=x.value.numerator,
                    denominator=x.value.denominator,
                    colour=x.colour,
                )
                for code, x in r.readings.items()
            },
            columns=r.columns if data.show_columns else {},
            off_target=r.off_target,
        )

    return BoardOut(
        board=data.board.code,
        unit=data.unit.code,
        unit_name=data.unit.name,
        level=data.level,
        period=data.period.label,
        period_kind=data.period.kind,
        policy_version=data.policy_version,
        as_of=data.freshness.as_of,
        complete=data.freshness.complete,
        kpis=[
            BoardKpiOut(
                code=k.code,
                name=str(k.name),
                unit=str(k.unit),
                higher_is_better=k.higher_is_better,
                target=t.target if t else None,
            )
            for k, t in data.headers
        ],
        columns=[
            BoardColumnOut(code=c.code, name=str(c.name), unit=str(c.unit))
            for c in (data.board.columns if data.show_columns else ())
        ],
        rows=[row(data.total, True)] + [row(r, False) for r in data.rows],
        ranking=[r.unit.code for r in data.ranked],
        summary=boards.sentences(data),
    )


@router.get("/visit-board", response=BoardOut)
@api_requires("kpis.view")
@replica_reads
def visit_board(request, unit: line(20) = "", period: line(10) = "week", date: line(10) = ""):
    """入户走访调度看板: the unit's and each unit one level down's figures of the visits'
    KPIs (the registry's values and colours) and their review backlog; 404 outside scope."""
    from gridgov.kpis.views_boards import board_unit

    board = boards.board_get_by_code("visits")
    scope = board_unit(request.user, unit)
    when = boards.board_period(board, period, date)
    return _board_out(boards.board_read(actor=request.user, board=board, unit=scope, period=when))
