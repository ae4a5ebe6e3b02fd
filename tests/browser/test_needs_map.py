"""The needs map and the KPI dashboard with the lists' KPIs in a real browser, on the
hand-built October of ``lists/tests/month.py``: at 390 and 1280 px, in Chinese and English,
the map draws (grids coloured by open needs, the resource point, the legend), nothing
overflows and axe-core finds no serious or critical violation. Screenshots go to
var/test-artifacts/lists/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gridgov.lists.tests import month as built
from tests.browser.axe import axe_violations
from tests.browser.test_layout import _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "lists"
WIDTHS = (390, 1280)


@pytest.fixture
def october(org_tree, make_user, time_machine):
    from gridgov.kpis import daily

    now = datetime.now(UTC)
    made = built.build(org_tree, make_user, time_machine)
    time_machine.move_to(now, tick=True)
    daily.refresh(date(2026, 10, 1), date(2026, 11, 1))
    return made


def _open(browser, live_server, user, language, width):
    context = browser.new_context(
        locale="zh-CN" if language == "zh-hans" else "en-GB",
        viewport={"width": width, "height": 900},
    )
    context.add_cookies(_session_cookies(user, live_server, language))
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return context, page


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_needs_map_and_dashboard(browser, live_server, october, language, width):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, live_server, october.staff, language, width)
    page.goto(live_server.url + "/lists/map/")
    page.locator("#need-map[data-ready='1']").wait_for()
    # Two grids of c1 (g1a with 2 open needs, g1b with none) and the one resource point.
    assert page.locator("#need-map path.leaflet-interactive").count() == 3
    assert page.locator("#need-map path[fill='#ffe5d0']").count() == 1
    table = page.locator("table").inner_text()
    assert "2" in table and ("医疗健康" in table or "health care" in table)
    assert _fits(page)
    page.screenshot(path=str(ARTEFACTS / f"needs-map-{language}-{width}.png"), full_page=True)
    assert axe_violations(page) == []
    page.goto(
        live_server.url
        + f"/kpis/dashboard/?unit={october.org['c1'].code}&period=month&date=2026-10-20"
        + "&kpi=lists.satisfaction"
    )
    body = page.locator("main").inner_text()
    assert ("服务满意度" in body) if language == "zh-hans" else ("Service satisfaction" in body)
    assert "66.67" in body and "33.33" in body
    assert _fits(page)
    page.screenshot(path=str(ARTEFACTS / f"dashboard-{language}-{width}.png"), full_page=True)
    assert axe_violations(page) == []
    assert page.errors == []
    context.close()
