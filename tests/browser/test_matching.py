"""The matching page in a real browser: run a proposal for a community, read the
explanations, confirm one row; at a phone's and a desktop's width, in Chinese and in
English, nothing overflows and axe-core finds no serious or critical violation.
Screenshots go to var/test-artifacts/matching/ (<lang>-<width>-<page>.png)."""

from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from gridgov.lists.models import ServiceOrder
from gridgov.lists.tests.test_matching_services import _household, _matching_need, _resource
from tests.browser.axe import axe_violations
from tests.browser.test_layout import MEASURE, _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "matching"


def _scene(org_tree, make_user):
    t = org_tree
    staff = make_user(Role.COMMUNITY_STAFF, t["c1"], username="matcher")
    street = make_user(Role.STREET_STAFF, t["s1"])
    _matching_need(staff, _household(staff, t["g1a"], "A1", tag="living_alone_elderly"))
    _matching_need(staff, _household(staff, t["g1b"], "B1"), priority="urgent")
    _matching_need(staff, _household(staff, t["g1b"], "B2"))
    _matching_need(staff, _household(staff, t["g1a"], "A2"), category="legal_aid")
    _resource(street, t["s1"], "宛平南路社区长者食堂", area=[t["c1"]], lon=121.405, lat=31.205)
    _resource(street, t["s1"], "一网格助餐点", area=[t["g1a"]], lon=121.408, lat=31.205)
    _resource(
        street,
        t["s1"],
        "法律援助工作站",
        area=[t["c1"]],
        lon=121.41,
        lat=31.205,
        categories=("legal_aid",),
        eligible_tags=["dibao"],
    )
    return staff


def _look(page, name: str, problems: list) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        m = page.evaluate(MEASURE)
        if m["scroll"] > m["inner"]:
            problems.append(f"{name}@{width}: {m['scroll']} px wide ({m['over']})")
        problems += [f"{name}@{width}: axe {v}" for v in axe_violations(page)]
        page.screenshot(path=str(ARTEFACTS / f"{name}-{width}.png"), full_page=True)


def test_matching_page_phone_and_desktop_both_languages(page, live_server, org_tree, make_user):
    staff = _scene(org_tree, make_user)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    detail_url = None
    for language in ("zh-hans", "en"):
        page.context.clear_cookies()
        page.context.add_cookies(_session_cookies(staff, live_server, language))
        page.goto(page.base + "/lists/matching/")
        if detail_url is None:
            page.locator("#unit").select_option(org_tree["c1"].code)
            page.locator("#propose-form button").click()
            page.wait_for_url("**/lists/matching/*-*/")
            detail_url = page.url
            page.goto(page.base + "/lists/matching/")
        _look(page, f"{language}-index", problems)
        page.goto(detail_url)
        _look(page, f"{language}-detail", problems)
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("summary", has_text="Choose another").first.click()
    page.locator("summary", has_text="Reject").first.click()
    # Away from the buttons, once their colour transition is over (axe reads colours).
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement.blur()")
    page.wait_for_timeout(400)
    _look(page, "en-detail-open", problems)
    body = page.content()
    assert "Why:" in body and "Alternatives:" in body and "Needs nobody can serve now" in body
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("button[value=confirm]").first.click()
    page.wait_for_load_state()
    assert "The service order was dispatched." in page.content()
    assert ServiceOrder.objects.count() == 1
    assert not problems, problems
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors
