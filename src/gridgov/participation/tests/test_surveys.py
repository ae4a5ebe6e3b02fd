"""Surveys: the builder and its skip rules, publication freezing the audience from the
registry, every way an answer can be wrong (each refused whole, nothing written), one
response per person or household held by the database, anonymity, the results with small
cells hidden, and the four KPIs against hand-computed fixtures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.participation import selectors_surveys as selectors
from gridgov.participation import services_surveys as services
from gridgov.participation.models import Survey, SurveyAnswer, SurveyResponse, SurveyTarget
from gridgov.participation.signals import survey_answered
from gridgov.residents.services import bind_account

# The survey KPIs on the fixture of ``test_kpis_hand_computed`` (counted by hand there).
EXPECTED = {
    "participation.survey_satisfaction": 66.67,
    "participation.trust": 75.0,
    "participation.awareness": 50.0,
    "participation.survey_response_rate": 85.71,
}


def _household(staff, grid, number):
    from gridgov.people import services as people

    return people.household_create(
        actor=staff, grid=grid, number=number, address=f"{number}号", kind="family"
    )


def _resident(staff, household, name, birth="1970-02-02", relation="head"):
    from gridgov.people import services as people

    return people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": name,
            "id_type": "none",
            "sex": "F",
            "birth_date": birth,
            "relation": relation,
            "registration": "permanent",
        },
    )


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    residents = []
    for i in range(6):
        grid = org_tree["g1a"] if i < 4 else org_tree["g1b"]
        household = _household(staff, grid, f"H{i}")
        residents.append(_resident(staff, household, "居民" + "甲乙丙丁戊己"[i]))
    # A second member of the first household, and someone in the other district.
    residents.append(_resident(staff, residents[0].household, "家人", relation="spouse"))
    outsider_staff = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    outsider = _resident(outsider_staff, _household(outsider_staff, org_tree["g2a"], "X1"), "外人")
    user = make_user(Role.RESIDENT, org_tree["g1a"])
    bind_account(staff, user=user, resident=residents[0])
    return {
        "staff": staff,
        "worker": worker,
        "tree": org_tree,
        "residents": residents,
        "outsider": outsider,
        "user": user,
        "make_user": make_user,
    }


def _survey(world, **data):
    today = timezone.localdate()
    base = {
        "title": "社区需求调研",
        "purpose": "needs",
        "opens_on": today,
        "closes_on": today + timedelta(days=14),
    }
    base.update(data)
    return services.survey_create(actor=world["staff"], unit_code="310104003001", data=base)


def _build(world, **data):
    survey = _survey(world, **data)
    staff = world["staff"]
    q1 = services.question_add(
        actor=staff,
        survey=survey,
        data={"kind": "single", "text": "是否需要助餐?", "options": ["需要", "不需要"]},
    )
    q2 = services.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "multiple",
            "text": "每周几天?",
            "options": ["周一", "周三", "周五"],
            "show_if": q1.pk,
            "show_if_values": ["o1"],
        },
    )
    q3 = services.question_add_template(actor=staff, survey=survey, code="satisfaction")
    q4 = services.question_add_template(actor=staff, survey=survey, code="trust")
    q5 = services.question_add(
        actor=staff, survey=survey, data={"kind": "text", "text": "其他建议", "required": False}
    )
    return survey, [q1, q2, q3, q4, q5]


def _publish(world, survey):
    survey.refresh_from_db()
    return services.survey_publish(actor=world["staff"], survey=survey, version=survey.version)


def _answers(qs, need="o1", days=("o1",), sat=5, trust=90, text=""):
    a = {str(qs[0].pk): need, str(qs[2].pk): sat, str(qs[3].pk): trust}
    if days is not None:
        a[str(qs[1].pk)] = list(days)
    if text:
        a[str(qs[4].pk)] = text
    return a


def test_publish_freezes_the_audience_from_the_registry(world):
    survey, _qs = _build(world)
    survey = _publish(world, survey)
    # Seven active residents of c1 (the outsider lives in c2).
    assert survey.state == Survey.State.PUBLISHED and survey.target_count == 7
    assert SurveyTarget.objects.filter(survey=survey).count() == 7
    assert survey.published_version == 1
    # Published: the questions can no longer change.
    with pytest.raises(Conflict):
        services.question_add(
            actor=world["staff"], survey=survey, data={"kind": "text", "text": "x"}
        )
    assert AuditRecord.objects.filter(action="participation.survey.publish").count() == 1


def test_audience_by_unit_age_and_household(world):
    survey, _qs = _build(world, per="household")
    survey.audience_units.set([world["tree"]["g1a"]])
    survey = _publish(world, survey)
    # g1a holds households H0–H3 (H0 with two people): four households.
    assert survey.target_count == 4
    young = _survey(world, age_max=30)
    services.question_add_template(actor=world["staff"], survey=young, code="trust")
    with pytest.raises(ValidationFailed) as refused:
        _publish(world, young)
    assert "audience" in refused.value.details


def test_audience_by_tag(world):
    from gridgov.people.models import TagCategory
    from gridgov.people.services import resident_tag_add

    category = TagCategory.objects.filter(sensitivity="normal", derived=False).first()
    resident_tag_add(actor=world["staff"], resident=world["residents"][2], category=category)
    survey = _survey(world, audience_tags=[category.code])
    services.question_add_template(actor=world["staff"], survey=survey, code="trust")
    assert _publish(world, survey).target_count == 1


def test_resident_answers_once_with_the_skip_rule(world):
    survey, qs = _build(world)
    survey = _publish(world, survey)
    credited = []

    def credit(sender, resident, source, **kwargs):
        credited.append((resident.pk, source.pk))

    survey_answered.connect(credit)
    try:
        response = services.response_submit_own(
            user=world["user"], survey=survey, answers=_answers(qs)
        )
    finally:
        survey_answered.disconnect(credit)
    assert credited == [(world["residents"][0].pk, response.pk)]
    assert response.resident == world["residents"][0] and response.survey_version == 1
    assert response.answers.count() == 4
    assert SurveyTarget.objects.filter(survey=survey, answered_at__isnull=False).count() == 1
    with pytest.raises(Conflict) as twice:
        services.response_submit_own(user=world["user"], survey=survey, answers=_answers(qs))
    assert twice.value.status == 409 and twice.value.code == "already_answered"
    assert SurveyResponse.objects.filter(survey=survey).count() == 1


def test_the_database_holds_one_response_per_respondent(world):
    survey, _qs = _build(world)
    survey = _publish(world, survey)
    key = services.respondent_key(survey, world["residents"][1])
    SurveyResponse.objects.create(
        survey=survey, survey_version=1, respondent_key=key, scope_path="x", channel="h5"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(
            survey=survey, survey_version=1, respondent_key=key, scope_path="x", channel="door"
        )


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"sat": "very"}, 2, "whole number from 1 to 5"),
        ({"trust": 101}, 3, "whole number from 0 to 100"),
        ({"need": "o9"}, 0, "choose one of the options"),
        ({"days": ["o1", "o1"]}, 1, "each once"),
        ({"need": None}, 0, "required"),
        ({"need": "o2", "days": ["o1"]}, 1, "skipped"),
        ({"days": None}, 1, "required"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(world, change, field, words):
    survey, qs = _build(world)
    survey = _publish(world, survey)
    answers = _answers(qs, **{k: v for k, v in change.items() if v is not None})
    for key, value in change.items():
        if value is None:
            index = {"need": 0, "days": 1}[key]
            answers.pop(str(qs[index].pk), None)
    with pytest.raises(ValidationFailed) as refused:
        services.response_submit_own(user=world["user"], survey=survey, answers=answers)
    assert refused.value.status == 422
    message = " ".join(refused.value.details[f"q{qs[field].pk}"])
    assert qs[field].text[:20] in message and words in message
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()


def test_skipped_question_may_be_left_out(world):
    survey, qs = _build(world)
    survey = _publish(world, survey)
    answers = _answers(qs, need="o2", days=None)
    response = services.response_submit_own(user=world["user"], survey=survey, answers=answers)
    assert response.answers.count() == 3


def test_unknown_question_and_closed_survey_and_outside_the_audience(world):
    survey, qs = _build(world)
    survey = _publish(world, survey)
    with pytest.raises(ValidationFailed) as refused:
        services.response_submit_own(
            user=world["user"], survey=survey, answers={**_answers(qs), "999999": "x"}
        )
    assert "answers" in refused.value.details
    # Outside the audience: a resident of another district, entered by their worker.
    outside_worker = world["make_user"](Role.GRID_WORKER, world["tree"]["g2a"])
    with pytest.raises(ValidationFailed):
        services.response_submit_assisted(
            actor=world["worker"],
            survey=survey,
            resident_uid=str(world["outsider"].uid),
            channel="door",
            answers=_answers(qs),
        )
    with pytest.raises(PermissionDenied) as outside:
        services.response_submit_assisted(
            actor=outside_worker,
            survey=survey,
            resident_uid=str(world["outsider"].uid),
            channel="door",
            answers=_answers(qs),
        )
    assert outside.value.code == "not_in_audience"
    survey.refresh_from_db()
    services.survey_close(actor=world["staff"], survey=survey, version=survey.version)
    with pytest.raises(Conflict) as closed:
        services.response_submit_own(user=world["user"], survey=survey, answers=_answers(qs))
    assert closed.value.code == "survey_closed"
    assert not SurveyResponse.objects.exists()


def test_door_to_door_records_the_assisting_worker(world):
    survey, qs = _build(world)
    survey = _publish(world, survey)
    assert list(selectors.surveys_for_assist(actor=world["worker"])) == [survey]
    resident = world["residents"][1]
    choices = selectors.assist_residents(actor=world["worker"], survey=survey)
    assert resident in choices and world["residents"][4] not in choices  # g1b: not theirs
    response = services.response_submit_assisted(
        actor=world["worker"],
        survey=survey,
        resident_uid=str(resident.uid),
        channel="proxy",
        answers=_answers(qs),
    )
    assert response.assisted_by == world["worker"] and response.channel == "proxy"
    record = AuditRecord.objects.filter(action="participation.survey.answer").last()
    assert record.actor_id == world["worker"].pk
    with pytest.raises(ValidationFailed):
        services.response_submit_assisted(
            actor=world["worker"],
            survey=survey,
            resident_uid=str(resident.uid),
            channel="h5",
            answers=_answers(qs),
        )


def test_anonymous_survey_keeps_no_identity_and_still_refuses_doubles(world):
    survey, qs = _build(world, anonymous=True, public_link=True)
    survey = _publish(world, survey)
    response = services.response_submit_own(user=world["user"], survey=survey, answers=_answers(qs))
    assert response.resident is None and response.assisted_by is None
    assert response.respondent_key and str(world["residents"][0].uid) not in response.respondent_key
    record = AuditRecord.objects.filter(action="participation.survey.answer").last()
    assert record.actor_id is None and record.target_type == "participation.survey"
    with pytest.raises(Conflict):
        services.response_submit_public(
            token=survey.token, answers=_answers(qs), channel="qr", user=world["user"]
        )
    # Someone without an account answers through the QR code: kept, not verified.
    from django.contrib.auth.models import AnonymousUser

    public = services.response_submit_public(
        token=survey.token, answers=_answers(qs), channel="qr", user=AnonymousUser()
    )
    assert public.respondent_key is None and public.channel == "qr"
    assert not public.answers.exclude(measures="").exists()


def test_public_link_only_for_anonymous_surveys(world):
    with pytest.raises(ValidationFailed) as refused:
        _survey(world, public_link=True)
    assert "public_link" in refused.value.details


def test_skip_rules_point_backwards_and_reorder(world):
    survey, qs = _build(world)
    with pytest.raises(Conflict):
        services.question_move(actor=world["staff"], question=qs[1], direction="up")
    services.question_move(actor=world["staff"], question=qs[4], direction="up")
    order = list(survey.questions.values_list("pk", flat=True))
    assert order == [qs[0].pk, qs[1].pk, qs[2].pk, qs[4].pk, qs[3].pk]
    with pytest.raises(Conflict):
        services.question_delete(actor=world["staff"], question=qs[0])
    with pytest.raises(ValidationFailed) as refused:
        services.question_add(
            actor=world["staff"],
            survey=survey,
            data={"kind": "text", "text": "y", "show_if": qs[0].pk, "show_if_values": ["zz"]},
        )
    assert "show_if_values" in refused.value.details


def test_satisfaction_survey_about_a_service_resource(world):
    """A draft about a resource of the three lists: run by the resource's unit, titled after
    it, with the standard satisfaction item; another district's resource is a 404 and a kind
    nobody registered is refused, nothing created either time."""
    from gridgov.participation.tests.ledger_world import resource

    meals = resource(world["tree"]["c1"], name="长者食堂")
    far = resource(world["tree"]["c2"], name="外区食堂")
    today = timezone.localdate()
    dates = {"opens_on": today, "closes_on": today + timedelta(days=7)}
    survey = services.satisfaction_survey_attach(
        actor=world["staff"], subject_type="lists.resource", subject_id=str(meals.uid), **dates
    )
    assert (survey.subject_type, survey.subject_id) == ("lists.resource", str(meals.uid))
    assert survey.org_unit == world["tree"]["c1"] and survey.anonymous
    assert "长者食堂" in survey.title and survey.purpose == "satisfaction"
    assert list(survey.questions.values_list("measures", flat=True)) == ["satisfaction"]
    with pytest.raises(NotFound):
        services.satisfaction_survey_attach(
            actor=world["staff"], subject_type="lists.resource", subject_id=str(far.uid), **dates
        )
    with pytest.raises(ValidationFailed) as refused:
        services.satisfaction_survey_attach(
            actor=world["staff"], subject_type="events.nothing", subject_id="1", **dates
        )
    assert "subject_type" in refused.value.details
    assert Survey.objects.count() == 1


def test_the_resource_page_starts_its_satisfaction_survey(world, login_client):
    from django.test import Client

    from gridgov.participation.tests.ledger_world import resource

    meals = resource(world["tree"]["c1"], name="长者食堂")
    staff = login_client(world["staff"], Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    page = staff.get(f"/lists/resources/{meals.uid}/").content.decode()
    assert 'id="resource-survey"' in page
    staff.post(
        "/participation/surveys/satisfaction/",
        {"subject_type": "lists.resource", "subject_id": str(meals.uid)},
    )
    survey = Survey.objects.get(subject_id=str(meals.uid))
    shown = staff.get(f"/participation/surveys/{survey.uid}/").content.decode()
    assert f'href="/lists/resources/{meals.uid}/"' in shown


def test_satisfaction_survey_of_a_grid_service_from_the_page_and_the_api(world, login_client):
    from django.test import Client

    staff = login_client(world["staff"], Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    listing = staff.get("/participation/surveys/").content.decode()
    assert 'id="satisfaction-start"' in listing
    answer = staff.post(
        "/participation/surveys/satisfaction/",
        {"subject_type": "org.orgunit", "subject_id": world["tree"]["g1a"].code},
    )
    survey = Survey.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"{survey.uid}/")
    assert survey.org_unit == world["tree"]["g1a"]
    assert (survey.closes_on - survey.opens_on).days == 14
    page = staff.get(f"/participation/surveys/{survey.uid}/").content.decode()
    assert 'id="survey-subject"' in page and world["tree"]["g1a"].name in page
    api = staff.post(
        "/api/v1/participation/surveys/satisfaction",
        {
            "subject_type": "org.orgunit",
            "subject_id": world["tree"]["c2"].code,
            "opens_on": str(timezone.localdate()),
            "closes_on": str(timezone.localdate() + timedelta(days=3)),
        },
        content_type="application/json",
    )
    assert api.status_code == 404 and Survey.objects.count() == 1
    made = staff.post(
        "/api/v1/participation/surveys/satisfaction",
        {
            "subject_type": "org.orgunit",
            "subject_id": world["tree"]["c1"].code,
            "title": "社区网格服务满意度",
            "opens_on": str(timezone.localdate()),
            "closes_on": str(timezone.localdate() + timedelta(days=3)),
        },
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["subject_type"] == "org.orgunit"
    assert made.json()["title"] == "社区网格服务满意度"


def test_results_hide_small_cells_and_text_only_for_managers(world):
    survey, qs = _build(world)
    survey = _publish(world, survey)
    for i, resident in enumerate(world["residents"][:6]):
        need = "o1" if i < 5 else "o2"
        services.response_submit_assisted(
            actor=world["staff"],
            survey=survey,
            resident_uid=str(resident.uid),
            channel="door",
            answers=_answers(
                qs, need=need, days=("o1",) if need == "o1" else None, text=f"建议{i}"
            ),
        )
    results = selectors.survey_results(actor=world["staff"], survey=survey)
    need = results.questions[0]
    # 5 "需要" and 1 "不需要": the 1 is hidden, and 5 with it (6 − 5 = 1 otherwise).
    assert need.overall["o2"].suppressed and need.overall["o1"].suppressed
    # Four answered in g1a and two in g1b: both units are small, their counts hidden.
    assert all(cell.suppressed for cell in results.unit_responses.values())
    assert results.rate is not None and results.responses.count == 6
    assert results.questions[4].texts == [f"建议{i}" for i in range(6)]
    # Trust: 4 answers in g1a and 2 in g1b; the overall mean shows (6 people), neither
    # unit's mean does (g1b is small, g1a would give it back with the overall mean).
    trust = results.questions[3]
    assert trust.mean["value"] == 90.0 and not trust.mean["suppressed"]
    assert all(m["suppressed"] for m in trust.unit_means.values())
    reader = world["make_user"](Role.DISTRICT_STAFF, world["tree"]["d1"])
    assert selectors.survey_results(actor=reader, survey=survey).questions[4].texts == []


def test_kpis_hand_computed(world):
    """Six phone answers in c1 (target 7): satisfaction 5,5,4,3,2,4 → four of six ≥ 4 =
    66.67 %; trust 90,80,70,60,100,50 → 75; awareness: services ticked 3,4,1,2,1,3 → three
    of six ≥ 3 = 50 %; response rate 6 ÷ 7 = 85.71 %."""
    survey = _survey(world, purpose="satisfaction")
    staff = world["staff"]
    sat = services.question_add_template(actor=staff, survey=survey, code="satisfaction")
    trust = services.question_add_template(actor=staff, survey=survey, code="trust")
    aware = services.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "multiple",
            "text": "您知道哪些网格服务?",
            "options": ["上报", "走访", "助餐", "巡查"],
            "measures": "awareness",
        },
    )
    survey = _publish(world, survey)
    sats = [5, 5, 4, 3, 2, 4]
    trusts = [90, 80, 70, 60, 100, 50]
    aware_sets = [
        ["o1", "o2", "o3"],
        ["o1", "o2", "o3", "o4"],
        ["o1"],
        ["o2", "o4"],
        ["o4"],
        ["o1", "o2", "o4"],
    ]
    for i, resident in enumerate(world["residents"][:6]):
        services.response_submit_assisted(
            actor=staff,
            survey=survey,
            resident_uid=str(resident.uid),
            channel="phone",
            answers={str(sat.pk): sats[i], str(trust.pk): trusts[i], str(aware.pk): aware_sets[i]},
        )
    period = period_containing("month", timezone.localdate())
    c1 = world["tree"]["c1"]

    def value(code):
        kpi = REGISTRY[code]
        return kpi.grouped(kpi.source().filter(scope_path__startswith=c1.path), period, None)[None]

    # ≥ 3 services named: answers 1, 2 and 6 → 3 of 6.
    assert {code: value(code).value for code in EXPECTED} == EXPECTED
    rate = value("participation.survey_response_rate")
    assert (rate.numerator, rate.denominator) == (6, 7)
    # By grid: g1a has residents 0–3 and the spouse (5 targets, 4 answered); g1b 2 of 2.
    kpi = REGISTRY["participation.survey_response_rate"]
    by_grid = kpi.grouped(kpi.source().filter(scope_path__startswith=c1.path), period, "unit_id")
    assert by_grid[world["tree"]["g1a"].pk].value == 80.0
    assert by_grid[world["tree"]["g1b"].pk].value == 100.0
