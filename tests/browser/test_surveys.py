"""Surveys in a real browser: a resident answers on a 390 px phone, the skip rule hiding and
showing a question as they choose; staff read the results at 1280 px with the charts and
the hidden small cells; in Chinese and in English, axe-clean, no horizontal overflow.
Screenshots go to var/test-artifacts/surveys/ (or $SURVEY_SHOTS)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from gridgov.accounts.roles import Role
from gridgov.participation import services_surveys as surveys
from gridgov.participation.models import SurveyResponse
from gridgov.residents.services import bind_account
from tests.browser.axe import axe_violations
from tests.browser.screens import overflow
from tests.browser.test_layout import _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(
    os.getenv("SURVEY_SHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "surveys"
)
NAMES = "甲乙丙丁戊己庚辛壬癸"


def _as(page, live_server, user, language):
    page.context.clear_cookies()
    page.context.add_cookies(_session_cookies(user, live_server, language))


def _check(page, name, problems):
    scroll, width = overflow(page)
    problems += [f"{name}: axe {v}" for v in axe_violations(page)]
    if scroll > width:
        problems.append(f"{name}: horizontal overflow {scroll} > {width}")
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _world(org_tree, make_user):
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="office_c1")
    residents = []
    for i, grid in enumerate(["g1a"] * 7 + ["g1b"] * 3):
        household = people.household_create(
            actor=staff, grid=org_tree[grid], number=f"B{i}", address=f"{i}号", kind="family"
        )
        residents.append(
            people.resident_create(
                actor=staff,
                household=household,
                data={
                    "name": f"居民{NAMES[i]}",
                    "id_type": "none",
                    "sex": "F",
                    "birth_date": "1958-04-04",
                    "relation": "head",
                    "registration": "permanent",
                },
            )
        )
    user = make_user(Role.RESIDENT, org_tree["g1a"], username="resident_a")
    bind_account(staff, user=user, resident=residents[0])
    today = timezone.localdate()
    survey = surveys.survey_create(
        actor=staff,
        unit_code=org_tree["c1"].code,
        data={
            "title": "社区助餐需求调研",
            "purpose": "needs",
            "opens_on": today,
            "closes_on": today + timedelta(days=10),
        },
    )
    need = surveys.question_add(
        actor=staff,
        survey=survey,
        data={"kind": "single", "text": "您家是否需要助餐服务?", "options": ["需要", "暂不需要"]},
    )
    when = surveys.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "multiple",
            "text": "希望在哪些时段用餐?",
            "options": ["午餐", "晚餐", "送餐上门"],
            "show_if": need.pk,
            "show_if_values": ["o1"],
        },
    )
    with translation.override("zh-hans"):
        sat = surveys.question_add_template(actor=staff, survey=survey, code="satisfaction")
        trust = surveys.question_add_template(actor=staff, survey=survey, code="trust")
    survey.refresh_from_db()
    survey = surveys.survey_publish(actor=staff, survey=survey, version=survey.version)
    return staff, user, residents, survey, (need, when, sat, trust)


def test_resident_answers_with_a_skip_rule_and_staff_read_the_results(
    page, live_server, org_tree, make_user
):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    staff, user, residents, survey, (need, when, sat, trust) = _world(org_tree, make_user)
    problems: list[str] = []

    # The resident on the phone, in English first (the form only), then in Chinese.
    _as(page, live_server, user, "en")
    page.goto(page.base + f"/participation/me/surveys/{survey.uid}/")
    _check(page, "phone-en-answer", problems)
    _as(page, live_server, user, "zh-hans")
    page.goto(page.base + "/participation/me/surveys/")
    _check(page, "phone-zh-my-surveys", problems)
    page.click(f'a[href$="/participation/me/surveys/{survey.uid}/"]')
    block = page.locator(f"#block-q{when.pk}")
    assert block.is_hidden()  # skipped until the first answer says 需要
    page.check(f"#q{need.pk}-o2")
    assert block.is_hidden()
    page.check(f"#q{need.pk}-o1")
    assert block.is_visible()
    page.check(f"#q{when.pk}-o1")
    page.check(f"#q{when.pk}-o3")
    page.click(f'label[for="q{sat.pk}-5"]')
    page.fill(f"#q{trust.pk}-n", "92")
    _check(page, "phone-zh-answer", problems)
    # Changing the first answer hides the dependent question and clears it.
    page.check(f"#q{need.pk}-o2")
    assert block.is_hidden()
    page.check(f"#q{need.pk}-o1")
    assert not page.is_checked(f"#q{when.pk}-o1")
    page.check(f"#q{when.pk}-o2")
    page.click("#send")
    page.wait_for_selector("#thanks")
    _check(page, "phone-zh-thanks", problems)
    response = SurveyResponse.objects.get(survey=survey)
    answers = {a.question_id: a for a in response.answers.all()}
    assert answers[when.pk].choices == ["o2"] and answers[trust.pk].number == 92

    # Eight more answers (door to door), unevenly over the two grids.
    for i, resident in enumerate(residents[1:9]):
        choice = "o1" if i % 3 else "o2"
        answers = {str(need.pk): choice, str(sat.pk): 4 + i % 2, str(trust.pk): 70 + i}
        if choice == "o1":
            answers[str(when.pk)] = ["o1"]
        surveys.response_submit_assisted(
            actor=staff,
            survey=survey,
            resident_uid=str(resident.uid),
            channel="door",
            answers=answers,
        )

    # Staff read the results on the desktop.
    page.set_viewport_size({"width": 1280, "height": 900})
    for language in ("zh-hans", "en"):
        _as(page, live_server, staff, language)
        page.goto(page.base + f"/participation/surveys/{survey.uid}/results/")
        page.wait_for_selector(f"#chart-q{need.pk} svg")
        assert page.locator(".suppressed").count() > 0
        _check(page, f"desktop-{language}-results", problems)
        page.goto(page.base + f"/participation/surveys/{survey.uid}/")
        _check(page, f"desktop-{language}-builder", problems)
    assert not problems, problems
    assert not page.console_errors, page.console_errors
