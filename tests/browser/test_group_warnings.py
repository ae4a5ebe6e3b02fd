"""Chat exports and early warning in a real browser: community staff record the group's
consent notice and upload an export on the phone; the burst of 发热 raises a warning,
which they report as a grid event; the street reads the warnings and the compound risk
index on a desktop. Both widths and both languages: no horizontal overflow, axe-clean;
screenshots go to var/test-artifacts/group-warnings/ (<page>-<lang>-<width>.png)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "group-warnings"


def _export(tmp_path) -> Path:
    """Six residents naming 发热 in the minutes before now, and an admin's answer."""
    now = timezone.localtime()
    lines = [
        (now - timedelta(minutes=20), "居民甲", "请问社区有退烧药吗？"),
        (now - timedelta(minutes=18), "管理员", "社区卫生站有"),
    ]
    lines += [(now - timedelta(minutes=12 - i), f"居民{i}", "我家也发热了") for i in range(6)]
    path = tmp_path / "群聊导出.txt"
    path.write_text(
        "\n".join(f"{m:%Y-%m-%d %H:%M:%S} {who}\n{text}\n" for m, who, text in lines),
        encoding="utf-8",
    )
    return path


def test_consent_upload_warning_event_and_risk(page, org_tree, make_user, tmp_path):
    from gridgov.groups import services
    from gridgov.groups.models import EarlyWarning
    from gridgov.groups.tests.world import compounds_of, group_data

    places = compounds_of(org_tree)
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    make_user(Role.STREET_STAFF, org_tree["s1"], username="jiedao")
    group = services.group_create(
        actor=staff, data=group_data(places, members_total="60", age_60_plus="20")
    )
    group = services.group_transition(actor=staff, group=group, action="approve", version=1)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "juwei")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/{group.uid}/")
    with page.expect_navigation():
        page.locator("#group-exports-link").click()
    assert page.locator("#export-upload").count() == 0  # no consent yet
    page.locator("#notice").fill("群公告告知成员")
    page.locator("#noticed_on").fill(timezone.localdate().isoformat())
    assert_fits(page, "exports")
    page.screenshot(path=str(ARTEFACTS / "consent-zh-hans-390.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="记录同意").click()
    assert "现行" in page.locator("#export-consent").inner_text()
    page.locator("#file").set_input_files(str(_export(tmp_path)))
    page.locator("#admin_names").fill("管理员")
    with page.expect_navigation():
        page.get_by_role("button", name="读取导出").click()
    assert "预警 1 条" in page.locator("main").inner_text(), page.locator("main").inner_text()
    rows = page.locator("#export-list").inner_text()
    assert "8 (8)" in rows and "1 条预警" in rows
    assert_fits(page, "exports-read")
    page.screenshot(path=str(ARTEFACTS / "exports-zh-hans-390.png"), full_page=True)

    page.goto(f"{page.base}/groups/warnings/")
    page.wait_for_load_state()
    assert "公共卫生" in page.locator("#warning-list").inner_text()
    with page.expect_navigation():
        page.locator(".warning-row").first.click()
    assert "我家也发热了" in page.locator("#warning-excerpts").inner_text()
    assert page.locator("#category").input_value() == "57001"
    assert_fits(page, "warning")
    page.screenshot(path=str(ARTEFACTS / "warning-zh-hans-390.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="上报事件").click()
    assert "属实" in page.locator("#warning-state").inner_text()
    assert page.locator("#warning-event").inner_text().strip()
    warning = EarlyWarning.objects.get()
    assert warning.event is not None and warning.event.grid == org_tree["g1a"]
    assert not page.console_errors, page.console_errors

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "jiedao")
    page.wait_for_load_state()
    # The risk index is a layer of the grid map: the compound at its buildings' place.
    for building, lon in ((places["happy_1"], 121.402), (places["happy_2"], 121.412)):
        building.lon, building.lat = lon, 31.205
        building.save()
    page.goto(f"{page.base}/org/grids/map/")
    page.wait_for_selector("#grid-map[data-ready='1']")
    assert page.locator(".leaflet-control-layers").count() == 1
    assert "幸福家园" in page.locator("#layer-groups-risk").text_content()
    assert_fits(page, "grid-map")
    page.screenshot(path=str(ARTEFACTS / "grid-map-risk-zh-hans-1280.png"), full_page=True)
    page.goto(f"{page.base}/groups/risk/")
    page.wait_for_load_state()
    assert "幸福家园" in page.locator("#risk-list").inner_text()
    assert_fits(page, "risk")
    page.screenshot(path=str(ARTEFACTS / "risk-zh-hans-1280.png"), full_page=True)
    with page.expect_navigation():
        page.locator(".risk-row").first.click()
    assert "60岁以上占比" in page.locator("#risk-inputs").inner_text()
    assert_fits(page, "risk-detail")
    page.screenshot(path=str(ARTEFACTS / "risk-detail-zh-hans-1280.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert "Share aged 60+" in page.locator("#risk-inputs").inner_text()
    assert_fits(page, "risk-detail-en")
    page.screenshot(path=str(ARTEFACTS / "risk-detail-en-1280.png"), full_page=True)
    page.goto(f"{page.base}/groups/warnings/?state=all")
    page.wait_for_load_state()
    assert "confirmed" in page.locator("#warning-list").inner_text()
    assert_fits(page, "warnings-en")
    page.screenshot(path=str(ARTEFACTS / "warnings-en-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/groups/{group.uid}/exports/")
    page.wait_for_load_state()
    assert_fits(page, "exports-en")
    page.screenshot(path=str(ARTEFACTS / "exports-en-390.png"), full_page=True)
    assert not page.console_errors, page.console_errors
