"""Deliberation's staff and resident pages at a phone's and a desktop's width, in Chinese
and in English: nothing wider than the screen, no serious or critical axe-core finding at
either width; screenshots in var/test-artifacts/deliberation/ (or $SHOTS)."""

import os
from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from tests.browser.axe import axe_violations
from tests.browser.test_layout import _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(
    os.environ.get("SHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "deliberation"
)
OVERFLOW = """() => [...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 1
    && !e.closest('.table-responsive'))
  .slice(0, 3).map((e) => e.tagName + '.' + e.className)"""


def test_deliberation_pages_fit_phone_and_desktop_in_both_languages(
    browser, live_server, org_tree, make_user
):
    from gridgov.demo.participation_topics import seed_participation_topics
    from gridgov.participation import selectors_deliberation as selectors
    from gridgov.participation.models import Topic
    from gridgov.participation.tests.test_deliberation import bound_user, make_resident

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    people = [make_resident(staff, org_tree["g1a"], f"W{n}") for n in range(10)]
    resident_user = bound_user(make_user, people[9], org_tree["g1a"])
    assert seed_participation_topics() > 0
    topics = Topic.objects.filter(scope_path__startswith=org_tree["c1"].path)
    discussing = topics.get(state=Topic.State.DISCUSSING)
    overdue = topics.filter(selectors.overdue_q()).get()
    reported = topics.get(state=Topic.State.REPORTED)
    staff_pages = [
        ("topics", "/participation/topics/"),
        ("topic-discussing", f"/participation/topics/{discussing.pk}/"),
        ("topic-overdue", f"/participation/topics/{overdue.pk}/"),
        ("topic-edit", f"/participation/topics/{discussing.pk}/edit/"),
        ("topic-new", "/participation/topics/new/"),
        ("decision", f"/participation/topics/{discussing.pk}/decision/"),
        ("report", f"/participation/topics/{overdue.pk}/report-back/"),
        ("proposals", "/participation/proposals/"),
    ]
    resident_pages = [
        ("me-topics", "/participation/me/topics/"),
        ("me-topic", f"/participation/me/topics/{discussing.pk}/"),
        ("me-reported", f"/participation/me/topics/{reported.pk}/"),
        ("me-proposals", "/participation/me/proposals/"),
        ("me-propose", "/participation/me/proposals/new/"),
    ]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = []
    for user, pages in ((staff, staff_pages), (resident_user, resident_pages)):
        for language in ("zh-hans", "en"):
            context.clear_cookies()
            context.add_cookies(_session_cookies(user, live_server, language))
            for name, path in pages:
                for width in (390, 1280):
                    page.set_viewport_size({"width": width, "height": 900})
                    response = page.goto(live_server.url + path)
                    assert response.status == 200, path
                    over = page.evaluate(OVERFLOW)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if wide > width:
                        problems.append(f"{name} {language} {width}: page {wide} px wide")
                    if over:
                        problems.append(f"{name} {language} {width}: wider than the screen {over}")
                    page.screenshot(
                        path=str(ARTEFACTS / f"{name}-{language}-{width}.png"), full_page=True
                    )
                    problems += [
                        f"{name} {language} {width}: axe {v}" for v in axe_violations(page)
                    ]
            if user is resident_user:
                page.goto(live_server.url + f"/participation/me/topics/{discussing.pk}/")
                text = page.content()
                assert "含商业广告" in text and "联系微信" not in text
    # The resident co-signs a proposal on the phone, with a large button.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/participation/me/proposals/")
    button = page.locator("#my-proposals form button").first
    assert button.bounding_box()["height"] >= 44
    button.click()
    assert page.locator(".alert-success").count() == 1
    context.close()
    assert not problems, problems
