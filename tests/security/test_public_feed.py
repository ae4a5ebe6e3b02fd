"""The review's feed leaks: the public Open311 feed must carry no personal data. Phone and
ID numbers typed into any free-text field come back masked (through the one masking
function), locations are coarsened (policy ``events.public``: a 100 m cell by default, or
the grid's centre), events of categories marked sensitive (独居老人异常, 困境人员求助) are
left out, and anonymous lists have a capped page size (docs/events.md)."""

from __future__ import annotations

import math

import pytest
from django.test import Client

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
ID_NUMBER = "110105194912310021"
FEED = "/open311/v2/requests.{fmt}?jurisdiction_id=310104"


@pytest.fixture
def crew(org_tree, make_user):
    return {
        "dispatcher": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="disp"),
        "secadmin": make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="sec"),
    }


def _report(title="路灯不亮", lon=121.40537, lat=31.20519, **fields):
    from gridgov.events.services import ReportInput, report_event

    event, _ = report_event(
        actor=None, data=ReportInput(channel="resident", title=title, lon=lon, lat=lat, **fields)
    )
    return event


def _metres(lon1, lat1, lon2, lat2) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    dy = (lat2 - lat1) * 110_540
    return math.hypot(dx, dy)


def _feed(fmt="json", extra=""):
    response = Client().get(FEED.format(fmt=fmt) + extra)
    assert response.status_code == 200
    return response


def test_numbers_typed_into_free_text_are_masked(crew):
    from gridgov.events.services import transition

    event = _report(
        title=f"楼道堆物 联系{PHONE}",
        address=f"幸福小区3号楼 电话{PHONE} 身份证{ID_NUMBER}",
        description=f"住户身份证号{ID_NUMBER}",
    )
    transition(
        actor=crew["dispatcher"],
        event=event,
        action="reject",
        note=f"请联系{PHONE}",
    )
    for fmt in ("json", "xml"):
        body = _feed(fmt).content.decode()
        for leaked in (PHONE, ID_NUMBER, "19491231", "0021"):
            assert leaked not in body, (fmt, leaked)
        assert "139****5678" in body and "110105" + "*" * 12 in body
    detail = Client().get(f"/open311/v2/requests/{event.tracking_code}.json?jurisdiction_id=310104")
    assert PHONE not in detail.content.decode() and ID_NUMBER not in detail.content.decode()


def _cell(lon: float, lat: float, metres: int = 100) -> tuple[float, float, float, float]:
    """The documented cell: latitude in steps of ``metres``/111,320 degrees, longitude in
    steps of ``metres`` at the cell's latitude; returns (lon_lo, lat_lo, lon_step, lat_step)."""
    lat_step = metres / 111_320
    lat_lo = math.floor(lat / lat_step) * lat_step
    lon_step = metres / (111_320 * math.cos(math.radians(lat_lo + lat_step / 2)))
    return math.floor(lon / lon_step) * lon_step, lat_lo, lon_step, lat_step


def test_locations_are_coarsened_to_a_100_m_cell_by_default(crew):
    lon_lo, lat_lo, lon_step, lat_step = _cell(121.40537, 31.20519)
    # Two points ~110 m apart at opposite corners of one cell.
    first = _report(lon=lon_lo + 0.1 * lon_step, lat=lat_lo + 0.1 * lat_step)
    second = _report(lon=lon_lo + 0.9 * lon_step, lat=lat_lo + 0.9 * lat_step)
    assert _metres(first.lon, first.lat, second.lon, second.lat) > 100
    items = {i["service_request_id"]: i for i in _feed().json()}
    a, b = items[first.tracking_code], items[second.tracking_code]
    centre = (round(lat_lo + lat_step / 2, 6), round(lon_lo + lon_step / 2, 6))
    assert (a["lat"], a["long"]) == (b["lat"], b["long"]) == centre
    for xml_text in (str(centre[0]), str(centre[1])):
        assert xml_text in _feed("xml").content.decode()


def test_the_grid_centre_policy_shows_only_the_grid(crew, org_tree):
    from gridgov.core.services import policy_update
    from gridgov.org.models import Grid

    policy_update(
        actor=crew["secadmin"], key="events.public", value={"grid_centre": True}, note="t"
    )
    event = _report()
    grid = Grid.objects.get(unit=event.grid)
    item = _feed().json()[0]
    assert item["lat"] == round((grid.min_lat + grid.max_lat) / 2, 6)
    assert item["long"] == round((grid.min_lon + grid.max_lon) / 2, 6)


def test_events_of_sensitive_categories_are_not_public(crew):
    from gridgov.events.models import Category
    from gridgov.events.services import transition

    assert set(Category.objects.filter(sensitive=True).values_list("code", flat=True)) >= {
        "54001",
        "54002",
    }
    alone = _report(title="独居老人几天没开门", category_code="54001")
    difficulty = _report(title="邻居生活困难")
    transition(actor=crew["dispatcher"], event=difficulty, action="accept")
    transition(actor=crew["dispatcher"], event=difficulty, action="classify", category_code="54002")
    lamp = _report(title="路灯不亮", category_code="06010")
    for fmt in ("json", "xml"):
        body = _feed(fmt).content.decode()
        assert lamp.tracking_code in body
        assert alone.tracking_code not in body and difficulty.tracking_code not in body
    for hidden in (alone, difficulty):
        detail = Client().get(
            f"/open311/v2/requests/{hidden.tracking_code}.json?jurisdiction_id=310104"
        )
        assert detail.status_code == 404
        by_id = _feed(extra=f"&service_request_id={hidden.tracking_code}").json()
        assert by_id == []
        by_code = _feed(extra="&service_code=54001,54002").json()
        assert by_code == []


def test_anonymous_lists_have_a_capped_page_size(crew):
    from gridgov.core.services import policy_update

    for n in range(7):
        _report(title=f"路灯不亮{n}", lon=121.401 + n * 0.001)
    policy_update(actor=crew["secadmin"], key="events.public", value={"max_page_size": 3}, note="t")
    assert len(_feed().json()) == 3
    assert len(_feed(extra="&page_size=1000").json()) == 3
    assert len(_feed(extra="&page_size=2").json()) == 2
    pages = [_feed(extra=f"&page_size=3&page={p}").json() for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    ids = [i["service_request_id"] for p in pages for i in p]
    assert len(set(ids)) == 7
