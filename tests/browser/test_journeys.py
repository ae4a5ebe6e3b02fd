import pytest

from conftest import TEST_PASSWORD
from gridgov.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username, password=TEST_PASSWORD):
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    # Wait for the signed-in page: a page opened before the answer arrives has no session.
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_sign_in_and_see_role_navigation(page, org_tree, make_user):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="wang")
    sign_in(page, "wang")
    page.wait_for_url(page.base + "/")
    assert page.get_by_role("heading", name="欢迎").is_visible() or "欢迎" in page.content()
    assert "行政层级" in page.content() and "审计日志" not in page.content()
    assert not page.console_errors, page.console_errors


def test_lockout_message_after_five_failures(page, org_tree, make_user):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="li")
    for _ in range(5):
        sign_in(page, "li", "wrong-password")
    alert = page.locator("#login-error")
    assert "锁定" in alert.inner_text() and "30" in alert.inner_text()
    sign_in(page, "li")
    assert "锁定" in page.locator("#login-error").inner_text()


def test_browse_the_hierarchy_down_to_a_grid(page, org_tree, make_user):
    make_user(Role.STREET_STAFF, org_tree["s1"], username="zhao")
    sign_in(page, "zhao")
    page.goto(page.base + "/org/units/")
    # A single scope root opens directly: the street, with its community below.
    assert "天平路街道" in page.locator("h1").inner_text()
    page.get_by_role("link", name="宛平南路社区").click()
    assert "宛平南路社区" in page.locator("h1").inner_text()
    page.get_by_role("link", name="网格001").click()
    assert "网格001" in page.locator("h1").inner_text()
    assert "华阳" not in page.content()
    assert not page.console_errors, page.console_errors


def test_grid_map_draws_the_polygons(page, org_tree, make_user):
    make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="qian")
    sign_in(page, "qian")
    page.goto(page.base + "/org/grids/map/")
    page.wait_for_selector("#grid-map[data-ready='1'] path.leaflet-interactive")
    # The district's two grids, drawn with an area on screen and named; no base layer is
    # configured here, and the legend says so.
    areas = page.evaluate("""() => [...document.querySelectorAll(
        '#grid-map path.leaflet-interactive')].map(p => {
            const b = p.getBoundingClientRect(); return b.width * b.height; })""")
    assert len(areas) == 2 and min(areas) > 1000, areas
    for name in ("网格001", "网格002"):
        assert page.locator("#grid-map .grid-label", has_text=name).is_visible()
    assert page.locator("#grid-map .leaflet-tile").count() == 0
    page.locator("#grid-map .map-legend summary").click()
    assert "底图：未配置，仅显示网格图层" in page.locator("#grid-map .map-legend").inner_text()
    assert not page.console_errors, page.console_errors
    page.screenshot(path="var/screenshot-grid-map.png")


def test_language_switch_to_english(page, org_tree, make_user):
    make_user(Role.GRID_WORKER, org_tree["g1a"], username="sun")
    sign_in(page, "sun")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Sign out" in page.content()
