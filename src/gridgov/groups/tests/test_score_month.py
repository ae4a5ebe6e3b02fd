"""A month scored at once (``score_month``): the same scores and ranks as entering the
reports one by one, nothing written on a second run, a changed scoring policy applied to the
caller's area only, cases opened only for the newest month, the API and the score board."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.services import policy_update
from gridgov.groups import selectors, services
from gridgov.groups.models import Rectification, Score
from gridgov.groups.services_scores import score_month
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.groups.tests.test_scores_rectification import FIXTURE, WEAK
from gridgov.groups.tests.world import compounds_of, group_data

SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)
FIGURES = ("data", "service", "security", "development", "total", "stars", "rank", "ranked_among")


@pytest.fixture
def two_streets(org_tree, make_user):
    """Five groups in c1 (street s1) and two in c2 (street s2), reported for September and
    October; 低分群 is weak both months."""
    places = compounds_of(org_tree)
    staff = {
        "c1": make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        "c2": make_user(Role.COMMUNITY_STAFF, org_tree["c2"]),
    }
    where = {
        "c1": {"compounds": [places["happy"].pk], "buildings": [places["happy_1"].pk]},
        "c2": {"compounds": [places["other"].pk], "buildings": [places["other_1"].pk]},
    }
    groups = {}
    for name, community, activity in [
        ("甲群", "c1", 90),
        ("乙群", "c1", 40),
        ("丙群", "c1", 70),
        ("丁群", "c1", 55),
        ("低分群", "c1", None),
        ("华阳一群", "c2", 60),
        ("华阳二群", "c2", 85),
    ]:
        actor = staff[community]
        group = services.group_create(
            actor=actor,
            data=group_data(places, name=name, created_on="2025-05-01", **where[community]),
        )
        group = services.group_transition(actor=actor, group=group, action="approve", version=1)
        for month in ("2026-09", "2026-10"):
            data = WEAK if activity is None else {**FIXTURE, "activity_pct": activity}
            snapshot_save(actor=actor, group=group, month=month, data=data)
        groups[name] = group
    return {
        "groups": groups,
        "staff": staff,
        "admin": make_user(Role.SYSTEM_ADMIN, org_tree["d1"]),
        "s1": make_user(Role.STREET_STAFF, org_tree["s1"]),
        "tree": org_tree,
    }


def _figures(month):
    return {
        s.group.name: tuple(getattr(s, f) for f in FIGURES)
        for s in Score.objects.filter(month=month).select_related("group")
    }


def test_a_month_scored_at_once_equals_the_reports_scored_one_by_one(two_streets):
    entered = _figures(OCTOBER)
    assert len(entered) == 7
    Score.objects.filter(month=OCTOBER).update(total=0, stars=1, rank=None, data=None)
    Score.objects.filter(month=OCTOBER, group__name="华阳二群").delete()

    run = score_month(month=OCTOBER)
    assert (run.scored, run.changed, run.policy_version) == (7, 7, 0)
    assert _figures(OCTOBER) == entered
    # Ranks are within each street.
    assert entered["甲群"][6:] == (1, 5) and entered["华阳二群"][6:] == (1, 2)
    again = score_month(month=OCTOBER)
    assert again.changed == 0 and _figures(OCTOBER) == entered
    # The weak group was already in a case (opened when October was entered): none more.
    assert again.cases_opened == 0
    assert Rectification.objects.filter(group=two_streets["groups"]["低分群"]).count() == 1
    assert AuditRecord.objects.filter(action="groups.scores.recompute").count() == 2


def test_a_changed_policy_is_applied_to_the_callers_area_only(two_streets):
    before = _figures(OCTOBER)
    # Only 发展 (the activity) counts now.
    policy_update(
        actor=two_streets["admin"],
        key="groups.scoring",
        value={"weights": {"data": 0, "service": 0, "security": 0, "development": 100}},
        note="试行",
    )
    street = two_streets["s1"]
    assert selectors.score_rules(actor=street, month=OCTOBER) == {"version": 1, "outdated": 5}

    run = score_month(month=OCTOBER, actor=street)
    assert (run.scored, run.changed, run.policy_version) == (5, 5, 1)
    after = _figures(OCTOBER)
    assert after["甲群"][4] == 90 and after["乙群"][4] == 40 and after["丙群"][4] == 70
    # Ranks follow the new totals: 丙群 (70) before 丁群 (55), 乙群 (40) before 低分群 (20).
    assert [n for n, f in sorted(after.items(), key=lambda i: (i[1][6], i[0])) if f[7] == 5] == [
        "甲群",
        "丙群",
        "丁群",
        "乙群",
        "低分群",
    ]
    # The other street is outside the caller's area: untouched, still under version 0.
    assert after["华阳一群"] == before["华阳一群"]
    assert set(
        Score.objects.filter(month=OCTOBER, street=two_streets["tree"]["s2"]).values_list(
            "policy_version", flat=True
        )
    ) == {0}
    assert selectors.score_rules(actor=street, month=OCTOBER)["outdated"] == 0


def test_cases_are_opened_for_the_newest_month_only(two_streets):
    # Raise the bar so that 乙群 (activity 40) falls below it both months.
    policy_update(
        actor=two_streets["admin"], key="groups.scoring", value={"low_score_below": 80}, note="严"
    )
    assert not Rectification.objects.filter(group=two_streets["groups"]["乙群"]).exists()
    older = score_month(month=SEPTEMBER)
    # Restamped with the new version (the figures are the same): history, no case today.
    assert older.changed == 7 and older.cases_opened == 0
    assert not Rectification.objects.filter(group=two_streets["groups"]["乙群"]).exists()

    newest = score_month(month=OCTOBER)
    opened = set(
        Rectification.objects.filter(trigger="low_score").values_list("group__name", flat=True)
    )
    assert "乙群" in opened and "甲群" not in opened
    assert newest.cases_opened == len(opened) - 1  # 低分群's case was opened on entry
    case = Rectification.objects.get(group=two_streets["groups"]["乙群"])
    assert "< 80 for 2 months" in case.reason
    assert score_month(month=OCTOBER).cases_opened == 0


def test_api_and_score_board(two_streets, client, login_client):
    policy_update(
        actor=two_streets["admin"],
        key="groups.scoring",
        value={"weights": {"data": 0, "service": 0, "security": 0, "development": 100}},
        note="试行",
    )
    login_client(two_streets["staff"]["c1"])
    refused = client.post(
        "/api/v1/scores/recompute", data={"month": "2026-10"}, content_type="application/json"
    )
    assert refused.status_code == 403
    page = client.get("/groups/scores/?month=2026-10", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and 'id="score-recompute"' not in page.text

    client.logout()
    login_client(two_streets["s1"])
    page = client.get("/groups/scores/?month=2026-10", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "5 个本月评分按较早版本的评分规则计算" in page.text, page.text
    assert 'id="score-recompute"' in page.text
    bad = client.post(
        "/api/v1/scores/recompute", data={"month": "2026-13"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["details"]["month"] == ["YYYY-MM"]
    done = client.post(
        "/api/v1/scores/recompute", data={"month": "2026-10"}, content_type="application/json"
    )
    assert done.status_code == 200
    assert done.json() | {"month": "2026-10-01"} == {
        "month": "2026-10-01",
        "scored": 5,
        "changed": 5,
        "policy_version": 1,
        "cases_opened": done.json()["cases_opened"],
    }
    # A month the page cannot read is refused with the reason, in either language, and
    # nothing is scored again.
    before = AuditRecord.objects.filter(action="groups.scores.recompute").count()
    for month, language, said in [
        ("2026-13", "en", "Choose a month."),
        ("", "zh-hans", "请选择月份。"),
    ]:
        refused = client.post(
            "/groups/scores/recompute/", {"month": month}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert refused.status_code == 302 and refused["Location"] == "/groups/scores/"
        assert said in client.get(refused["Location"], HTTP_ACCEPT_LANGUAGE=language).text
    assert AuditRecord.objects.filter(action="groups.scores.recompute").count() == before
    # The page's button does the same, and says what it did.
    moved = client.post(
        "/groups/scores/recompute/", {"month": "2026-09"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert moved.status_code == 302 and moved["Location"].endswith("?month=2026-09")
    shown = client.get(moved["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "5 monthly reports scored under version 1 of the scoring rules: 5 scores changed" in (
        shown.text
    )
    assert "computed under version 1 of the scoring rules, the one in force" in shown.text
