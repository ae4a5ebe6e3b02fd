"""Maps in a real browser: the base layer from an offline tile file made here, served by
GridGov at /map/tiles; grid names on the map; the event's place; the resident's picker on a
phone, also over a GCJ-02 base layer (a tap is stored as WGS-84). axe-core finds no serious
or critical violation. Screenshots go to var/test-artifacts/maps/."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.tests.tilefiles import png, tiles_covering, write_pmtiles
from tests.browser.axe import axe_violations
from tests.browser.test_events import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "maps"
SIZES = {"phone": (390, 844), "desktop": (1366, 768)}


@pytest.fixture
def tile_file(tmp_path, settings):
    """A PMTiles file over the first district's grids, zoom 10–18, one light tint per zoom."""
    tints = {z: png((228 - 2 * (z - 10), 238, 222 + z)) for z in range(10, 19)}
    tiles = {
        (z, x, y): tints[z]
        for z, x, y in tiles_covering(121.385, 31.185, 121.435, 31.225, range(10, 19))
    }
    path = write_pmtiles(tmp_path / "district.pmtiles", tiles)
    settings.GRIDGOV_MAP = {"TILES_FILE": str(path), "TILES_NAME": "区级离线底图"}
    return path


@pytest.fixture
def placed(org_tree):
    from gridgov.org.models import Building, Compound

    compound = Compound.objects.create(name="宛平小区", community=org_tree["c1"])
    for number, lon, lat in [("1号楼", 121.403, 31.203), ("2号楼", 121.406, 31.206)]:
        Building.objects.create(
            compound=compound, grid=org_tree["g1a"], number=number, lon=lon, lat=lat
        )
    return compound


def _watch_tiles(page):
    tiles = []
    page.on(
        "response",
        lambda r: (
            "/map/tiles/" in r.url and tiles.append((r.status, r.headers.get("content-length")))
        ),
    )
    return tiles


def _shot(page, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


@pytest.mark.parametrize("size", list(SIZES))
def test_grid_map_over_the_offline_tiles(
    browser, live_server, tile_file, placed, org_tree, make_user, size
):
    make_user(Role.STREET_STAFF, org_tree["s1"], username="jiedao")
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.base = live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    tiles = _watch_tiles(page)
    sign_in(page, "jiedao")
    page.goto(page.base + "/org/grids/map/")
    page.locator("#grid-map[data-ready='1']").wait_for()
    page.locator("#grid-map .leaflet-tile-loaded").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert tiles and {status for status, _ in tiles} == {200}
    # Tiles of the file itself, not only the transparent stand-in for a missing one.
    assert any(int(length or 0) > 200 for _, length in tiles)
    assert page.locator(".leaflet-tile-loaded").count() >= 1
    for name in ("网格001", "网格002"):
        assert page.locator(".grid-label", has_text=name).is_visible()
    # Buildings appear from street level (zoom 15) on: on a phone, one step in.
    if page.evaluate("document.querySelectorAll('#grid-map .leaflet-interactive').length") < 5:
        page.get_by_role("button", name="放大").click()
        page.wait_for_timeout(600)
    # Two grids, two buildings, and the compound's point of the risk-index layer.
    assert page.locator("#grid-map .leaflet-interactive").count() == 5
    if size == "phone":
        page.locator(".map-legend summary").click()
    legend = page.locator(".map-legend").inner_text()
    assert "区级离线底图" in legend and "WGS-84" in legend and "楼栋" in legend
    _shot(page, f"grid-map-{width}")
    assert axe_violations(page) == []
    assert errors == []
    context.close()


def test_event_page_shows_its_place(browser, live_server, tile_file, org_tree, make_user):
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event

    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="shequ")
    event, _ = report_event(
        actor=None,
        data=ReportInput(title="路灯不亮", lon=121.405, lat=31.205, channel=Channel.RESIDENT),
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base = live_server.url
    tiles = _watch_tiles(page)
    sign_in(page, "shequ")
    page.goto(page.base + f"/events/{event.uid}/")
    assert "网格001 · 宛平南路社区" in page.locator("#event-place").inner_text()
    page.locator("#event-place-map[data-ready='1']").wait_for()
    page.locator("#event-place-map .leaflet-tile-loaded").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert tiles and {status for status, _ in tiles} == {200}
    assert page.locator(".grid-label", has_text="网格001").is_visible()
    # The event's point sits in the middle of its grid, where the grid's name is: the point
    # is drawn on top.
    box = page.locator("#event-place-map path.leaflet-interactive[fill='#dc3545']").bounding_box()
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('fill')", centre)
    assert top == "#dc3545"
    page.locator("#event-place-map").scroll_into_view_if_needed()
    _shot(page, "event-place-390")
    assert axe_violations(page) == []
    context.close()


def _settled_box(locator) -> dict:
    """The element's box once the map has stopped moving (a pan or zoom animation may still
    run on a slow machine: a tap then lands beside the marker)."""
    box = locator.bounding_box()
    for _ in range(50):
        locator.page.wait_for_timeout(100)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_resident_picks_the_place_on_a_phone(
    browser, live_server, tile_file, placed, org_tree, settings, crs
):
    from gridgov.core import coords

    settings.GRIDGOV_MAP = {**settings.GRIDGOV_MAP, "TILES_CRS": crs}
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base = live_server.url
    tiles = _watch_tiles(page)
    page.goto(page.base + "/events/report/?jurisdiction_id=310104")
    assert page.locator("#lon").get_attribute("type") == "hidden"
    assert page.get_by_label("经度").count() == 0
    # Without the map: the list of grids and buildings, by keyboard.
    page.get_by_label("或选择网格或楼栋").select_option(label="宛平小区 2号楼")
    chosen = page.locator("#place-chosen").inner_text()
    assert chosen == "已选位置：宛平小区 2号楼 · 网格001 · 宛平南路社区"
    assert page.locator("#lon").input_value() == "121.406000"
    # The map: the chosen place is marked where the base layer draws it.
    page.get_by_label("或选择网格或楼栋").select_option(label="网格001 · 整个网格")
    assert page.locator("#lon").input_value() == "121.405000"  # the grid's middle, WGS-84
    assert page.evaluate("typeof window.L") == "undefined"  # loaded on request only
    page.get_by_role("button", name="显示地图").click()
    page.locator("#pick-map[data-ready='1']").wait_for()
    page.locator("#pick-map .leaflet-tile-loaded").first.wait_for()
    assert tiles and {status for status, _ in tiles} == {200}
    assert page.locator("#pick-map .grid-label", has_text="网格001").is_visible()
    page.locator("#pick-map").scroll_into_view_if_needed()
    _shot(page, f"picker-{crs}-390")
    # A tap right on the marker stores the same WGS-84 point again, within a few metres
    # (about a pixel), whatever system the base layer draws in: on GCJ-02 the tap is
    # converted back (a missing conversion would be hundreds of metres off).
    marker = _settled_box(page.locator("#pick-map .leaflet-points-pane path[fill='#dc3545']"))
    page.evaluate(
        "document.getElementById('lon').value = document.getElementById('lat').value = ''"
    )
    page.mouse.click(marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    lon, lat = float(page.locator("#lon").input_value()), float(page.locator("#lat").input_value())
    assert abs(lon - 121.405) < 5e-5 and abs(lat - 31.205) < 5e-5, (lon, lat)
    drawn = page.evaluate("GridGovCoords.toDisplay(GridGovMap.config.crs, 121.405, 31.205)")
    assert drawn == pytest.approx(list(coords.to_display(crs)(121.405, 31.205)), abs=1e-9)
    assert page.locator("#place-chosen").inner_text() == "已选位置：网格001 · 宛平南路社区"
    # A tap on a building (shown from street level on) chooses that building.
    building = page.locator("#pick-map .leaflet-points-pane path.leaflet-interactive").first
    box = building.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.locator("#place-chosen").inner_text().startswith("已选位置：宛平小区 ")
    assert page.locator("#place-chosen").inner_text().endswith(" · 网格001 · 宛平南路社区")
    assert axe_violations(page) == []
    context.close()
