"""The visits' KPIs (入户覆盖率, 复核率, 抽查比例, 采集准确率, 拒访率, 更新滞后率, 按时走访率),
registered with the KPI registry; nothing else computes them. Per-collector accuracy is
``selectors.collector_accuracy``; the registry's worker level means a task's assignee, so
only 按时走访率 is read per worker. Targets and colours are the
``kpis.targets`` policy; a red 拒访率 (above 30 % by default) is alerted to the community
and its street by the KPI alert job like every other red KPI.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core.policies import policy_get
from gridgov.kpis.registry import Board, BoardColumn, Kpi, Period, register, register_board
from gridgov.people.models import Household
from gridgov.visits.models import (
    FREQUENCY_DAYS,
    Indicator,
    IndicatorFreshness,
    SpotCheck,
    Visit,
    VisitTask,
)

UNIT_LEVELS = ("district", "street", "community", "grid")
WITH_WORKER = (*UNIT_LEVELS, "worker")
VISITED = [Visit.Outcome.COMPLETED, Visit.Outcome.PARTIAL]


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _households(prefix: str, as_of):
    return Household.objects.filter(scope_path__startswith=prefix, created_at__lt=as_of).exclude(
        status=Household.Status.MOVED_OUT
    )


def _per_grid(rows, numerator: Q) -> dict[str, list]:
    counted = rows.values("scope_path").annotate(n=Count("pk"), num=Count("pk", filter=numerator))
    return {r["scope_path"]: [r["num"], r["n"]] for r in counted.order_by()}


def coverage(prefix: str, as_of) -> dict[str, list]:
    """Households on file with a completed (or partly completed) visit within the cycle."""
    cycle = policy_get("visits.cycle").household_reverify_days
    visited = Visit.objects.filter(
        household=OuterRef("pk"),
        outcome__in=VISITED,
        ended_at__lt=as_of,
        ended_at__gte=as_of - timedelta(days=cycle),
    ).exclude(state=Visit.State.RETURNED)
    rows = _households(prefix, as_of).annotate(visited=Exists(visited))
    return _per_grid(rows, Q(visited=True))


def staleness(prefix: str, as_of) -> dict[str, list]:
    """Households on file with a required indicator verified longer ago than its
    frequency, or never."""
    required = list(Indicator.objects.filter(is_active=True, required=True))
    if not required:
        return _per_grid(_households(prefix, as_of), Q(pk__in=[]))
    fresh_q = Q()
    for frequency, days in FREQUENCY_DAYS.items():
        fresh_q |= Q(indicator__frequency=frequency, verified_at__gte=as_of - timedelta(days=days))
    fresh = (
        IndicatorFreshness.objects.filter(
            household=OuterRef("pk"), indicator__in=required, verified_at__lt=as_of
        )
        .filter(fresh_q)
        .order_by()
        .values("household")
        .annotate(c=Count("pk"))
        .values("c")
    )
    rows = _households(prefix, as_of).annotate(
        fresh=Coalesce(Subquery(fresh, output_field=IntegerField()), Value(0))
    )
    return _per_grid(rows, Q(fresh__lt=len(required)))


def _records(name: str):
    def link(unit_code: str, period: Period) -> str:
        return f"{reverse(name)}?{urlencode({'unit': unit_code})}"

    return link


def _visits():
    return Visit.objects.all()


register(
    Kpi(
        code="visits.coverage",
        name=_("Household visit coverage (入户覆盖率)"),
        definition=_(
            "Of the households on file, the share with a completed or partly completed visit "
            "within the visit cycle (policy “Visit cycle”, 90 days by default) before the end of "
            "the period."
        ),
        formula=_("households visited within the cycle ÷ households on file"),
        unit="%",
        higher_is_better=True,
        levels=UNIT_LEVELS,
        capability="visits",
        snapshot=coverage,
        records=_records("visits:today"),
    )
)
register(
    Kpi(
        code="visits.review_rate",
        name=_("Review rate (复核率)"),
        definition=_(
            "Of the visit records submitted in the period, the share a second person has "
            "reviewed (双人复核)."
        ),
        formula=_("records reviewed ÷ records submitted"),
        unit="%",
        higher_is_better=True,
        levels=UNIT_LEVELS,
        capability="visits",
        source=_visits,
        date_field="submitted_at",
        denominator=lambda p: _in("submitted_at", p),
        numerator=lambda p: Q(reviewed_at__isnull=False),
        group_fields={"grid": "household__grid_id"},
        records=_records("visits:review_queue"),
    )
)
register(
    Kpi(
        code="visits.spot_check_rate",
        name=_("Spot-check share (抽查比例)"),
        definition=_(
            "Of the visited households whose record passed review in the period, the share "
            "drawn for a spot check."
        ),
        formula=_("visits spot-checked ÷ visits passed"),
        unit="%",
        higher_is_better=True,
        levels=UNIT_LEVELS,
        capability="visits",
        source=_visits,
        date_field="ended_at",
        denominator=lambda p: (
            _in("ended_at", p) & Q(state=Visit.State.APPROVED, outcome__in=VISITED)
        ),
        numerator=lambda p: Q(spot_checked=True),
        group_fields={"grid": "household__grid_id"},
    )
)
register(
    Kpi(
        code="visits.accuracy",
        name=_("Collection accuracy (采集准确率)"),
        definition=_(
            "Of the spot checks recorded in the period, the share whose every checked field "
            "matched the household's situation."
        ),
        formula=_("spot checks matching ÷ spot checks recorded"),
        unit="%",
        higher_is_better=True,
        levels=UNIT_LEVELS,
        capability="visits",
        source=lambda: SpotCheck.objects.all(),
        date_field="checked_at",
        denominator=lambda p: _in("checked_at", p),
        numerator=lambda p: Q(result=SpotCheck.Result.MATCH),
        group_fields={"grid": "visit__household__grid_id"},
    )
)
register(
    Kpi(
        code="visits.refusal_rate",
        name=_("Refusal rate (拒访率)"),
        definition=_(
            "Of the visit attempts in the period, the share the household refused. Above the "
            "target (30 % by default) the community and its street are alerted."
        ),
        formula=_("visits refused ÷ visit attempts"),
        unit="%",
        higher_is_better=False,
        levels=UNIT_LEVELS,
        capability="visits",
        source=_visits,
        date_field="ended_at",
        denominator=lambda p: _in("ended_at", p),
        numerator=lambda p: Q(outcome=Visit.Outcome.REFUSED),
        group_fields={"grid": "household__grid_id"},
    )
)
register(
    Kpi(
        code="visits.staleness",
        name=_("Update lag rate (更新滞后率)"),
        definition=_(
            "Of the households on file, the share with a required indicator verified longer "
            "ago than its update frequency, or never."
        ),
        formula=_("households with an out-of-date indicator ÷ households on file"),
        unit="%",
        higher_is_better=False,
        levels=UNIT_LEVELS,
        capability="visits",
        snapshot=staleness,
        records=_records("visits:today"),
    )
)
register(
    Kpi(
        code="visits.on_time",
        name=_("On-time visit rate (按时走访率)"),
        definition=_("Of the visit tasks done in the period, the share done by their due date."),
        formula=_("tasks done by the due date ÷ tasks done"),
        unit="%",
        higher_is_better=True,
        levels=WITH_WORKER,
        capability="visits",
        source=lambda: VisitTask.objects.all(),
        date_field="closed_at",
        denominator=lambda p: _in("closed_at", p) & Q(status=VisitTask.Status.DONE),
        numerator=lambda p: Q(closed_at__date__lte=F("due_date")),
        group_fields={"grid": "household__grid_id", "worker": "assignee_id"},
    )
)


def _backlog(index: int):
    def values(actor, paths: list[str], as_of) -> dict:
        from gridgov.visits.selectors import review_backlog

        return {
            p: v[index] for p, v in review_backlog(actor=actor, paths=paths, as_of=as_of).items()
        }

    return values


# 入户走访调度看板 (「周调度、月通报」): each community's figures of the registry's KPIs, coloured
# by their targets, with the review backlog; its monthly bulletin is made in the report centre.
register_board(
    Board(
        code="visits",
        name=_("Household visit campaign board (入户走访调度看板)"),
        bulletin_name=_("Household visits monthly bulletin (入户走访月通报)"),
        kpis=(
            "visits.coverage",
            "visits.review_rate",
            "visits.refusal_rate",
            "visits.staleness",
            "visits.accuracy",
        ),
        columns=(
            BoardColumn(
                "backlog",
                _("Waiting for review"),
                pgettext_lazy("count of records", "records"),
                _backlog(0),
            ),
            BoardColumn(
                "backlog_age",
                _("Oldest waiting"),
                pgettext_lazy("unit of time", "days"),
                _backlog(1),
            ),
        ),
        ranked_by="visits.coverage",
        permission="visits.view",
    )
)
