"""The needs map on the hand-built October of ``month.py``: open needs counted per grid and
category (c1: N5 and N6, both 医疗健康, in g1a; c2: one 助餐 need in g2a), resources with a
point (长者食堂 has one, 康复上门 none); scoped to the reader, and nothing personal in it."""

from __future__ import annotations

import json

import pytest

from gridgov.lists.tests import month as built

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(org_tree, make_user, time_machine):
    return built.build(org_tree, make_user, time_machine)


def _data(client, **query):
    response = client.get("/lists/map/data/", query)
    assert response.status_code == 200
    return response.json(), response.content.decode()


def test_counts_per_grid_and_category_scoped_to_the_reader(month, login_client, client):
    g1a, g2a = month.org["g1a"].code, month.org["g2a"].code
    login_client(month.staff)
    data, raw = _data(client)
    assert data["grids"] == {g1a: {"open": 2, "by_category": {"health": 2}}}
    assert [r["name"] for r in data["resources"]] == ["长者食堂"]
    assert data["resources"][0]["categories"] == ["meals"]
    counts = {c["code"]: c["open"] for c in data["categories"]}
    assert counts["health"] == 2 and counts["meals"] == 0
    # The category filter.
    data, _raw = _data(client, category="meals")
    assert data["grids"] == {} and data["category"] == "meals"
    assert [r["name"] for r in data["resources"]] == ["长者食堂"]
    data, _raw = _data(client, category="health")
    assert data["grids"] == {g1a: {"open": 2, "by_category": {"health": 2}}}
    assert data["resources"] == []  # 康复上门 has no point
    # Nothing personal: no household number, address, person or telephone; no need's uid.
    for personal in ["宛平南路", "H1", "H2", "13800001111", "1111", "household", "resident"]:
        assert personal not in raw
    for need in month.needs.values():
        assert str(need.uid) not in raw
    # The other district's community staff see their own grid's count only.
    client.logout()
    login_client(month.other)
    data, raw = _data(client)
    assert data["grids"] == {g2a: {"open": 1, "by_category": {"meals": 1}}}
    assert data["resources"] == [] and g1a not in raw
    counts = {c["code"]: c["open"] for c in data["categories"]}
    assert counts["health"] == 0


def test_the_map_page(month, login_client, client):
    login_client(month.staff)
    page = client.get("/lists/map/?category=health")
    assert page.status_code == 200
    html = page.content.decode()
    heat = json.loads(html.split('id="need-heat" type="application/json">')[1].split("<")[0])
    assert heat == {month.org["g1a"].code: 2}
    assert "gridgov/need_map." in html and 'value="health" selected' in html
    assert "宛平南路1号" not in html


def test_the_map_needs_the_lists_permission(org_tree, make_user, login_client, client):
    assert client.get("/lists/map/data/").status_code == 302  # to the sign-in page
    login_client(make_user())  # no role
    assert client.get("/lists/map/data/").status_code == 403
    assert client.get("/lists/map/").status_code == 403
