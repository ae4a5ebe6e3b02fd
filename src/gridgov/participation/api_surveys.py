"""The surveys API (调研): surveys in scope, the builder (questions, standard questions, skip
rules), publish and close, responses (a resident's own or entered by a grid worker) and the
results with small cells suppressed — the same services and selectors as the pages."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.participation import selectors_surveys as selectors
from gridgov.participation import services_surveys as services
from gridgov.participation.models import Question, Survey

router = PermissionRouter(tags=["participation"])


class SurveyOut(Schema):
    uid: UUID
    title: str
    purpose: str
    state: str
    unit: str
    opens_on: date
    closes_on: date
    anonymous: bool
    per: str
    public_link: bool
    target_count: int | None
    published_version: int
    published_at: datetime | None
    version: int
    subject_type: str
    subject_id: str

    @staticmethod
    def resolve_unit(obj):
        return obj.org_unit.code


class QuestionOut(Schema):
    id: int
    position: int
    kind: str
    text: str
    help_text: str
    required: bool
    options: list[dict]
    measures: str
    show_if: int | None
    show_if_values: list[str]

    @staticmethod
    def resolve_show_if(obj):
        return obj.show_if_id


class SurveyDetailOut(SurveyOut):
    intro: str
    audience_units: list[str]
    audience_tags: list[str]
    age_min: int | None
    age_max: int | None
    questions: list[QuestionOut]

    @staticmethod
    def resolve_audience_units(obj):
        return [u.code for u in obj.audience_units.all()]

    @staticmethod
    def resolve_questions(obj):
        return list(obj.questions.all())


class SurveyPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[SurveyOut]


class SurveyIn(Schema):
    """A draft survey. ``unit``: the code of the unit running it (in your scope);
    ``purpose``: needs, satisfaction, awareness, trust or other; ``per``: resident or
    household; ``public_link`` only for an anonymous survey; the audience: ``audience_units``
    (codes inside the unit; none = the whole unit), ``audience_tags`` (people tag codes, any
    of them), ``age_min``/``age_max``."""

    unit: line(20)
    title: line(120)
    purpose: line(14)
    intro: lines(2000) = ""
    opens_on: date
    closes_on: date
    anonymous: bool = False
    per: line(10) = "resident"
    public_link: bool = False
    audience_units: list[line(20)] = []
    audience_tags: list[line(40)] = []
    age_min: int | None = None
    age_max: int | None = None


class SurveyChangeIn(Schema):
    title: line(120)
    purpose: line(14)
    intro: lines(2000) = ""
    opens_on: date
    closes_on: date
    anonymous: bool = False
    per: line(10) = "resident"
    public_link: bool = False
    audience_units: list[line(20)] = []
    audience_tags: list[line(40)] = []
    age_min: int | None = None
    age_max: int | None = None
    version: Version


class QuestionIn(Schema):
    """A question, or ``template`` (awareness, trust, satisfaction) for a standard one.
    ``kind``: single, multiple, scale5, scale100, number, text; ``options`` (choice kinds):
    labels, or {code, label}; ``show_if``: the id of an earlier question and
    ``show_if_values`` the answers (option codes or numbers) that show this one."""

    template: line(14) = ""
    kind: line(10) = ""
    text: line(300) = ""
    help_text: line(300) = ""
    required: bool = True
    options: list[Any] = []
    measures: line(14) = ""
    show_if: int | None = None
    show_if_values: list[line(20)] = []
    move: line(4) = ""


class ActionIn(Schema):
    """``publish`` (freezes the questions and the audience) or ``close``."""

    action: line(10)
    version: Version


class ResponseIn(Schema):
    """``answers``: {question id: answer} — an option code (single), a list of codes
    (multiple), a whole number (scales, counts) or text. A resident answers for themselves
    (``channel`` h5 or qr); a grid worker names the ``resident`` (uid) and the ``channel``
    (door, phone, proxy = 代填) and is recorded as the assisting person."""

    answers: dict[str, Any]
    channel: line(6) = "h5"
    resident: UUID | None = None


class ResponseOut(Schema):
    uid: UUID
    survey_version: int
    channel: str
    created_at: datetime


class CellOut(Schema):
    value: int | None
    suppressed: bool
    reason: str


class UnitResultOut(Schema):
    unit: str
    target: int
    responses: CellOut
    rate: float | None


class OptionOut(Schema):
    code: str
    label: str
    count: CellOut


class QuestionResultOut(Schema):
    id: int
    text: str
    kind: str
    answered: CellOut
    options: list[OptionOut]
    mean: dict | None
    texts: list[str]


class ResultsOut(Schema):
    min_cell: int
    target: int
    responses: CellOut
    unverified: int
    rate: float | None
    units: list[UnitResultOut]
    questions: list[QuestionResultOut]


def _survey(request, uid: UUID, action: str = "view") -> Survey:
    return selectors.survey_get(actor=request.user, uid=uid, action=action)


def _question(survey: Survey, qid: int) -> Question:
    question = survey.questions.filter(pk=qid).first()
    if question is None:
        raise NotFound()
    return question


@router.get("/participation/surveys", response=SurveyPage)
@api_requires("participation.view")
def survey_list(
    request, state: line(10) = "", q: line(60) = "", offset: Offset = 0, limit: Limit = 50
):
    qs = selectors.survey_list(actor=request.user, state=state, q=q)
    items, limit, offset = page_slice(qs, offset, limit)
    return SurveyPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


class SatisfactionIn(Schema):
    """A satisfaction survey about one record: ``subject_type`` ``lists.resource`` (its
    uid) or ``org.orgunit`` (a street's, community's or grid's code: its grid service); the
    record's unit runs it. The title defaults to 「对…的满意度」."""

    subject_type: line(40)
    subject_id: line(64)
    title: line(120) = ""
    opens_on: date
    closes_on: date
    anonymous: bool = True


@router.post("/participation/surveys/satisfaction", response={201: SurveyDetailOut})
@api_requires("participation.manage")
def satisfaction_survey_create(request, payload: SatisfactionIn):
    survey = services.satisfaction_survey_attach(actor=request.user, **payload.model_dump())
    return Status(201, _survey(request, survey.uid))


@router.post("/participation/surveys", response={201: SurveyDetailOut})
@api_requires("participation.manage")
def survey_create(request, payload: SurveyIn):
    data = payload.model_dump()
    unit = data.pop("unit")
    survey = services.survey_create(actor=request.user, unit_code=unit, data=data)
    return Status(201, _survey(request, survey.uid))


@router.get("/participation/surveys/{uid}", response=SurveyDetailOut)
@api_requires("participation.view")
def survey_detail(request, uid: UUID):
    return _survey(request, uid)


@router.put("/participation/surveys/{uid}", response=SurveyDetailOut)
@api_requires("participation.manage")
def survey_change(request, uid: UUID, payload: SurveyChangeIn):
    survey = _survey(request, uid, "manage")
    data = payload.model_dump()
    version = data.pop("version")
    services.survey_update(actor=request.user, survey=survey, data=data, version=version)
    return _survey(request, uid)


@router.post("/participation/surveys/{uid}/questions", response={201: QuestionOut})
@api_requires("participation.manage")
def question_create(request, uid: UUID, payload: QuestionIn):
    survey = _survey(request, uid, "manage")
    if payload.template:
        question = services.question_add_template(
            actor=request.user, survey=survey, code=payload.template
        )
    else:
        data = payload.model_dump(exclude={"template", "move"})
        question = services.question_add(actor=request.user, survey=survey, data=data)
    return Status(201, question)


@router.put("/participation/surveys/{uid}/questions/{qid}", response=QuestionOut)
@api_requires("participation.manage")
def question_change(request, uid: UUID, qid: int, payload: QuestionIn):
    """Change a question, or with ``move`` (up, down) only move it one place."""
    survey = _survey(request, uid, "manage")
    question = _question(survey, qid)
    if payload.move:
        services.question_move(actor=request.user, question=question, direction=payload.move)
    else:
        data = payload.model_dump(exclude={"template", "move"})
        services.question_update(actor=request.user, question=question, data=data)
    return _question(survey, qid)


@router.delete("/participation/surveys/{uid}/questions/{qid}", response={204: None})
@api_requires("participation.manage")
def question_delete(request, uid: UUID, qid: int):
    survey = _survey(request, uid, "manage")
    services.question_delete(actor=request.user, question=_question(survey, qid))
    return Status(204, None)


@router.post("/participation/surveys/{uid}/actions", response=SurveyDetailOut)
@api_requires("participation.manage")
def survey_action(request, uid: UUID, payload: ActionIn):
    survey = _survey(request, uid, "manage")
    if payload.action == "publish":
        services.survey_publish(actor=request.user, survey=survey, version=payload.version)
    elif payload.action == "close":
        services.survey_close(actor=request.user, survey=survey, version=payload.version)
    else:
        raise ValidationFailed(details={"action": ["publish, close"]})
    return _survey(request, uid)


@router.post("/participation/surveys/{uid}/responses", response={201: ResponseOut})
@api_requires("participation.take_part|participation.assist")
def response_create(request, uid: UUID, payload: ResponseIn):
    """A resident's own answer to a survey meant for them, or an answer a grid worker
    enters for a resident of their area (409 answered already or closed; 403 not meant
    for this resident; 422 names each question whose answer is wrong)."""
    user = request.user
    assisted = payload.resident is not None or payload.channel in ("door", "phone", "proxy")
    if assisted or not user.has_permission("participation.take_part"):
        if not user.has_permission("participation.assist"):
            raise NotFound()
        survey = selectors.survey_for_assist(actor=user, uid=uid)
        response = services.response_submit_assisted(
            actor=user,
            survey=survey,
            resident_uid=str(payload.resident or ""),
            channel=payload.channel,
            answers=payload.answers,
        )
    else:
        from gridgov.residents.selectors import require_resident

        if not user.has_permission("participation.take_part"):
            raise NotFound()
        resident = require_resident(user)
        survey = selectors.survey_for_resident(resident=resident, uid=uid)
        response = services.response_submit_own(
            user=user, survey=survey, answers=payload.answers, channel=payload.channel
        )
    return Status(201, response)


def _cell(cell) -> dict:
    return cell.as_public()


@router.get("/participation/surveys/{uid}/results", response=ResultsOut)
@api_requires("participation.view")
def survey_results(request, uid: UUID):
    """Counts only, small cells hidden (``suppressed``, ``value`` null); text answers only
    for staff who run surveys in the unit, never with who wrote them."""
    survey = _survey(request, uid)
    r = selectors.survey_results(actor=request.user, survey=survey)
    return {
        "min_cell": r.minimum,
        "target": r.target,
        "responses": _cell(r.responses),
        "unverified": r.unverified,
        "rate": r.rate,
        "units": [
            {
                "unit": label,
                "target": r.unit_targets.get(key, 0),
                "responses": _cell(r.unit_responses[key]),
                "rate": r.unit_rates.get(key),
            }
            for key, label in r.units
        ],
        "questions": [
            {
                "id": q.question.pk,
                "text": q.question.text,
                "kind": q.question.kind,
                "answered": _cell(q.answered),
                "options": [
                    {"code": code, "label": label, "count": _cell(q.overall[code])}
                    for code, label in q.options
                    if code in q.overall
                ],
                "mean": q.mean,
                "texts": q.texts,
            }
            for q in r.questions
        ],
    }
