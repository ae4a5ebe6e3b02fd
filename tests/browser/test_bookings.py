"""A room's week calendar in a real browser: a grid worker books a free slot from the phone's
day list, the keeper approves it on a desktop, and the week grid shows it booked. Both
widths and both languages: no horizontal overflow, axe-clean; screenshots go to
var/test-artifacts/bookings/ (calendar-<lang>-<width>.png)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "bookings"


def _room(org_tree, make_user):
    from gridgov.lists import booking_services, services

    keeper = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker")
    resource = services.resource_create(
        actor=keeper,
        data={
            "name": "党群服务中心多功能厅",
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": "宛平南路社区居委会",
            "categories": ["culture"],
            "owner": org_tree["c1"].code,
            "capacity": 50,
            "area_paths": [org_tree["c1"].code],
        },
    )
    booking_services.space_save(
        actor=keeper,
        resource=resource,
        data={
            "schedule": {str(d): "08:30-11:30, 13:30-17:30" for d in range(7)},
            "slot_minutes": 60,
            "capacity_people": 40,
            "needs_approval": True,
        },
    )
    return resource


def _fits(page) -> None:
    assert_fits(page)


def test_book_on_the_phone_approve_on_the_desktop(page, org_tree, make_user):
    resource = _room(org_tree, make_user)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    calendar = f"{page.base}/lists/bookings/resources/{resource.uid}/"
    next_week = timezone.localdate() + timedelta(days=7)
    sign_in(page, "worker")
    page.goto(f"{calendar}?week={next_week}")
    days = page.locator("#calendar-days")
    assert days.is_visible() and not page.locator("#calendar-grid").is_visible()
    days.get_by_role("link", name="预约").first.click()
    page.get_by_label("用途").fill("合唱排练")
    page.get_by_label("参加人数").fill("25")
    page.get_by_label("申请人（个人，或团体联系人）").fill("李合唱")
    page.get_by_label("团体（可选）").fill("夕阳红合唱团")
    page.get_by_role("button", name="提交申请").click()
    assert "待审批" in page.locator("#booking-state").inner_text()
    assert "李*" in page.content() and "李合唱" not in page.content()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "booking-zh-hans-390.png"), full_page=True)
    page.goto(f"{calendar}?week={next_week}")
    assert "夕阳红合唱团" in days.inner_text()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "calendar-zh-hans-390.png"), full_page=True)
    assert not page.console_errors, page.console_errors

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "keeper")
    page.goto(f"{page.base}/lists/bookings/")
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "list-zh-hans-1280.png"), full_page=True)
    page.locator("#bookings-waiting a").first.click()
    page.get_by_role("button", name="批准").click()
    assert "已批准" in page.locator("#booking-state").inner_text()
    page.goto(f"{calendar}?week={next_week}")
    grid = page.locator("#calendar-grid")
    assert grid.is_visible() and not page.locator("#calendar-days").is_visible()
    assert "已预约" in grid.inner_text()
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "calendar-zh-hans-1280.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert (
        "booked" in grid.inner_text()
        and "available" in grid.inner_text()
        and "Utilisation" in page.content()
    )
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "calendar-en-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page)
    page.screenshot(path=str(ARTEFACTS / "calendar-en-390.png"), full_page=True)
    assert not page.console_errors, page.console_errors
