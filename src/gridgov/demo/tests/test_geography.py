"""The demo district and the generated districts lie in their real place: 徐汇区's outline
from the ECharts 4 province map, streets and communities where their roads are, grids that
tile their community, buildings inside their grid."""

from __future__ import annotations

import logging
from io import StringIO
from itertools import combinations
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from shapely import union_all
from shapely.geometry import Point, shape

from gridgov.demo import district as synthetic
from gridgov.demo.geography import (
    OutlineDataMissing,
    decode,
    district_outline,
    province_file,
)
from gridgov.demo.seed import COMMUNITIES, STREETS, demo_layout
from gridgov.events.routing import place
from gridgov.org.models import Building, Grid, OrgUnit

XUJIAHUI = (121.437, 31.195)  # 徐家汇, inside 徐汇区
PEOPLES_SQUARE = (121.475, 31.232)  # 人民广场, in 黄浦区
WANPING_ROAD_SOUTH = (121.446, 31.200)  # 宛平南路 north of 肇嘉浜路
QINZHOU_ROAD = (121.422, 31.176)  # 钦州路 south of 宜山路
DIVISIONS = Path(__file__).resolve().parents[5] / "shared" / "data" / "divisions"
# Shared edges are cut separately from the same outline: areas and distances this small
# (about 1 cm² and 0.1 mm) are rounding, not overlaps.
AREA_TOLERANCE = 1e-14
TOLERANCE = 1e-9


def test_the_province_file_decodes_to_xuhui():
    outline = district_outline("310104")
    assert outline is not None and outline.is_valid
    assert outline.contains(Point(XUJIAHUI))
    assert not outline.contains(Point(PEOPLES_SQUARE))
    # 徐汇区 is about 55 km² (1° of latitude ≈ 111 km, of longitude ≈ 95 km here).
    assert 50 < outline.area * 111 * 95 < 60
    # 黄浦区 from the same file holds 人民广场.
    assert district_outline("310101").contains(Point(PEOPLES_SQUARE))
    # 浦东新区 is several polygons (islands): 陆家嘴 is in one of them.
    pudong = district_outline("310115")
    assert pudong.geom_type == "MultiPolygon" and pudong.contains(Point(121.502, 31.240))
    assert not pudong.contains(Point(XUJIAHUI))


def test_decoding_follows_echarts():
    # Two points from the offset (121.5°, 31.25° × 1024): +3/−2 and −1/+4 units.
    def units(*deltas):  # zigzag, then + 64, as ECharts encodes
        return "".join(chr(((d << 1) ^ (d >> 31)) + 64) for d in deltas)

    raw = {
        "type": "FeatureCollection",
        "UTF8Encoding": True,
        "features": [
            {
                "id": "1",
                "properties": {"name": "甲"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [units(0, 0, 3, -2, -1, 4)],
                    "encodeOffsets": [[124416, 32000]],
                },
            }
        ],
    }
    ring = decode(raw)["features"][0]["geometry"]["coordinates"][0]
    assert ring == [[121.5, 31.25], [124419 / 1024, 31998 / 1024], [124418 / 1024, 32002 / 1024]]
    assert raw["features"][0]["geometry"]["coordinates"][0] == units(0, 0, 3, -2, -1, 4)
    plain = {"type": "FeatureCollection", "features": []}
    assert decode(plain) is plain


def test_a_missing_map_package_is_a_clear_error(tmp_path):
    with pytest.raises(OutlineDataMissing, match="npm ci"):
        district_outline("310104", node_modules=tmp_path)
    assert province_file("110101").name == "beijing.json"
    assert province_file("610102").name == "shanxi1.json"  # 陕西
    # Outside the municipalities the files carry cities, not districts.
    assert district_outline("440106") is None
    assert district_outline("990101") is None  # no such province


@pytest.mark.django_db
def test_without_the_map_package_nothing_is_seeded(settings, tmp_path):
    settings.PROJECT_ROOT = tmp_path
    with pytest.raises(CommandError, match="echarts4.*npm ci"):
        call_command("seed_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="echarts4.*npm ci"):
        call_command("generate_district", residents=1000, stdout=StringIO())
    assert not OrgUnit.objects.exists()


def _inside(outer, inner) -> bool:
    return outer.buffer(TOLERANCE).contains(inner)


def _no_overlaps(areas) -> None:
    for (code_a, a), (code_b, b) in combinations(areas.items(), 2):
        assert a.intersection(b).area < AREA_TOLERANCE, (code_a, code_b)


def check_demo_geography():
    """The seeded demo lies where its streets are (run by demo/tests/test_seed.py on the demo
    that module seeds once)."""
    outline = district_outline("310104")
    layout = demo_layout(outline)
    grids = {g.unit.code: g for g in Grid.objects.select_related("unit")}
    assert len(grids) == 12
    areas = {code: shape(g.boundary) for code, g in grids.items()}
    for code, area in areas.items():
        grid = grids[code]
        assert area.is_valid and area.area > 0
        assert _inside(outline, area), code
        assert _inside(layout[code[:12]], area), code
        assert _inside(layout[code[:9]], area), code
        assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == area.bounds
    _no_overlaps(areas)
    # The grids of a community tile it; the communities of a street tile the street.
    for code, _name, street in COMMUNITIES:
        community = layout[code]
        assert _inside(layout[street], community)
        pieces = sum(a.area for c, a in areas.items() if c.startswith(code))
        assert pieces == pytest.approx(community.area, rel=1e-9)
    _no_overlaps({code: layout[code] for code, _n, _s in COMMUNITIES})
    _no_overlaps({code: layout[code] for code, _n in STREETS})

    buildings = list(Building.objects.select_related("grid"))
    assert len(buildings) == 48
    for building in buildings:
        assert building.lon is not None and building.lat is not None
        assert areas[building.grid.code].contains(Point(building.lon, building.lat)), building

    wanping = place(lon=WANPING_ROAD_SOUTH[0], lat=WANPING_ROAD_SOUTH[1])
    assert not wanping.outside_grids
    assert wanping.grid.parent.name == "宛平南路社区"
    qinzhou = place(lon=QINZHOU_ROAD[0], lat=QINZHOU_ROAD[1])
    assert not qinzhou.outside_grids
    assert qinzhou.grid.parent.name == "钦州路社区"
    # 徐家汇 lies between the two streets: no grid there, so the nearest grid's community.
    assert place(lon=XUJIAHUI[0], lat=XUJIAHUI[1]).outside_grids


@pytest.mark.django_db
def test_a_generated_district_lies_inside_its_outline(tmp_path):
    district = synthetic.build_district(
        residents=20_000,
        shared=DIVISIONS if DIVISIONS.is_dir() else tmp_path / "none",
        workdir=tmp_path,
        seed=3,
    )
    assert district.outline_found
    outline = district_outline("310104")
    grids = list(Grid.objects.select_related("unit"))
    assert len(grids) == 20
    areas = {g.unit.code: shape(g.boundary) for g in grids}
    for grid in grids:
        area = areas[grid.unit.code]
        assert area.is_valid and area.area > 0
        assert _inside(outline, area), grid.unit.code
        assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == area.bounds
    _no_overlaps(areas)
    # A community's grids lie together: their union is one piece, or nearly.
    for community in OrgUnit.objects.filter(level="community"):
        mine = [a for code, a in areas.items() if code.startswith(community.code)]
        assert mine
        together = union_all(mine)
        assert together.convex_hull.area < 3 * together.area, community.code
    buildings = list(Building.objects.select_related("grid"))
    assert len(buildings) == 20 * synthetic.BUILDINGS_PER_GRID
    for building in buildings:
        assert areas[building.grid.code].contains(Point(building.lon, building.lat))


def test_a_district_without_an_outline_falls_back_to_the_lattice(caplog):
    street = OrgUnit(pk=1, code="440106001", name="沙河街道", level="street")
    community = OrgUnit(pk=2, code="440106001001", name="沙河第1社区", parent_id=1)
    with caplog.at_level(logging.WARNING, logger="gridgov.demo.district"):
        areas, found = synthetic._grid_areas(
            "440106", district_outline("440106"), [community], [street], 3
        )
    assert not found
    assert "440106 has no outline" in caplog.text
    assert sorted(areas) == ["440106001001001", "440106001001002", "440106001001003"]
    assert areas["440106001001002"].bounds == pytest.approx((121.404, 31.15, 121.408, 31.153))
