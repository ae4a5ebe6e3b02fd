"""The projects list, a project's page and the gap table at a phone's and a desktop's
width, in Chinese and in English: nothing wider than the screen, no serious or critical
axe-core finding; screenshots in var/test-artifacts/projects/."""

from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from tests.browser.axe import axe_violations
from tests.browser.test_layout import _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "projects"
OVERFLOW = """() => [...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 1
    && !e.closest('.table-responsive'))
  .slice(0, 3).map((e) => e.tagName + '.' + e.className)"""


def test_project_pages_fit_phone_and_desktop_in_both_languages(
    browser, live_server, org_tree, make_user
):
    from gridgov.core.services import policy_update
    from gridgov.demo.lists_projects import seed_projects
    from gridgov.lists.models import Project
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    policy_update(actor=admin, key="lists.projects", value={"propose_threshold": 1}, note="演示")
    for i in range(9):
        people.household_create(
            actor=staff, grid=org_tree["g1a"], number=f"B{i}", address=f"{i}号楼", kind="family"
        )
    assert seed_projects() == 2
    from gridgov.lists import services

    for number in ("B7", "B8"):
        from gridgov.people.models import Household

        need, _ = services.need_register(
            actor=staff,
            data=services.NeedInput(
                household=str(Household.objects.get(number=number).uid), category="culture"
            ),
        )
        services.need_transition(actor=staff, need=need, action="start_matching", version=1)
    project = Project.objects.get(service_line="ageing_adapt")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = []
    for language in ("zh-hans", "en"):
        context.clear_cookies()
        context.add_cookies(_session_cookies(staff, live_server, language))
        for name, path in [
            ("list", "/lists/projects/"),
            ("detail", f"/lists/projects/{project.uid}/"),
            ("gap", "/lists/gap/"),
        ]:
            for width in (390, 1280):
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(live_server.url + path)
                assert response.status == 200, path
                over = page.evaluate(OVERFLOW)
                if over:
                    problems.append(f"{name} {language} {width}: wider than the screen {over}")
                page.screenshot(
                    path=str(ARTEFACTS / f"{name}-{language}-{width}.png"), full_page=True
                )
                if width == 1280:
                    problems += [f"{name} {language}: axe {v}" for v in axe_violations(page)]
        assert "propose" in page.content().lower() or "建议立项" in page.content()
    context.close()
    assert not problems, problems
