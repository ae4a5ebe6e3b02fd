"""The demo's two surveys: an identified needs survey per household with door-to-door, 代填
and online answers, an anonymous satisfaction survey with an open link; enough answers that
some cells of the results show and some are hidden; seeding twice adds nothing."""

from __future__ import annotations

from gridgov.accounts.roles import Role
from gridgov.demo.participation_surveys import (
    NEEDS_TITLE,
    SATISFACTION_TITLE,
    seed_participation_surveys,
)
from gridgov.participation import selectors_surveys as selectors
from gridgov.participation.models import Survey, SurveyResponse


def _people(org_tree, make_user):
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="demo_community")
    make_user(Role.GRID_LEADER, org_tree["c1"], username="demo_gridleader")
    make_user(Role.GRID_WORKER, org_tree["g1a"], username="demo_gridworker")
    names = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"
    for i, grid in enumerate(["g1a"] * 14 + ["g1b"] * 6):
        household = people.household_create(
            actor=staff, grid=org_tree[grid], number=f"D{i}", address=f"{i}号", kind="family"
        )
        for j in range(2):
            people.resident_create(
                actor=staff,
                household=household,
                data={
                    "name": f"{names[i]}{'一二'[j]}",
                    "id_type": "none",
                    "sex": "F",
                    "birth_date": "1960-02-02",
                    "relation": "head" if j == 0 else "spouse",
                    "registration": "permanent",
                },
            )
    return staff


def test_seed_participation_surveys(org_tree, make_user):
    staff = _people(org_tree, make_user)
    made = seed_participation_surveys()
    assert made > 10
    needs = Survey.objects.get(title=NEEDS_TITLE)
    anonymous = Survey.objects.get(title=SATISFACTION_TITLE)
    assert not needs.anonymous and needs.per == "household" and needs.target_count == 20
    assert anonymous.anonymous and anonymous.public_link and anonymous.target_count == 40
    channels = set(SurveyResponse.objects.filter(survey=needs).values_list("channel", flat=True))
    assert {"door", "h5"} <= channels
    assert SurveyResponse.objects.filter(survey=needs, assisted_by__isnull=False).exists()
    assert not SurveyResponse.objects.filter(survey=anonymous, resident__isnull=False).exists()
    results = selectors.survey_results(actor=staff, survey=anonymous)
    cells = list(results.unit_responses.values())
    # g1b answers only a few: hidden (and g1a with it, or the total would give it back);
    # the total and some answer counts show.
    assert results.responses.count >= 5 and not results.responses.suppressed
    assert any(c.suppressed for c in cells)
    trust_or_choice = [q for q in results.questions if q.overall]
    assert any(not c.suppressed for q in trust_or_choice for c in q.overall.values())
    assert any(c.suppressed for q in trust_or_choice for c in q.overall.values())
    assert seed_participation_surveys() == 0
