"""The whole event loop in a real browser: a resident reports with a photo on the phone
page → a dispatcher accepts, registers and dispatches → the grid worker checks in,
handles → the community verifies on site (never the handler) → the resident rates it by
tracking code."""

import io
from datetime import date

import pytest
from PIL import Image

from conftest import TEST_PASSWORD
from gridgov.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base + "/")


def _photo(tmp_path):
    path = tmp_path / "photo.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 90)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def act(page, action, **fields):
    page.locator(f'button[data-bs-target="#act-{action}"]').click()
    # Wait until the accordion has finished opening: a click during the animation is lost.
    page.locator(f"#act-{action}.collapse.show").wait_for()
    form = page.locator(f'form[data-action="{action}"]')
    for name, value in fields.items():
        field = form.locator(f'[name="{name}"]')
        if name == "photos":
            field.set_input_files(value)
        elif name in ("category", "assignee"):
            field.select_option(value)
        else:
            field.fill(value)
    # The form posts and redirects back: wait for that navigation, not the current page.
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()


@pytest.fixture
def people(org_tree, make_user):
    from gridgov.org.models import GridAssignment

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="wanggy")
    GridAssignment.objects.create(
        grid=org_tree["g1a"], user=worker, duty="full_time", start_date=date(2025, 1, 1)
    )
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="paiqian")
    return worker


def test_resident_report_to_rating(page, browser, live_server, people, tmp_path):
    from gridgov.events.models import Event

    # 1. The resident, on a phone, without an account.
    page.goto(page.base + "/events/report/?jurisdiction_id=310104")
    page.get_by_label("出了什么问题？").fill("小区门口暴露垃圾")
    page.get_by_label("详情").fill("垃圾堆了三天没人清")
    # The map library is not part of the form: it comes when the reporter asks for the map.
    assert page.evaluate("typeof window.L") == "undefined"
    page.get_by_role("button", name="显示地图").click()
    page.locator("#pick-map[data-ready='1']").wait_for()
    box = page.locator("#pick-map").bounding_box()
    # g1a is the western of the two grids drawn: tap a third of the way across.
    page.mouse.click(box["x"] + box["width"] * 0.33, box["y"] + box["height"] * 0.5)
    assert page.locator("#lon").input_value().startswith("121.40")
    assert page.locator("#place-chosen").inner_text() == "已选位置：网格001 · 宛平南路社区"
    page.get_by_label("照片").set_input_files(_photo(tmp_path))
    page.get_by_label("您的电话，用于回访（可选）").fill("13912345678")
    with page.expect_navigation():
        page.get_by_role("button", name="提交").click()
    code = page.locator("#tracking-code").inner_text()
    secret = page.locator("#tracking-secret").inner_text()  # shown once, never in a URL
    assert secret not in page.url
    page.screenshot(path=str(tmp_path / "1-reported.png"))
    event = Event.objects.get(tracking_code=code)
    assert event.grid.code == "310104003001001" and event.photos.count() == 1

    # 2. The community dispatcher.
    staff = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    desk.base = page.base
    desk.console_errors = []
    desk.on("pageerror", lambda e: desk.console_errors.append(str(e)))
    sign_in(desk, "paiqian")
    desk.goto(desk.base + "/events/")
    desk.locator("#dispatcher-queue").get_by_text("小区门口暴露垃圾").click()
    assert "139****5678" in desk.content() and "13912345678" not in desk.content()
    act(desk, "accept")
    act(desk, "classify", category="06010")
    act(desk, "dispatch", assignee="wanggy")
    assert desk.locator("#event-state").inner_text() == "已派遣"
    desk.screenshot(path=str(tmp_path / "2-dispatched.png"), full_page=True)

    # 3. The grid worker, on a phone.
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.base = page.base
    phone.console_errors = []
    phone.on("pageerror", lambda e: phone.console_errors.append(str(e)))
    sign_in(phone, "wanggy")
    phone.goto(phone.base + "/events/mine/")
    phone.locator("#mine-todo").get_by_text("小区门口暴露垃圾").click()
    act(phone, "check_in")
    act(phone, "handle", result="已清运，并提醒保洁每日巡查", photos=_photo(tmp_path))
    # Nobody verifies their own work: the grid has one worker, so the community does.
    assert phone.locator('form[data-action="verify_pass"]').count() == 0
    phone.screenshot(path=str(tmp_path / "3-handled.png"), full_page=True)

    # 4. The community verifies on site.
    desk.goto(desk.base + "/inbox/")
    assert f"事件 {code} 已处置，请到现场核查。" in desk.content()
    desk.goto(desk.base + f"/events/{event.uid}/")
    act(desk, "verify_pass")
    assert desk.locator("#event-state").inner_text() == "已结案"
    desk.screenshot(path=str(tmp_path / "4-closed.png"), full_page=True)

    # 5. The resident rates it on another phone: the tracking code alone (public in the
    # Open311 feed) opens nothing; with the access key and the phone's last four digits it
    # does.
    reporting_page = page
    later = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = later.new_page()
    page.base = phone.base
    page.console_errors = []
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.goto(page.base + f"/events/track/?code={code}")
    assert page.locator("#rate-form").count() == 0
    page.get_by_label("查询密码").fill(secret)
    page.get_by_label("您留下的手机号码后四位（如留过）").fill("5678")
    with page.expect_navigation():
        page.get_by_role("button", name="打开我的上报").click()
    page.get_by_label("是").check()
    page.locator("#rate-form input[name=rating][value='5']").check()
    page.get_by_role("button", name="提交评价").click()
    page.locator("#rated").wait_for()
    event.refresh_from_db()
    assert (event.state, event.rating, event.actually_fixed) == ("closed", 5, True)
    assert [s for s in event.actions.values_list("action", flat=True)] == [
        "report",
        "accept",
        "classify",
        "dispatch",
        "check_in",
        "handle",
        "verify_pass",
        "rate",
    ]
    for errors in (
        reporting_page.console_errors,
        page.console_errors,
        desk.console_errors,
        phone.console_errors,
    ):
        assert not errors, errors
    staff.close()
    context.close()
    later.close()


def test_event_map_draws_open_events(page, people, org_tree):
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event

    report_event(
        actor=None,
        data=ReportInput(channel=Channel.RESIDENT, title="路灯不亮", lon=121.405, lat=31.205),
    )
    sign_in(page, "paiqian")
    page.goto(page.base + "/events/map/")
    page.locator("#event-map[data-ready='1']").wait_for()
    # The reported event as a point in its state's colour, over the named grids.
    assert page.locator("#event-map .leaflet-points-pane path[fill='#0d6efd']").count() == 1
    assert page.locator("#event-map .grid-label", has_text="网格001").is_visible()
    page.locator("#event-map .map-legend summary").click()
    assert "已上报" in page.locator("#event-map .map-legend").inner_text()
    assert not page.console_errors, page.console_errors


def test_dashboard_and_kpi_map_render(page, people, org_tree, advance_events):
    from pathlib import Path

    sign_in(page, "paiqian")
    page.goto(page.base + "/kpis/dashboard/?unit=310104003001&kpi=events.closure_rate")
    page.locator("#kpi-map[data-ready='1']").wait_for()
    assert page.locator("#kpi-tiles .card").count() >= 15
    assert page.locator("#kpi-map path.leaflet-interactive").count() >= 2  # the two grids
    assert page.locator("#kpi-map .grid-label", has_text="网格001").is_visible()
    assert "网格001" in page.locator("#children").inner_text()
    artefacts = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
    artefacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artefacts / "kpi-dashboard.png"), full_page=True)
    page.locator("#children a.badge").first.click()
    page.locator("#kpi-rows").wait_for()
    assert not page.console_errors, page.console_errors


@pytest.fixture
def advance_events(people, org_tree):
    """Two events in g1a this month: one closed, one open."""
    from gridgov.accounts.models import User
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event, transition

    staff = User.objects.get(username="paiqian")
    worker = people
    for title, close in (("楼道堆物", True), ("路灯不亮", False)):
        event, _ = report_event(
            actor=None,
            data=ReportInput(channel=Channel.RESIDENT, title=title, lon=121.405, lat=31.205),
        )
        transition(actor=staff, event=event, action="accept")
        transition(actor=staff, event=event, action="classify", category_code="06010")
        transition(actor=staff, event=event, action="dispatch", assignee=worker)
        if close:
            transition(actor=worker, event=event, action="check_in")
            transition(actor=worker, event=event, action="handle", result="已处理")
            transition(actor=staff, event=event, action="verify_pass")


def test_command_screen_on_a_wall_display(browser, live_server, people, advance_events):
    from pathlib import Path

    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    screen = context.new_page()
    screen.base = live_server.url
    errors = []
    screen.on("pageerror", lambda e: errors.append(str(e)))
    screen.on("console", lambda m: m.type == "error" and errors.append(m.text))
    sign_in(screen, "paiqian")
    screen.goto(screen.base + "/kpis/command/?unit=310104003001")
    screen.locator("#kpi-map[data-ready='1']").wait_for()
    assert screen.locator("#command-tiles .card").count() == 6
    assert screen.locator("html").get_attribute("data-bs-theme") == "dark"
    artefacts = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
    artefacts.mkdir(parents=True, exist_ok=True)
    screen.screenshot(path=str(artefacts / "command-screen.png"))
    assert not errors, errors
    context.close()
