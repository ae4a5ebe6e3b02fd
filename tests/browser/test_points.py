"""Points and the time bank in a real browser: a resident on the phone sees their balance,
redeems an item and is shown the pick-up code once, gives hours to a family member; the
staff member on a desktop hands the item over against the code. Both widths and both
languages: no horizontal overflow, axe-clean; screenshots go to
var/test-artifacts/points/ (<page>-<lang>-<width>.png)."""

from decimal import Decimal
from pathlib import Path

import pytest

from gridgov.participation import selectors_points as read
from gridgov.participation import services_points as points
from gridgov.participation.tests import ledger_world
from tests.browser.axe import axe_violations
from tests.browser.screens import overflow
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "points"


def _fits(page, name: str) -> None:
    width = overflow(page)
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => "
        "e.getBoundingClientRect().right > innerWidth + 1).slice(0, 5).map(e => "
        "e.tagName + '.' + e.className + ' ' + (e.id || '') + ' ' + "
        "e.getBoundingClientRect().right)"
    )
    assert width[0] <= width[1], (name, width, wide)
    violations = axe_violations(page)
    assert not violations, (name, violations)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_redeem_on_the_phone_and_hand_over_on_the_desktop(page, org_tree, make_user):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    world = ledger_world.build(org_tree, make_user)
    mother, son = world["mother"], world["son"]
    points.credit_points(resident=mother, action="proposal_adopted", source=mother)
    points.credit_points(resident=mother, action="proposal_adopted", source=mother.household)
    points.deposit_hours(resident=mother, source=mother, hours=Decimal("3.5"))

    sign_in(page, world["users"]["mother"].username)
    page.goto(f"{page.base}/participation/me/points/")
    assert page.locator("#points-balance").inner_text() == "40"
    _fits(page, "my-points-zh-hans-390")
    page.get_by_role("link", name="积分兑换").click()
    _fits(page, "catalogue-zh-hans-390")
    page.get_by_role("button", name="兑换 理发").click()
    code = page.locator("#pickup-code").inner_text().strip()
    assert len(code) == 8 and code.isdigit()
    assert "只显示这一次" in page.content()
    _fits(page, "redeemed-zh-hans-390")
    page.goto(f"{page.base}/participation/me/timebank/")
    page.get_by_label("小时").fill("1.5")
    page.get_by_role("button", name="转出").click()
    assert page.locator("#hours-balance").inner_text() == "2.00"
    assert read.balances(son)["timebank"] == Decimal("1.5")
    _fits(page, "timebank-zh-hans-390")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto(f"{page.base}/participation/me/points/")
    assert "My points" in page.content() and "awaiting pick-up" in page.content()
    _fits(page, "my-points-en-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    _fits(page, "my-points-en-1280")

    page.context.clear_cookies()
    sign_in(page, world["staff"].username)
    page.goto(f"{page.base}/participation/redemptions/")
    _fits(page, "redemptions-zh-hans-1280")
    page.get_by_label("居民的领取码").fill(code)
    page.get_by_role("button", name="确认领取").click()
    assert "请发放：理发" in page.content() and "王**" in page.content()
    assert "王阿姨" not in page.content()
    page.goto(f"{page.base}/participation/points/")
    _fits(page, "overview-zh-hans-1280")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto(f"{page.base}/participation/redemptions/?state=picked_up")
    assert "picked up" in page.content()
    _fits(page, "redemptions-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page, "redemptions-en-390")
    page.goto(f"{page.base}/participation/points/residents/{mother.uid}/")
    _fits(page, "statement-en-390")
    assert not page.console_errors, page.console_errors
