"""The three lists end to end in a real browser, each person in their own session: a grid
worker's visit raises a need; the community office passes the visit, puts the need into
matching and confirms the optimiser's proposal; the provider accepts the order on its phone,
gives the service and completes it; the resident rates it on the phone through the link
sent on completion, and the office adds the outcome rating; the need shows 已满足 and the needs
KPIs move from "nothing to measure" to 100 %. Screenshots of each step go to
var/test-artifacts/lists-journey/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.accounts.roles import Role
from gridgov.kpis import daily
from gridgov.lists import services as lists
from gridgov.lists.models import Need, ServiceOrder
from gridgov.lists.tests.test_matching_services import _household
from gridgov.org.models import GridAssignment
from gridgov.visits import services as visits
from gridgov.visits.models import Visit
from gridgov.visits.tests.conftest import required_answers
from tests.browser.axe import axe_violations
from tests.browser.test_layout import _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "lists-journey"


def _as(page, live_server, user, language="zh-hans"):
    page.context.clear_cookies()
    page.context.add_cookies(_session_cookies(user, live_server, language))


def _shot(page, name, problems):
    problems += [f"{name}: axe {v}" for v in axe_violations(page)]
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _kpis(page, unit_code):
    page.goto(page.base + f"/kpis/dashboard/?unit={unit_code}&period=month")
    return {
        code: page.locator(f'[data-kpi="{code}"]').get_attribute("data-value")
        for code in ("lists.fulfilment_rate", "lists.satisfaction")
    }


def test_a_need_from_a_visit_is_matched_served_rated_and_met(
    page, live_server, org_tree, make_user, caplog
):
    t = org_tree
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    worker = make_user(Role.GRID_WORKER, t["g1a"], username="worker_a")
    GridAssignment.objects.create(
        grid=t["g1a"], user=worker, duty="full_time", start_date=timezone.localdate()
    )
    office = make_user(Role.COMMUNITY_STAFF, t["c1"], username="office_c1")
    street = make_user(Role.STREET_STAFF, t["s1"], username="street_s1")
    provider = make_user(Role.SERVICE_PROVIDER, t["c1"], username="meals_team")
    household = _household(office, t["g1a"], "A1", tag="living_alone_elderly")
    resource = lists.resource_create(
        actor=street,
        data={
            "name": "宛平南路社区长者食堂",
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": "街道民政科",
            "categories": ["meals"],
            "owner": t["s1"].code,
            "capacity": 10,
            "area_paths": [t["c1"].code],
            "lon": 121.405,
            "lat": 31.205,
        },
    )
    lists.operator_add(actor=street, resource=resource, username=provider.username)

    # The grid worker's visit raises a need (sent from the phone's outbox).
    members = list(household.members.all())
    now = timezone.now()
    visit, _created = visits.visit_submit(
        actor=worker,
        data=visits.VisitInput(
            client_uuid="0f6c1c9e-6f60-4a3b-9b2e-7a8d8c1d0a11",
            household=str(household.uid),
            outcome="completed",
            started_at=(now - timedelta(minutes=30)).isoformat(),
            ended_at=(now - timedelta(minutes=5)).isoformat(),
            notice_given=True,
            commitment_signed=True,
            versions={str(household.uid): household.version}
            | {str(m.uid): m.version for m in members},
            answers=required_answers(),
            needs=[{"category": "助餐", "text": "独居老人希望每天有人送午餐"}],
        ),
    )
    assert visit.state == Visit.State.SUBMITTED and not Need.objects.exists()
    problems: list[str] = []
    caplog.set_level("INFO", logger="gridgov.notify")

    # The office passes the visit: the need enters the needs list, from the visit.
    _as(page, live_server, office)
    page.goto(page.base + f"/visits/{visit.uid}/")
    with page.expect_navigation():
        page.locator("button[name=decision][value=pass]").click()
    need = Need.objects.get()
    assert need.source == Need.Source.VISIT and need.category.code == "meals"
    assert need.colour == "red"  # living alone and elderly: the policy's red list
    before = _kpis(page, t["c1"].code)
    assert before == {"lists.fulfilment_rate": "", "lists.satisfaction": ""}, before
    page.goto(page.base + "/lists/needs/")
    page.locator(f"a[href='/lists/needs/{need.uid}/']").click()
    assert "独居老人希望每天有人送午餐" in page.locator("main").inner_text()
    page.locator("button[name=action][value=start_matching]").click()
    expect(page.locator("#need-state")).to_have_text(re.compile("^匹配中"))
    _shot(page, "1-need-matching", problems)

    # The optimiser proposes; the office reads why and confirms.
    page.goto(page.base + "/lists/matching/")
    page.locator("#unit").select_option(t["c1"].code)
    page.locator("#propose-form button").click()
    page.wait_for_url("**/lists/matching/*-*/")
    assert "宛平南路社区长者食堂" in page.locator("main").inner_text()
    _shot(page, "2-proposal", problems)
    with page.expect_navigation():
        page.locator("button[name=action][value=confirm]").first.click()
    order = ServiceOrder.objects.get()
    assert order.resource_id == resource.pk and order.state == ServiceOrder.State.DISPATCHED

    # The provider, on its phone: accept, start, complete with the hours given.
    _as(page, live_server, provider)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/lists/serve/")
    assert page.locator("#count-to_accept").inner_text() == "1"
    assert "王" not in page.locator("main").inner_text()  # no resident's name
    _shot(page, "3-provider-home", problems)
    page.locator(f"main a[href='/lists/serve/{order.uid}/']").first.click()
    page.locator("button[name=action][value=accept]").click()
    expect(page.locator("#order-state")).to_have_text(re.compile("^已接单"))
    page.locator("button[name=action][value=start]").click()
    expect(page.locator("#order-state")).to_have_text(re.compile("^服务中"))
    page.locator("#hours").fill("1.5")
    page.locator("button[name=action][value=complete]").click()
    expect(page.locator("#order-state")).to_have_text(re.compile("^已完成"))
    _shot(page, "4-provider-completed", problems)

    # The resident got the rating link (the demo's sender logs it) and rates on the phone,
    # without an account.
    sent = [r.getMessage() for r in caplog.records if r.name == "gridgov.notify"]
    link = re.search(r"/lists/rate/[A-Za-z0-9_-]+/", sent[-1]).group(0)
    page.context.clear_cookies()
    page.goto(page.base + link)
    _shot(page, "5-resident-rates", problems)
    page.locator("label[for=stars-5]").click()
    page.locator("label[for=met-yes]").click()
    page.locator("#rate-form button[type=submit]").click()
    page.locator("#rated").wait_for()  # the page after the post, not the form's
    order.refresh_from_db()
    assert order.resident_rating == 5 and order.need_met == "yes"

    # The office adds the outcome rating: the need is met.
    _as(page, live_server, office)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(page.base + f"/lists/orders/{order.uid}/")
    assert page.locator("#resident-answer").inner_text().startswith("5/5")
    page.locator("#outcome_rating").select_option("5")
    with page.expect_navigation():
        page.locator("button[name=action][value=rate]").click()
    page.goto(page.base + f"/lists/needs/{need.uid}/")
    expect(page.locator("#need-state")).to_have_text(re.compile("^已满足"))
    _shot(page, "6-need-met", problems)

    # The KPIs move once the day's figures are refreshed (the scheduled job).
    today = timezone.localdate()
    daily.refresh(today.replace(day=1), today + timedelta(days=1))
    after = _kpis(page, t["c1"].code)
    assert {k: float(v) for k, v in after.items()} == {
        "lists.fulfilment_rate": 100.0,
        "lists.satisfaction": 100.0,
    }, after
    _shot(page, "7-dashboard", problems)
    order.refresh_from_db()
    assert order.hours == 1.5 and order.resident_rating == 5 and order.need_met == "yes"
    assert not problems, problems
    assert not page.console_errors, page.console_errors
