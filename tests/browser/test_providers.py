"""A service provider's account on its phone: it signs in, lands on its orders (to accept,
in service, overdue), accepts one with a thumb and sees it move; the home fits a phone and
a desktop in both languages, axe-clean. Screenshots go to var/test-artifacts/providers/."""

from pathlib import Path

import pytest

from conftest import TEST_PASSWORD
from gridgov.core.tests.workplace import build_workplace
from gridgov.lists.models import ServiceOrder
from tests.browser.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "providers"


def test_provider_accepts_an_order_on_its_phone(page, org_tree, make_user):
    workplace = build_workplace(org_tree, make_user)
    provider = workplace["staff"]["provider"]
    waiting = workplace["orders"][0]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill(provider.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base + "/lists/serve/")
    assert page.locator("#count-to_accept").inner_text() == "1"
    assert page.locator("#count-overdue").inner_text() == "1"
    # Only the masked household: no resident's name, no room.
    body = page.locator("main").inner_text()
    assert "欧阳建国" not in body and "WB000" not in body and "室" not in body
    page.locator(f"main a[href='/lists/serve/{waiting.uid}/']").first.click()
    page.get_by_role("button", name="接单").click()
    assert page.locator("#order-state").inner_text().startswith("已接单")
    waiting.refresh_from_db()
    assert waiting.state == ServiceOrder.State.ACCEPTED
    problems = []
    for language, label in (("zh-hans", "中文"), ("en", "English")):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(page.base + "/lists/serve/")
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{label} {width}px: {scroll} px wide")
            problems += [f"{label} {width}px: axe {v}" for v in axe_violations(page)]
            page.screenshot(path=str(ARTEFACTS / f"home-{language}-{width}.png"), full_page=True)
            page.goto(page.base + f"/lists/serve/{waiting.uid}/")
            page.screenshot(path=str(ARTEFACTS / f"order-{language}-{width}.png"), full_page=True)
    assert not problems, problems
    assert not page.console_errors, page.console_errors
