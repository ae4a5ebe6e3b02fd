"""Service facilities in a real browser: street staff add a service centre and a room on
the desktop, community staff record walk-in use on a phone (a refused entry first), the
street's board shows the 15-minute circle per grid and a 功能调整 task to close. Both widths
and both languages: no horizontal overflow, axe-clean; screenshots go to
var/test-artifacts/facilities/."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.axe import axe_violations
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "facilities"


def _check(page, name: str) -> None:
    assert_fits(page)
    assert not axe_violations(page), axe_violations(page)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_facility_board_walk_in_and_adjustment(page, org_tree, make_user):
    from gridgov.operations.models import AdjustmentTask, FacilitySpace, SpaceUse
    from gridgov.operations.tests.test_facilities import building

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    make_user(Role.STREET_STAFF, org_tree["s1"], username="street")
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    building(org_tree, "g1a", "1", 121.4055, 31.2052, 12)
    building(org_tree, "g1b", "2", 121.4190, 31.2052, 8)

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "street")
    page.goto(f"{page.base}/operations/facilities/new/")
    page.get_by_label("名称").fill("宛平南路社区综合服务中心")
    page.get_by_label("设施类型").select_option("service_centre")
    page.get_by_label("权属部门").fill("街道民政科")
    page.get_by_label("经度").fill("121.405")
    page.get_by_label("纬度").fill("31.205")
    with page.expect_navigation():
        page.get_by_role("button", name="添加").click()
    page.get_by_label("名称", exact=True).fill("书画室")
    page.get_by_label("可容纳人数").fill("20")
    page.get_by_label("星期一").fill("08:30-11:30, 13:30-17:30")
    page.get_by_label("启用日期").fill((timezone.localdate() - timedelta(days=60)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="添加空间").click()
    assert "空间已添加" in page.content()
    _check(page, "facility-zh-hans-1280")

    page.goto(f"{page.base}/operations/facilities/")
    assert page.locator("#circle-share").inner_text() == "60.0%"  # 12 of 20 residents
    assert "1 / 2" in page.locator("#without-centre").inner_text()
    _check(page, "board-zh-hans-1280")

    # Community staff on a phone: a walk-in for tomorrow is refused, today's is kept.
    space = FacilitySpace.objects.get()
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "keeper")
    page.goto(f"{page.base}/operations/facilities/{space.facility.uid}/")
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    form = page.locator(f"#space-{space.uid}")
    form.get_by_label("使用日期").fill((timezone.localdate() + timedelta(days=1)).isoformat())
    form.get_by_label("使用小时数").fill("2")
    form.get_by_label("参加人数").fill("9")
    with page.expect_navigation():
        form.get_by_role("button", name="登记现场使用").click()
    assert "日期在未来" in page.content() and not SpaceUse.objects.exists()
    _check(page, "walk-in-refused-zh-hans-390")
    form = page.locator(f"#space-{space.uid}")
    form.get_by_label("使用日期").fill(monday.isoformat())
    form.get_by_label("使用小时数").fill("2.5")
    form.get_by_label("参加人数").fill("9")
    with page.expect_navigation():
        form.get_by_role("button", name="登记现场使用").click()
    assert "使用已记录" in page.content() and SpaceUse.objects.count() == 1

    # Last month the room stood idle: its task is on the street's board, closed there.
    AdjustmentTask.objects.create(
        space=space, scope_path=space.facility.scope_path, month=date(2026, 10, 1), idle=0.92
    )
    page.context.clear_cookies()
    sign_in(page, "street")
    page.goto(f"{page.base}/operations/facilities/")
    _check(page, "board-zh-hans-390")
    page.get_by_label("调整内容").fill("改为老年书画班教室，周末开放")
    with page.expect_navigation():
        page.get_by_role("button", name="已调整").click()
    assert "调整已记录" in page.content()
    assert AdjustmentTask.objects.get().state == "done"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Residents within 15 minutes" in page.content()
    _check(page, "board-en-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    _check(page, "board-en-1280")
    errors = [e for e in page.console_errors if "422" not in e]
    assert not errors, errors


def test_grid_service_models_and_the_catalogue(page, org_tree, make_user):
    """Community staff add a signature service for a grid and its item; the grid worker
    reads what their grid offers on a phone, in both languages."""
    from gridgov.org.models import GridAssignment

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker")
    GridAssignment.objects.create(
        grid=org_tree["g1a"], user=worker, duty="full_time", start_date=date(2024, 1, 1)
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "keeper")
    page.goto(f"{page.base}/operations/services/new/")
    page.get_by_label("名称").fill("网格管家")
    page.get_by_label("模式类型").select_option("property")
    page.get_by_label("服务类型").select_option("featured")
    page.get_by_label("管理单位").fill(org_tree["c1"].code)
    page.get_by_label("网格代码").fill(org_tree["g1a"].code)
    with page.expect_navigation():
        page.get_by_role("button", name="添加服务模式").click()
    assert "服务模式已添加" in page.content()
    page.get_by_label("名称").fill("上门小修")
    page.get_by_label("收费（元）").fill("30")
    page.get_by_label("计费单位").fill("次")
    with page.expect_navigation():
        page.get_by_role("button", name="添加项目").click()
    assert "¥30.00 / 次" in page.content()
    _check(page, "model-zh-hans-1280")
    page.goto(f"{page.base}/operations/services/")
    assert "2个网格中1个有特色服务" in page.content()
    _check(page, "models-zh-hans-1280")

    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "worker")
    page.goto(f"{page.base}/operations/services/grids/{org_tree['g1a'].code}/")
    assert "网格管家" in page.content() and "上门小修" in page.content()
    _check(page, "catalogue-zh-hans-390")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "What" in page.content() and "offers" in page.content()
    _check(page, "catalogue-en-390")
    assert not page.console_errors, page.console_errors
