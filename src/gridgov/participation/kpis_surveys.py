"""The survey KPIs (问卷回收率, 满意度, 认知度, 信任评分), registered with the KPI registry;
nothing else computes them (docs/kpis.md, docs/participation.md).

The response rate counts the audience frozen at publication (one target row per person or
household under its grid) and the rows answered; the others count the answers of verified
respondents to the questions marked with the indicator (unverified answers through an open
link are kept in a survey's results but never in a KPI)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, FloatField, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.policies import policy_get
from gridgov.kpis.registry import Kpi, Period, register
from gridgov.participation.models import SurveyAnswer, SurveyTarget

UNIT_LEVELS = ("district", "street", "community", "grid")
GROUPS = {"grid": "unit_id"}


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _records(unit_code: str, period: Period) -> str:
    return reverse("participation:survey_list")


def _answers(measure: str):
    def rows():
        return SurveyAnswer.objects.filter(measures=measure, number__isnull=False)

    return rows


def _kpi(**kwargs) -> Kpi:
    kwargs.setdefault("higher_is_better", True)
    return register(
        Kpi(
            capability="participation",
            levels=UNIT_LEVELS,
            group_fields=GROUPS,
            records=_records,
            **kwargs,
        )
    )


RESPONSE_RATE = _kpi(
    code="participation.survey_response_rate",
    name=_("Survey response rate (问卷回收率)"),
    definition=_(
        "Of the people (or households) a survey published in the period was meant for — "
        "counted from the registry when it was published — the share who answered."
    ),
    formula=_("responses ÷ audience frozen at publication"),
    unit="%",
    source=lambda: SurveyTarget.objects.all(),
    date_field="published_at",
    denominator=lambda p: _in("published_at", p),
    numerator=lambda p: Q(answered_at__isnull=False),
)
SATISFACTION = _kpi(
    code="participation.survey_satisfaction",
    name=_("Satisfaction (满意度)"),
    definition=_(
        "Of the answers given in the period to 1–5 satisfaction questions, the share of 4 or "
        "5 (the policy's “satisfied from”)."
    ),
    formula=_("answers of 4–5 ÷ answers"),
    unit="%",
    source=_answers("satisfaction"),
    date_field="answered_at",
    denominator=lambda p: _in("answered_at", p),
    numerator=lambda p: Q(number__gte=policy_get("participation.surveys").satisfied_from),
)
AWARENESS = _kpi(
    code="participation.awareness",
    name=_("Awareness of grid services (认知度)"),
    definition=_(
        "Of the residents who answered the awareness question in the period, the share who "
        "named at least three of their grid's services (the policy's number)."
    ),
    formula=_("respondents naming ≥ 3 services ÷ respondents"),
    unit="%",
    source=_answers("awareness"),
    date_field="answered_at",
    denominator=lambda p: _in("answered_at", p),
    numerator=lambda p: Q(number__gte=policy_get("participation.surveys").awareness_services),
)
# An average KPI reads its expression as microseconds (the registry's durations); a score
# times 10⁶ with scale 1 is the mean score itself.
TRUST = _kpi(
    code="participation.trust",
    name=_("Trust score (信任评分)"),
    definition=_("The mean of the 0–100 trust scores given in the period."),
    formula=_("mean of the scores"),
    unit=_("score points"),
    scale=1.0,
    source=_answers("trust"),
    date_field="answered_at",
    denominator=lambda p: _in("answered_at", p),
    duration=lambda: Cast(F("number"), FloatField()) * 1_000_000.0,
)


def survey_period(survey) -> Period | None:
    """The instant the survey's audience was frozen: a survey's own response rate is the
    registry KPI read over its target rows in that instant."""
    if survey.published_at is None:
        return None
    return Period("day", survey.published_at, survey.published_at + timedelta(microseconds=1))
