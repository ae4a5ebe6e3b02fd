"""Smart devices and an emergency in a real browser: community staff register a smoke
detector and get its secret once; the device beats through the signed webhook, falls
silent and the scan opens a repair ticket that appears on the street's devices board; the
grid worker repairs it on a phone and the device is back online. A flood event reported in
the grid leads street staff from the event to a sandbag transfer suggestion. Both widths
and both languages: no horizontal overflow, axe-clean; screenshots go to
var/test-artifacts/devices/."""

import hashlib
import hmac
import json
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.axe import axe_violations
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "devices"


def _check(page, name: str) -> None:
    assert_fits(page)
    assert not axe_violations(page), axe_violations(page)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _heartbeat(page, code: str, secret: str) -> int:
    body = json.dumps({"type": "heartbeat"})
    stamp, nonce = str(int(time.time())), f"browser-{time.time_ns()}"
    signature = hmac.new(
        secret.encode(), f"{stamp}.{nonce}.".encode() + body.encode(), hashlib.sha256
    ).hexdigest()
    response = page.request.post(
        f"{page.base}/events/hooks/device/{code}/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GridGov-Timestamp": stamp,
            "X-GridGov-Nonce": nonce,
            "X-GridGov-Signature": signature,
        },
    )
    return response.status


def test_device_offline_to_repair_and_a_flood_transfer(page, org_tree, make_user):
    from gridgov.events.services import ReportInput, report_event
    from gridgov.operations.models import Device
    from gridgov.operations.services_devices import scan_offline
    from gridgov.operations.tests.supply_world import make_store, receive
    from gridgov.org.models import GridAssignment

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    street = make_user(Role.STREET_STAFF, org_tree["s1"], username="street")
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker")
    GridAssignment.objects.create(
        grid=org_tree["g1a"], user=worker, duty="full_time", start_date=date(2024, 1, 1)
    )

    # Community staff register a device on the desktop; the secret is shown once.
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "keeper")
    page.goto(f"{page.base}/operations/devices/new/")
    page.get_by_label("设备编码").fill("smoke-3-401")
    page.get_by_label("设备类型").select_option("smoke")
    page.get_by_label("网格代码").fill(org_tree["g1a"].code)
    page.get_by_label("经度").fill("121.405")
    page.get_by_label("纬度").fill("31.205")
    page.get_by_label("安装日期").fill((timezone.localdate() - timedelta(days=30)).isoformat())
    page.get_by_label("责任人", exact=True).fill("李四")
    with page.expect_navigation():
        page.get_by_role("button", name="登记设备").click()
    assert "请写明安装单位" in page.content()  # the installer is missing: 422, nothing stored
    assert not Device.objects.exists()
    page.get_by_label("安装单位").fill("上海智能设备安装公司")
    with page.expect_navigation():
        page.get_by_role("button", name="登记设备").click()
    secret = page.get_by_label("签名密钥").input_value()
    assert len(secret) >= 40
    _check(page, "secret-zh-hans-1280")

    # The device beats, then falls silent; the scan takes it offline with a ticket.
    assert _heartbeat(page, "smoke-3-401", secret) == 200
    Device.objects.update(offline_after=timezone.now() - timedelta(seconds=1))
    assert scan_offline() == 1

    page.context.clear_cookies()
    sign_in(page, "street")
    page.goto(f"{page.base}/operations/devices/")
    assert page.locator("#open-tickets").inner_text() == "1"
    assert "离线" in page.locator("#devices").inner_text()
    _check(page, "board-zh-hans-1280")
    page.locator("#open-tickets").click()
    page.wait_for_load_state()
    assert "设备离线" in page.locator("#tickets").inner_text()
    _check(page, "tickets-zh-hans-1280")

    # A flood in the grid: from the event to a sandbag transfer from the street's store.
    community_store = make_store(street, org_tree["c1"], name="宛平南路社区储备点")
    depot = make_store(street, org_tree["s1"], tier="street", name="天平路街道周转库", lon=121.41)
    receive(street, depot, "sandbag", 500)
    flood, _created = report_event(
        actor=street,
        data=ReportInput(
            channel="hotline",
            title="暴雨积水漫入地下车库",
            description="3号楼地下车库进水，需要沙袋",
            lon=121.4052,
            lat=31.2051,
        ),
    )
    page.goto(f"{page.base}/events/{flood.uid}/")
    page.locator("#send-supplies").click()
    page.wait_for_load_state()
    page.locator("#sg-category").select_option("sandbag")
    page.locator("#sg-quantity").fill("200")
    with page.expect_navigation():
        page.locator("#suggest-form").get_by_role("button").click()
    suggestions = page.locator("#suggestions")
    assert "天平路街道周转库" in suggestions.inner_text()
    assert community_store.name in page.content() and "暴雨积水" in page.content()
    _check(page, "flood-suggest-zh-hans-1280")
    with page.expect_navigation():
        suggestions.get_by_role("button", name="派出调拨").first.click()
    assert "已调出 200" in page.content()
    from gridgov.operations.models import Dispatch

    assert Dispatch.objects.get().event_id == flood.pk

    # The grid worker repairs it on a phone: home → the open repair → start → repaired.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "worker")
    page.goto(f"{page.base}/")
    page.get_by_role("link", name="未结的设备维修").click()
    page.wait_for_load_state()
    _check(page, "tickets-zh-hans-390")
    with page.expect_navigation():
        page.get_by_role("button", name="开始维修").click()
    page.get_by_label("维修内容").fill("更换电池，重新联网")
    with page.expect_navigation():
        page.get_by_role("button", name="已修复").click()
    assert "维修已记录" in page.content()
    assert Device.objects.get().status == Device.Status.ONLINE
    page.get_by_role("link", name="全部").click()
    page.wait_for_load_state()
    assert "已修复" in page.locator("#tickets").inner_text()
    _check(page, "tickets-done-zh-hans-390")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "fixed" in page.locator("#tickets").inner_text()
    _check(page, "tickets-done-en-390")
    page.goto(f"{page.base}/operations/devices/")
    page.wait_for_load_state()
    assert "Access rate" in page.content()
    _check(page, "board-en-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    _check(page, "board-en-1280")
    # The refused registration answers 422 on purpose.
    errors = [e for e in page.console_errors if "422" not in e]
    assert not errors, errors
