"""Surveys 调研 — the reads: lists in scope, the surveys a resident is asked to answer, the
surveys a grid worker may enter answers for, and the results by unit with small cells
suppressed (``core.aggregates``). Results never carry a respondent; text answers are read
only by staff who run surveys (``participation.manage``) and never with who wrote them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.aggregates import Cell, min_cell, suppress_counts, suppress_table, suppressed_mean
from gridgov.core.errors import NotFound, PermissionDenied
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.org.models import OrgUnit
from gridgov.participation.kpis_surveys import RESPONSE_RATE, survey_period
from gridgov.participation.models import (
    Question,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyTarget,
)

K = Question.Kind


def survey_list(*, actor, state: str = "", q: str = ""):
    rows = Survey.objects.visible_to(actor, "view").select_related("org_unit")
    if state in Survey.State.values:
        rows = rows.filter(state=state)
    if q:
        rows = rows.filter(title__icontains=q[:60])
    return rows.annotate(response_count=Count("responses"))


def survey_get(*, actor, uid, action: str = "view") -> Survey:
    return access_object(actor, Survey.objects.select_related("org_unit"), action, uid=uid)


def surveys_for_assist(*, actor):
    """Open surveys with people in the worker's area to ask (door to door, phone, 代填)."""
    targets = SurveyTarget.objects.visible_to(actor, "assist")
    today = timezone.localdate()
    return (
        Survey.objects.filter(
            pk__in=targets.values("survey_id"),
            state=Survey.State.PUBLISHED,
            opens_on__lte=today,
            closes_on__gte=today,
        )
        .select_related("org_unit")
        .order_by("closes_on", "pk")
    )


def survey_for_assist(*, actor, uid) -> Survey:
    try:
        return surveys_for_assist(actor=actor).get(uid=uid)
    except (Survey.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def assist_residents(*, actor, survey: Survey, q: str = ""):
    """Residents of the worker's area the survey is meant for who have not answered yet
    (looked up by name; shown masked on the page)."""
    from gridgov.participation.selectors_deliberation import assistable_residents
    from gridgov.participation.services_surveys import respondent_key

    rows = assistable_residents(actor=actor, q=q)
    open_keys = set(
        SurveyTarget.objects.filter(survey=survey, answered_at__isnull=True).values_list(
            "respondent_key", flat=True
        )
    )
    return [r for r in rows[:400] if respondent_key(survey, r) in open_keys][:50]


def surveys_for_resident(*, resident) -> list[tuple[Survey, bool]]:
    """(survey, answered) for the published surveys meant for the resident (or household)."""
    from gridgov.participation.services_surveys import respondent_key

    today = timezone.localdate()
    surveys = Survey.objects.filter(
        state=Survey.State.PUBLISHED,
        opens_on__lte=today,
        closes_on__gte=today,
        targets__scope_path=resident.household.scope_path,
    ).distinct()
    found = []
    for survey in surveys.order_by("closes_on", "pk"):
        target = SurveyTarget.objects.filter(
            survey=survey, respondent_key=respondent_key(survey, resident)
        ).first()
        if target is not None:
            found.append((survey, target.answered_at is not None))
    return found


def survey_for_resident(*, resident, uid) -> Survey:
    for survey, _answered in surveys_for_resident(resident=resident):
        if str(survey.uid) == str(uid):
            return survey
    raise NotFound()


# Results ------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: Question
    options: list[tuple[str, str]] = field(default_factory=list)  # (code, label)
    overall: dict[str, Cell] = field(default_factory=dict)
    answered: Cell | None = None
    table: object = None  # aggregates.Table by unit × option
    mean: dict | None = None
    unit_means: dict = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    survey: Survey
    minimum: int
    responses: Cell
    unverified: int
    target: int
    rate: float | None
    units: list[tuple[object, str]]  # (key, label)
    unit_responses: dict
    unit_targets: dict
    unit_rates: dict
    questions: list[QuestionResult]
    can_read_text: bool


def _unit_labels(keys) -> dict:
    names = dict(OrgUnit.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    names[None] = _("open link (unverified)")
    return names


def survey_results(*, actor, survey: Survey) -> Results:
    """Counts by unit and option, small cells hidden; the response rate from the KPI
    registry, hidden with its count."""
    minimum = min_cell()
    targets = dict(
        SurveyTarget.objects.filter(survey=survey)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    responses = dict(
        SurveyResponse.objects.filter(survey=survey)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    keys = sorted(set(targets) | set(responses), key=lambda k: (k is None, k or 0))
    labels = _unit_labels(keys)
    units = sorted(((k, labels.get(k, "—")) for k in keys), key=lambda u: (u[0] is None, u[1]))
    unit_cells = suppress_counts({k: responses.get(k, 0) for k in keys}, minimum=minimum)
    total = sum(responses.values())
    total_cell = Cell(total, 0 < total < minimum, "small" if 0 < total < minimum else "")
    period = survey_period(survey)
    rates: dict = {}
    rate = None
    if period is not None:
        rows = SurveyTarget.objects.filter(survey=survey)
        grouped = RESPONSE_RATE.grouped(rows, period, "unit_id")
        rates = {k: (None if unit_cells[k].suppressed else v.value) for k, v in grouped.items()}
        overall = RESPONSE_RATE.grouped(rows, period, None)[None]
        rate = None if total_cell.suppressed else overall.value
    can_read_text = path_in_scope(actor, survey.scope_path, "participation.manage")
    questions = [
        _question_result(q, keys, minimum, can_read_text and survey.state != Survey.State.DRAFT)
        for q in survey.questions.all()
    ]
    return Results(
        survey=survey,
        minimum=minimum,
        responses=total_cell,
        unverified=responses.get(None, 0),
        target=survey.target_count or 0,
        rate=rate,
        units=units,
        unit_responses=unit_cells,
        unit_targets=targets,
        unit_rates=rates,
        questions=questions,
        can_read_text=can_read_text,
    )


def _question_result(q: Question, unit_keys, minimum: int, with_text: bool) -> QuestionResult:
    result = QuestionResult(question=q)
    answers = SurveyAnswer.objects.filter(question=q)
    answered = dict(answers.values("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
    n = sum(answered.values())
    result.answered = Cell(n, 0 < n < minimum, "small" if 0 < n < minimum else "")
    if q.kind in (K.SINGLE, K.MULTIPLE, K.SCALE5):
        if q.kind == K.SCALE5:
            result.options = [(str(i), str(i)) for i in range(1, 6)]
        else:
            result.options = [(o["code"], o["label"]) for o in q.options]
        counts: dict = defaultdict(lambda: defaultdict(int))
        if q.kind == K.SCALE5:
            rows = answers.values("unit_id", "number").annotate(n=Count("pk"))
            for row in rows:
                counts[row["unit_id"]][str(row["number"])] += row["n"]
        else:
            for unit_id, choices in answers.values_list("unit_id", "choices").iterator():
                for code in choices or []:
                    counts[unit_id][code] += 1
        codes = [c for c, _label in result.options]
        rows_by_unit = {k: dict(counts.get(k, {})) for k in unit_keys if answered.get(k)}
        if rows_by_unit:
            result.table = suppress_table(
                rows_by_unit,
                columns=codes,
                row_totals=None if q.kind != K.MULTIPLE else {k: answered[k] for k in rows_by_unit},
                minimum=minimum,
            )
            result.overall = result.table.column_totals
    elif q.kind in (K.SCALE100, K.NUMBER):
        sums = dict(answers.values("unit_id").annotate(s=Sum("number")).values_list("unit_id", "s"))
        result.mean = suppressed_mean(sum(v or 0 for v in sums.values()), n, minimum=minimum)
        # A unit's mean hides with its count, complements included: the overall mean and
        # the other units' means would otherwise give a small unit's mean back.
        counts = suppress_counts(
            {k: answered[k] for k in unit_keys if answered.get(k)}, minimum=minimum
        )
        result.unit_means = {
            k: suppressed_mean(sums.get(k) or 0, cell.count, minimum=minimum)
            if not cell.suppressed
            else {"value": None, "suppressed": True, "reason": cell.reason, "count": None}
            for k, cell in counts.items()
        }
    elif q.kind == K.TEXT and with_text:
        # Sorted, never in the order given: the order would line answers up with time.
        result.texts = sorted(t for t in answers.values_list("text", flat=True) if t)
    return result


def text_answers_allowed(*, actor, survey: Survey) -> None:
    if not path_in_scope(actor, survey.scope_path, "participation.manage"):
        raise PermissionDenied()


def chart_data(results: Results) -> list[dict]:
    """What the results page's charts draw: the published counts (hidden cells as null)."""
    charts = []
    for r in results.questions:
        if not r.overall:
            continue
        charts.append(
            {
                "id": f"chart-q{r.question.pk}",
                "title": r.question.text,
                "labels": [
                    f"{label} (—)" if r.overall[code].suppressed else label
                    for code, label in r.options
                ],
                "values": [r.overall[code].value for code, _label in r.options],
            }
        )
    return charts
