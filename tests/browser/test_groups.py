"""The chat-group inventory in a real browser: the street starts its inventory campaign on
a desktop; community staff register a group on the phone, approve it, enter a month's
report that places it in 问题整改群, and a rectification case opens; on the campaign board
the community's 整改按期率 has nothing due yet. On day 9 of the campaign the case's 7-day
item is still not done: the street's board shows the community's 整改按期率 red and its
list of cases shows the case overdue. Both widths and both languages: no horizontal
overflow, axe-clean; screenshots go to var/test-artifacts/groups/
(<page>-<lang>-<width>.png)."""

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "groups"


def _fits(page) -> None:
    assert_fits(page)


def _on_time(page, community: str):
    """The community's 整改按期率 cell on the campaign board, scrolled into sight (on the
    phone the table scrolls sideways)."""
    row = page.locator("#community-board tr.community-row").filter(has_text=community)
    cell = row.locator('.indicator[data-code="rectification_on_time"]')
    cell.scroll_into_view_if_needed()
    return cell


def test_register_report_rectify(page, org_tree, make_user, time_machine):
    from gridgov.groups.models import Group, Rectification
    from gridgov.groups.tests.world import compounds_of

    places = compounds_of(org_tree)
    community = org_tree["c1"].name
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    make_user(Role.STREET_STAFF, org_tree["s1"], username="jiedao")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    day_1 = timezone.localdate()

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "jiedao")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/campaigns/new/")
    page.locator("#unit").select_option(org_tree["s1"].code)
    page.locator("#name").fill("天平路街道小区群盘点")
    page.locator("#start_on").fill(day_1.isoformat())
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "campaign-new-zh-hans-1280.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="开始", exact=True).click()
    assert "第1天" in page.locator("#campaign-day").inner_text(), page.content()[:2000]
    board_url = page.url

    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "juwei")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/new/")
    page.locator("#name").fill("幸福家园1号楼服务群")
    page.locator("#platform").select_option("wechat")
    page.locator("#function").select_option("service")
    page.locator("#manager").select_option("property")
    page.locator(f"#compound-{places['happy'].pk}").check()
    page.locator(f"#building-{places['happy_1'].pk}").check()
    page.locator("#has_charter").check()
    page.locator("#has_admin").check()
    page.locator("#members_total").fill("150")
    page.locator("#age_60_plus").fill("40")
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "register-zh-hans-390.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#save-group").click()
    assert "待审批" in page.locator("#group-state").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="批准", exact=True).click()
    assert "已登记" in page.locator("#group-state").inner_text(), page.locator("main").inner_text()[
        :600
    ]

    with page.expect_navigation():
        page.locator("#enter-report").click()
    page.locator("#month").fill("2026-10")
    page.locator("#activity_pct").fill("35")
    page.locator("#response_hours").fill("6")
    page.locator("#false_information").select_option("yes")
    page.locator("#remarks").fill("群主电话13812345678，已约谈")
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "report-zh-hans-390.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#save-snapshot").click()
    assert page.locator("#group-snapshots").count(), (
        page.url,
        page.locator(".invalid-feedback, .text-danger, .alert").all_inner_texts(),
    )
    snapshots = page.locator("#group-snapshots").inner_text()
    assert (
        "问题整改群" in snapshots
        and "分类规则第 0 版: 问题整改群 — 活跃度 35% 低于 50%" in snapshots
    )
    assert "未测量" in snapshots
    assert page.locator("#group-cases").is_visible()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "group-zh-hans-390.png"), full_page=True)
    group = Group.objects.get()
    case = Rectification.objects.get(group=group)
    assert case.trigger == "class" and case.items.count() == 2
    assert "13812345678" not in group.snapshots.get().remarks
    # The community sees its own row of the street's board: no item is due yet.
    page.goto(board_url)
    cell = _on_time(page, community)
    assert cell.get_attribute("data-colour") == "secondary" and "无数据" in cell.inner_text()
    assert not page.console_errors, page.console_errors

    # Day 9 of the campaign, 10:00: the 7-day item (建立信息审核制度) is late and not done.
    day_9 = datetime.combine(day_1 + timedelta(days=8), time(10))
    time_machine.move_to(timezone.make_aware(day_9), tick=True)
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "jiedao")
    page.wait_for_load_state()
    page.goto(board_url)
    assert "第9天" in page.locator("#campaign-day").inner_text()
    cell = _on_time(page, community)
    assert cell.get_attribute("data-colour") == "danger" and "text-bg-danger" in (
        cell.get_attribute("class")
    )
    assert cell.inner_text() == "0.0%"
    assert cell.locator("xpath=..").inner_text().endswith("0/1")
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "board-zh-hans-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert _on_time(page, community).get_attribute("data-colour") == "danger"
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "board-zh-hans-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base}/groups/rectifications/")
    page.wait_for_load_state()
    row = page.locator(".case-row").filter(has_text="幸福家园1号楼服务群")
    badge = row.locator(".case-colour")
    assert badge.get_attribute("data-colour") == "danger" and badge.inner_text() == "已超期"
    assert "已超期 1" in page.locator("#case-colours").inner_text()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "rectifications-zh-hans-1280.png"), full_page=True)
    with page.expect_navigation():
        row.click()
    with page.expect_navigation():
        page.get_by_role("button", name="督导此整改").click()
    items = page.locator("#case-items").inner_text()
    assert "建立信息审核制度" in items and "已超期" in items
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "case-zh-hans-1280.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert "Rectification" in page.content() and "Supervisor" in page.content()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "case-en-1280.png"), full_page=True)
    page.goto(f"{page.base}/groups/rectifications/")
    page.wait_for_load_state()
    assert "overdue" in page.locator("#case-list").inner_text()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "rectifications-en-1280.png"), full_page=True)
    page.goto(board_url)
    page.wait_for_load_state()
    cell = _on_time(page, community)
    assert cell.get_attribute("data-colour") == "danger" and cell.inner_text() == "0.0%"
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "board-en-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/groups/{group.uid}/")
    page.wait_for_load_state()
    assert "to be rectified" in page.locator("#group-snapshots").inner_text()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "group-en-390.png"), full_page=True)
    assert not page.console_errors, page.console_errors
