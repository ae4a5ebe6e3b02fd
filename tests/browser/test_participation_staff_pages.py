"""The participation pages staff use on the residents' behalf, in a real browser: a grid
worker on the phone enters a proposal for a resident (代办); community staff on the desktop
approve an act waiting for its points, publish a finished month's grid service board and
start a satisfaction survey about a unit's grid service. Both widths and both languages: no
horizontal overflow, axe-clean; screenshots go to var/test-artifacts/participation-staff/."""

from datetime import date
from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from gridgov.org.models import GridAssignment
from gridgov.participation import services_points as points
from gridgov.participation.models import PendingCredit, Proposal, ServiceBoardEntry, Survey
from gridgov.participation.tests import ledger_world
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "participation-staff"


def _shot(page, name: str) -> None:
    assert_fits(page, name)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _english(page) -> None:
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()


def test_staff_act_for_residents_on_the_phone_and_the_desktop(page, org_tree, make_user):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    world = ledger_world.build(org_tree, make_user)
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker", display_name="张网格")
    GridAssignment.objects.create(
        grid=org_tree["g1a"],
        user=worker,
        duty=GridAssignment.Duty.FULL_TIME,
        start_date=date(2020, 1, 1),
    )
    rules = points.policy_in_force("participation.points").value.earning
    earning = {code: rule.model_dump() for code, rule in rules.items()}
    earning["proposal_adopted"]["needs_approval"] = True
    ledger_world.set_policy("participation.points", earning=earning)
    points.credit_points(resident=world["mother"], action="proposal_adopted", source=world["son"])

    # The grid worker, on the phone: 代办.
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "worker")
    page.goto(f"{page.base}/participation/proposals/assist/")
    page.get_by_label("按姓名查找居民").fill("王")
    page.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    assert "王**" in page.locator("#resident-list").inner_text()
    _shot(page, "assist-find-zh-hans-390")
    page.locator("#resident-list a").first.click()
    page.wait_for_load_state()
    page.get_by_label("标题").fill("楼道灯不亮")
    page.get_by_label("居民的提案内容").fill("3号楼三楼楼道灯坏了一个月")
    _shot(page, "assist-form-zh-hans-390")
    page.get_by_role("button", name="代居民提交").click()
    page.wait_for_load_state()
    assert "已代居民提交提案" in page.content()
    proposal = Proposal.objects.get()
    assert proposal.on_behalf and proposal.entered_by.username == "worker"
    page.goto(f"{page.base}/participation/proposals/assist/?q=王")
    _english(page)
    _shot(page, "assist-find-en-390")

    # Community staff, on the desktop.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, world["staff"].username)
    page.goto(f"{page.base}/participation/points/")
    page.get_by_role("link", name="待审核积分").click()
    page.wait_for_load_state()
    assert "王**" in page.locator("#waiting-list").inner_text()
    _shot(page, "approvals-zh-hans-1280")
    page.get_by_role("button", name="入账", exact=True).click()
    page.wait_for_load_state()
    assert "已入账：20 积分" in page.content()
    assert PendingCredit.objects.get().state == "approved"
    _shot(page, "approvals-done-zh-hans-1280")
    _english(page)
    _shot(page, "approvals-done-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "approvals-done-en-390")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base}/participation/surveys/")
    page.get_by_text("Ask residents how satisfied they are with a grid service").click()
    _shot(page, "surveys-en-1280")
    page.get_by_role("button", name="Start a satisfaction survey").click()
    page.wait_for_load_state()
    page.locator("#survey-subject").wait_for()  # the page after the post, not the form's
    assert Survey.objects.get().subject_type == "org.orgunit"
    _shot(page, "satisfaction-survey-en-1280")

    from gridgov.participation.selectors_boards import recent_periods

    last_month = recent_periods(2)[1]
    page.goto(
        f"{page.base}/participation/boards/?community={org_tree['c1'].code}&period={last_month}"
    )
    page.get_by_role("button", name="Publish the grid service board").click()
    page.wait_for_load_state()
    assert "was published: 1 worker." in page.content()
    assert "张网格" in page.locator("#service-list").inner_text()
    assert page.get_by_role("button", name="Republish the grid service board").is_visible()
    _shot(page, "board-published-en-1280")
    assert not ServiceBoardEntry.objects.exclude(period=last_month).exists()
    assert not page.console_errors, page.console_errors
