"""The lists' KPIs on the hand-built month of ``month.py``, counted by hand:

需求满足率    closed in October, not expired: N1 met, N2 partly, N3 cannot be met → 1/3
需求匹配率    registered and valid: N1 N2 N3 N5 N6; dispatched within 7 days: N1 N2 N3 N6 → 4/5
平均需求响应天数  first starts: o1 2 d, o2 4 d, o6 6 d → 4 d
接单及时率    accepted or timed out: o1 ✓, o6 ✓, o2 late, o3 timed out → 2/4
服务满意度    rated: o1 5★, o2 3★, o6 4★ → 2/3
服务成效达标率  met and staff 4–5: o1 only → 1/3
服务项目与需求匹配度  met fully or in part: o1, o2 → 2/3
需求识别准确率  checked: N1 N2 N6 (to matching), N3 N5 (verified) confirmed; N4 rejected → 5/6
资源利用率    on 20 Oct: 长者食堂 (street, monthly) 2 of 10 used (o3 timed out frees its
             place); 康复上门 (c1, weekly) 0 of 4 this week (o6 was last week) →
             c1 0/4, s1 and d1 2/14, g1a keeps none.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from gridgov.kpis import daily, services
from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.kpis.services import _live
from gridgov.lists import services as lists
from gridgov.lists.services import Rating
from gridgov.lists.tests import month as built

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 20)

# code → (value, numerator, denominator) in g1a, c1, s1 and d1 (all in one grid).
EXPECTED = {
    "lists.fulfilment_rate": (33.33, 1, 3),
    "lists.match_rate": (80.0, 4, 5),
    "lists.avg_response_days": (4.0, 4 * 86400, 3),
    "lists.on_time_accept": (50.0, 2, 4),
    "lists.satisfaction": (66.67, 2, 3),
    "lists.effectiveness": (33.33, 1, 3),
    "lists.service_match": (66.67, 2, 3),
    "lists.identification_accuracy": (83.33, 5, 6),
}
UTILISATION = {"g1a": None, "c1": (0.0, 0, 4), "s1": (14.29, 2, 14), "d1": (14.29, 2, 14)}


@pytest.fixture
def month(org_tree, make_user, time_machine):
    return built.build(org_tree, make_user, time_machine)


def test_every_lists_kpi_has_a_hand_count():
    lists_kpis = {code for code, kpi in REGISTRY.items() if kpi.capability == "lists"}
    assert lists_kpis == set(EXPECTED) | {"lists.resource_utilisation"}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_kpis_match_the_hand_count(month, code):
    period = period_containing("month", OCTOBER)
    for unit in ("g1a", "c1", "s1", "d1"):
        value = _live(REGISTRY[code], month.org[unit], period)
        assert (value.value, round(value.numerator, 2), value.denominator) == EXPECTED[code], unit
    # c2 holds one registered need of October: only the match rate counts it (not matched).
    other = _live(REGISTRY[code], month.org["c2"], period)
    if code == "lists.match_rate":
        assert (other.value, other.denominator) == (0.0, 1)
    else:
        assert other.value is None


def test_resource_utilisation_by_keeper_and_provider(month):
    kpi = REGISTRY["lists.resource_utilisation"]
    period = period_containing("month", OCTOBER)
    for unit, expected in UTILISATION.items():
        value = _live(kpi, month.org[unit], period)
        if expected is None:
            assert value.value is None
        else:
            assert (value.value, value.numerator, value.denominator) == expected, unit
    rows = services.breakdown(
        actor=month.street, kpi=kpi, unit=month.org["s1"], level="provider", period=period
    )
    assert {r.label: r.value.value for r in rows} == {"仁爱社工": 0.0, "街道民政科": 20.0}


def test_breakdowns_by_category_and_provider(month):
    period = period_containing("month", OCTOBER)
    rows = services.breakdown(
        actor=month.staff,
        kpi=REGISTRY["lists.satisfaction"],
        unit=month.org["c1"],
        level="category",
        period=period,
    )
    # Category names in the reader's language (the tests read in English).
    assert {r.label: r.value.value for r in rows} == {"meal help": 50.0, "health care": 100.0}
    rows = services.breakdown(
        actor=month.staff,
        kpi=REGISTRY["lists.on_time_accept"],
        unit=month.org["c1"],
        level="provider",
        period=period,
    )
    assert {r.label: (r.value.numerator, r.value.denominator) for r in rows} == {
        "街道民政科": (1, 3),
        "仁爱社工": (1, 1),
    }
    # Units read the daily figures.
    daily.refresh(date(2026, 10, 1), date(2026, 11, 1))
    rows = services.breakdown(
        actor=month.staff,
        kpi=REGISTRY["lists.match_rate"],
        unit=month.org["c1"],
        level="grid",
        period=period,
    )
    assert {r.code: r.value.value for r in rows} == {
        month.org["g1a"].code: 80.0,
        month.org["g1b"].code: None,
    }


def test_daily_figures_give_the_live_numbers(month, make_user):
    from gridgov.accounts.roles import Role

    district = make_user(Role.DISTRICT_STAFF, month.org["d1"])
    period = period_containing("month", OCTOBER)
    daily.refresh(date(2026, 10, 1), date(2026, 11, 1))
    for code, kpi in REGISTRY.items():
        if kpi.capability != "lists":
            continue
        for unit in ("g1a", "c1", "s1", "d1"):
            stored = services.unit_value(
                actor=month.street if unit != "d1" else district,
                kpi=kpi,
                unit=month.org[unit],
                period=period,
            )
            live = _live(kpi, month.org[unit], period)
            assert stored.value.value == live.value, (code, unit)


def test_a_need_met_and_rated_moves_the_kpis_on_the_dashboard(
    org_tree, make_user, time_machine, login_client, client
):
    """One need through the loop: before its rating 需求满足率 and 服务满意度 have nothing to
    measure; after it they read 100 % on the KPI pages and the dashboard."""
    from gridgov.accounts.roles import Role
    from gridgov.people import services as people

    time_machine.move_to("2026-10-12 09:00 +08:00", tick=False)
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    home = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="M1", address="1号", kind="family"
    )
    need = lists.need_register(
        actor=staff, data=lists.NeedInput(household=str(home.uid), category="meals")
    )[0]
    need = lists.need_transition(
        actor=staff, need=need, action="start_matching", version=need.version
    )
    resource = lists.resource_create(
        actor=staff,
        data={
            "name": "助餐点",
            "resource_class": "volunteer",
            "provider_kind": "volunteer_team",
            "provider_name": "志愿服务队",
            "categories": ["meals"],
            "owner": org_tree["c1"].code,
            "capacity": 5,
            "area_paths": [org_tree["c1"].code],
        },
    )
    order = lists.order_dispatch(actor=staff, need=need, resource_uid=resource.uid, version=2)
    for action in ("accept", "start", "complete"):
        order = lists.order_transition(
            actor=staff, order=order, action=action, version=order.version, hours="1"
        )
    period = period_containing("month", OCTOBER)
    codes = ("lists.fulfilment_rate", "lists.satisfaction")

    def tiles():
        daily.refresh(date(2026, 10, 1), date(2026, 11, 1))
        read = services.dashboard_tiles(actor=staff, unit=org_tree["c1"], period=period)
        return {t.kpi.code: t.reading.value.value for t in read if t.kpi.code in codes}

    assert tiles() == dict.fromkeys(codes)
    lists.order_transition(
        actor=staff,
        order=order,
        action="rate",
        version=order.version,
        rating=Rating(5, "yes", 5),
    )
    need.refresh_from_db()
    assert need.state == "met"
    assert tiles() == dict.fromkeys(codes, 100.0)
    # The same figures on the pages.
    login_client(staff)
    query = f"?unit={org_tree['c1'].code}&period=month&date=2026-10-20"
    page = client.get(f"/kpis/dashboard/{query}").content.decode()
    assert "Need fulfilment rate" in page and "Service satisfaction" in page
    page = client.get(f"/kpis/lists.satisfaction/{query}&level=category").content.decode()
    assert "meal help" in page and "100" in page
    assert timezone.now().date() == date(2026, 10, 12)


def test_api_by_provider_and_category_scoped(month, login_client, client):
    login_client(month.staff)
    base = f"/api/v1/kpis/lists.on_time_accept/values?unit={month.org['c1'].code}&date=2026-10-20"
    body = client.get(f"{base}&level=provider").json()
    assert {i["label"]: i["value"] for i in body["items"]} == {
        "仁爱社工": 100.0,
        "街道民政科": 33.33,
    }
    body = client.get(f"{base}&level=category").json()
    assert {i["label"]: i["value"] for i in body["items"]} == {
        "health care": 100.0,
        "meal help": 33.33,
    }
    kpis = {k["code"]: k for k in client.get("/api/v1/kpis").json()}
    assert "provider" in kpis["lists.satisfaction"]["levels"]
    assert "provider" not in kpis["lists.fulfilment_rate"]["levels"]
    assert kpis["lists.satisfaction"]["target"] == 90
    # The other district's staff cannot read c1's figures.
    client.logout()
    login_client(month.other)
    assert client.get(f"{base}&level=provider").status_code == 404
