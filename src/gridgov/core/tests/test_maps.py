"""Maps: the base-layer configuration, the offline tile file served at /map/tiles, and the
WGS-84 ↔ GCJ-02 conversion (the server's and the browser's copy held to the same points)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pmtiles.tile import TileType

from gridgov.accounts.roles import Role
from gridgov.core import coords
from gridgov.core.maps import MapConfigError, csp_origins, parse_base_layer
from gridgov.core.tests.tilefiles import png, write_mbtiles, write_pmtiles
from gridgov.core.views import EMPTY_TILE

# Published WGS-84 → GCJ-02 pairs (lon, lat), as the eviltransform libraries test them.
PUBLISHED = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]
OUTSIDE = [(-0.1276, 51.5072), (-74.006, 40.7128), (151.2093, -33.8688)]
COORDS_JS = Path(__file__).resolve().parents[2] / "static" / "gridgov" / "coords.js"


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[1] - b[1]) * 111_320
    dlon = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dlat, dlon)


# Conversion ----------------------------------------------------------------------


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_published_points_shift_exactly(wgs, gcj):
    assert metres(coords.wgs84_to_gcj02(*wgs), gcj) < 0.01
    assert 300 < metres(wgs, gcj) < 700  # the shift itself is hundreds of metres


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_the_inverse_returns_within_a_metre(wgs, gcj):
    assert metres(coords.gcj02_to_wgs84(*gcj), wgs) < 1.0


def test_round_trips_across_china_within_centimetres():
    for lon in range(74, 135, 7):
        for lat in range(19, 53, 5):
            point = (lon + 0.123, lat + 0.456)
            back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(*point))
            assert metres(back, point) < 0.01, point


@pytest.mark.parametrize("point", OUTSIDE)
def test_no_shift_outside_china(point):
    assert coords.wgs84_to_gcj02(*point) == point
    assert coords.gcj02_to_wgs84(*point) == point


def test_geometries_are_shifted_position_by_position():
    square = {"type": "Polygon", "coordinates": [[[121.5, 31.2], [121.51, 31.2], [121.5, 31.21]]]}
    shifted = coords.transform_geometry(square, coords.wgs84_to_gcj02)
    assert shifted["type"] == "Polygon"
    for before, after in zip(square["coordinates"][0], shifted["coordinates"][0], strict=True):
        assert metres(tuple(after), coords.wgs84_to_gcj02(*before)) < 0.02


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed with the npm assets")
def test_the_browser_copy_converts_like_the_server():
    points = [wgs for wgs, _ in PUBLISHED] + OUTSIDE + [(116.4, 39.9), (87.6, 43.8)]
    script = (
        f"require({json.dumps(str(COORDS_JS))});"
        f"const points = {json.dumps(points)};"
        "console.log(JSON.stringify(points.map(p => {"
        "  const g = GridGovCoords.toDisplay('gcj02', p[0], p[1]);"
        "  return [g, GridGovCoords.fromDisplay('gcj02', g[0], g[1]),"
        "          GridGovCoords.toDisplay('wgs84', p[0], p[1])];"
        "})));"
    )
    result = json.loads(
        subprocess.run(["node", "-e", script], capture_output=True, check=True, text=True).stdout
    )
    for point, (forward, back, same) in zip(points, result, strict=True):
        expected = coords.wgs84_to_gcj02(*point)
        assert abs(forward[0] - expected[0]) < 1e-12 and abs(forward[1] - expected[1]) < 1e-12
        expected_back = coords.gcj02_to_wgs84(*expected)
        assert abs(back[0] - expected_back[0]) < 1e-10 and abs(back[1] - expected_back[1]) < 1e-10
        assert tuple(same) == point


# Configuration --------------------------------------------------------------------


def test_neither_setting_means_the_grid_layer_alone():
    layer = parse_base_layer({})
    assert layer.kind == "none" and layer.url == "" and layer.crs == coords.WGS84


def test_an_xyz_template_with_its_system():
    layer = parse_base_layer(
        {
            "TILES_URL": "https://gis.city.example/tiles/{z}/{x}/{y}.png",
            "TILES_CRS": "GCJ-02",
            "TILES_NAME": "市政务云底图",
            "TILES_MAX_ZOOM": "17",
        }
    )
    assert layer.kind == "url" and layer.shifted and layer.max_zoom == 17
    assert layer.url == "https://gis.city.example/tiles/{z}/{x}/{y}.png"


def test_a_wmts_template_is_read_as_xyz():
    layer = parse_base_layer(
        {
            "TILES_URL": "http://t{s}.tdt.gov.example/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&LAYER=vec&TILEMATRIXSET=w&TileMatrix={TileMatrix}&TileRow={TileRow}"
            "&TileCol={TileCol}&tk=abc",
            "TILES_LABELS_URL": "http://t{s}.tdt.gov.example/cva_w/wmts?TILEMATRIX={z}"
            "&TILEROW={y}&TILECOL={x}",
            "TILES_SUBDOMAINS": "01234567",
            "TILES_CRS": "cgcs2000",
        }
    )
    assert "TileMatrix={z}&TileRow={y}&TileCol={x}" in layer.url
    assert layer.labels_url.endswith("TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")
    assert layer.crs == coords.CGCS2000 and not layer.shifted


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"TILES_URL": "https://a/{z}/{x}/{y}", "TILES_FILE": "/x.pmtiles"}, "not both"),
        ({"TILES_URL": "ftp://a/{z}/{x}/{y}"}, "http(s) URL"),
        ({"TILES_URL": "https://a/{z}/{x}.png"}, "lacks {y}"),
        ({"TILES_URL": "https://a/{z}/{x}/{y}?tk={key}"}, "{key}"),
        ({"TILES_URL": "https://t{s}.a/{z}/{x}/{y}"}, "SUBDOMAINS"),
        ({"TILES_CRS": "bd09"}, "wgs84, cgcs2000, gcj02"),
        ({"TILES_URL": "https://a/{z}/{x}/{y}", "TILES_MAX_ZOOM": "40"}, "1–22"),
        ({"TILES_FILE": "/nowhere/tiles.pmtiles"}, "No such file"),
    ],
)
def test_a_broken_setting_names_its_problem(raw, problem):
    with pytest.raises(MapConfigError) as caught:
        parse_base_layer(raw)
    assert problem in str(caught.value)


def test_vector_tiles_are_refused(tmp_path):
    path = write_pmtiles(tmp_path / "v.pmtiles", {(0, 0, 0): b"\x1a\x00"}, tile_type=TileType.MVT)
    with pytest.raises(MapConfigError, match="MVT tiles, not raster"):
        parse_base_layer({"TILES_FILE": str(path)})


def test_a_file_gives_its_zoom_levels(tmp_path):
    path = write_pmtiles(
        tmp_path / "t.pmtiles", {(12, 3428, 1673): png((1, 2, 3)), (14, 1, 1): png((4, 5, 6))}
    )
    layer = parse_base_layer({"TILES_FILE": str(path), "TILES_CRS": "gcj02"})
    assert (layer.kind, layer.url, layer.min_zoom, layer.max_zoom) == (
        "file",
        "/map/tiles/{z}/{x}/{y}",
        12,
        14,
    )


def test_the_content_security_policy_admits_the_tile_hosts():
    raw = {
        "TILES_URL": "https://t{s}.tdt.gov.example/vec_w/{z}/{x}/{y}",
        "TILES_LABELS_URL": "http://labels.example:8080/{z}/{x}/{y}",
    }
    assert csp_origins(raw) == ["http://labels.example:8080", "https://*.tdt.gov.example"]
    assert csp_origins({"TILES_FILE": "/x.pmtiles"}) == []


def test_the_system_check_reports_a_broken_setting(settings):
    from gridgov.core.checks import map_base_layer_check

    settings.GRIDGOV_MAP = {"TILES_URL": "https://a/{z}/{x}.png"}
    errors = map_base_layer_check(None)
    assert [e.id for e in errors] == ["gridgov.E120"] and "lacks {y}" in errors[0].msg
    settings.GRIDGOV_MAP = {}
    assert map_base_layer_check(None) == []


# Serving the tile file ------------------------------------------------------------

TILES = {(15, 27330, 13388): png((220, 235, 210)), (16, 54660, 26776): png((200, 220, 240))}


@pytest.fixture(params=["pmtiles", "mbtiles"])
def tile_file(request, tmp_path, settings):
    writer = write_pmtiles if request.param == "pmtiles" else write_mbtiles
    path = writer(tmp_path / f"base.{request.param}", TILES)
    settings.GRIDGOV_MAP = {"TILES_FILE": str(path)}
    return path


@pytest.mark.django_db
def test_tiles_are_served_from_the_file(client, tile_file):
    for (z, x, y), data in TILES.items():
        response = client.get(f"/map/tiles/{z}/{x}/{y}")
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response.content == data
        assert response["Cache-Control"] == "public, max-age=86400"
    # Where the file has no tile (also the row a TMS mix-up would read): a transparent one.
    z, x, y = 15, 27330, (1 << 15) - 1 - 13388
    missing = client.get(f"/map/tiles/{z}/{x}/{y}")
    assert missing.status_code == 200 and missing.content == EMPTY_TILE
    assert client.get("/map/tiles/3/9/1").content == EMPTY_TILE  # x outside the zoom level


@pytest.mark.django_db
def test_no_tile_file_no_tiles(client, settings):
    settings.GRIDGOV_MAP = {"TILES_URL": "https://gis.example/{z}/{x}/{y}.png"}
    assert client.get("/map/tiles/15/27330/13388").status_code == 404
    settings.GRIDGOV_MAP = {}
    assert client.get("/map/tiles/15/27330/13388").status_code == 404


@pytest.mark.django_db
def test_anonymous_tile_requests_are_rate_limited_and_staff_are_not(
    client, tile_file, settings, make_user, login_client, org_tree
):
    settings.GRIDGOV_MAP_PUBLIC_TILES_PER_MINUTE = 3
    codes = [client.get("/map/tiles/15/27330/13388").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    staff = login_client(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]))
    assert {staff.get("/map/tiles/15/27330/13388").status_code for _ in range(5)} == {200}


# Pages ----------------------------------------------------------------------------


def _json_script(html: str, element_id: str):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, element_id
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_a_gcj02_base_layer_gets_the_grids_shifted_on_the_server(
    settings, make_user, login_client, org_tree
):
    from gridgov.org.models import Grid

    client = login_client(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]))
    stored = Grid.objects.get(unit=org_tree["g1a"]).boundary["coordinates"][0][0]
    settings.GRIDGOV_MAP = {
        "TILES_URL": "https://gis.example/{z}/{x}/{y}.png",
        "TILES_CRS": "gcj02",
    }
    html = client.get("/org/grids/map/").content.decode()
    features = {f["properties"]["code"]: f for f in _json_script(html, "grid-geojson")["features"]}
    drawn = features["310104003001001"]["geometry"]["coordinates"][0][0]
    assert metres(tuple(drawn), coords.wgs84_to_gcj02(*stored)) < 0.02
    assert metres(tuple(drawn), tuple(stored)) > 300
    config = _json_script(html, "map-config")
    assert config["tiles"] == "https://gis.example/{z}/{x}/{y}.png" and config["crs"] == "gcj02"
    assert "GCJ-02" in config["text"]["base"]
    settings.GRIDGOV_MAP = {}
    html = client.get("/org/grids/map/").content.decode()
    features = {f["properties"]["code"]: f for f in _json_script(html, "grid-geojson")["features"]}
    assert features["310104003001001"]["geometry"]["coordinates"][0][0] == stored
    assert _json_script(html, "map-config")["tiles"] is None


@pytest.mark.django_db
def test_the_report_form_offers_grids_and_buildings_not_coordinate_fields(client, org_tree):
    from gridgov.org.models import Building, Compound

    compound = Compound.objects.create(name="宛平小区", community=org_tree["c1"])
    Building.objects.create(
        compound=compound, grid=org_tree["g1a"], number="3号楼", lon=121.402, lat=31.202
    )
    Building.objects.create(compound=compound, grid=org_tree["g1a"], number="4号楼")  # not placed
    html = client.get("/events/report/?jurisdiction_id=310104").content.decode()
    for name in ("lon", "lat"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'type="hidden"' in field
    assert "Longitude" not in html and "Latitude" not in html
    options = re.findall(
        r'<option value="[gb]\d+" data-lon="([\d.]+)" data-lat="([\d.]+)" data-place="([^"]+)"',
        html,
    )
    places = {place: (float(lon), float(lat)) for lon, lat, place in options}
    assert places["宛平小区 3号楼 · 网格001 · 宛平南路社区"] == (121.402, 31.202)
    grid_point = places["网格001 · 宛平南路社区"]
    assert 121.40 < grid_point[0] < 121.41  # a point inside the grid, stored as WGS-84
    assert not any("4号楼" in p for p in places)
    buildings = _json_script(html, "building-points")
    assert [b["label"] for b in buildings] == ["宛平小区 3号楼"]
