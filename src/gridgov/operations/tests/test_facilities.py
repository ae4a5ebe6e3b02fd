"""Service facilities: placing a facility, spaces and their opening hours, walk-in use and
its refusals, utilisation and the idle rate on a fixture by hand, the monthly 功能调整
tasks, the 15-minute circle on hand-placed buildings and facilities, the KPIs, scoping,
the API and the pages."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.kpis.registry import REGISTRY, parse_period
from gridgov.operations import selectors_facilities as selectors
from gridgov.operations import services_facilities as services
from gridgov.operations.models import AdjustmentTask, Facility, FacilitySpace, SpaceUse
from gridgov.org.models import Building, Compound, Room
from gridgov.people.models import Household, Resident

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")
# Metres per degree at 31.2° N (the projection the circle uses).
M_LAT = 111_320.0
M_LON = 111_320.0 * math.cos(math.radians(31.205))

KPI_CODES = {"facilities.coverage_15min", "facilities.grid_centre", "facilities.utilisation"}


@pytest.fixture
def staff(org_tree, make_user):
    return {
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1staff"),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"], username="s1staff"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="g1aworker"),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="c2staff"),
    }


def add_facility(
    actor, lon=121.405, lat=31.205, kind="service_centre", name="宛平南路社区服务中心"
):
    return services.facility_create(
        actor=actor,
        data={"name": name, "kind": kind, "lon": lon, "lat": lat, "owner_department": "民政科"},
    )


def building(org_tree, grid_key, number, lon, lat, residents: int):
    grid = org_tree[grid_key]
    compound, _ = Compound.objects.get_or_create(
        community=grid.parent, name="测试小区", defaults={"kind": "commercial"}
    )
    b = Building.objects.create(compound=compound, grid=grid, number=number, lon=lon, lat=lat)
    room = Room.objects.create(building=b, unit_number="1", number="101")
    home = Household.objects.create(
        grid=grid,
        scope_path=grid.path,
        number=f"H{number}",
        address="1号",
        kind="family",
        room=room,
    )
    Resident.objects.bulk_create(
        Resident(
            household=home,
            scope_path=grid.path,
            name=f"居民{i}",
            sex="F",
            birth_date=date(1980, 1, 1),
            id_type="none",
            relation="other",
            registration="permanent",
        )
        for i in range(residents)
    )
    return b


# Facilities and spaces -----------------------------------------------------------------------


def test_a_facility_is_placed_in_the_grid_holding_its_point(org_tree, staff):
    facility = add_facility(staff["community"])
    assert facility.grid == org_tree["g1a"] and facility.community == org_tree["c1"]
    assert facility.scope_path == org_tree["g1a"].path
    other = add_facility(
        staff["community"], lon=121.415, name="第二网格活动室", kind="activity_room"
    )
    assert other.grid == org_tree["g1b"]
    with pytest.raises(NotFound):
        add_facility(staff["outsider"])  # a point in c1, outside the other district
    with pytest.raises(ValidationFailed) as refused:
        services.facility_create(
            actor=staff["community"],
            data={"name": "", "kind": "spa", "lon": 200, "lat": 31.2, "owner_department": ""},
        )
    assert {"name", "kind", "lon", "owner_department"} <= set(refused.value.details)
    assert Facility.objects.count() == 2


def test_a_space_counts_from_the_day_it_is_in_use(org_tree, staff):
    """A room registered today has no last month: no idle figure and no task for it."""
    facility = add_facility(staff["community"])
    space = services.space_create(
        actor=staff["community"],
        facility=facility,
        data={
            "name": "新活动室",
            "capacity": 10,
            "schedule": {str(d): "08:00-20:00" for d in range(7)},
        },
    )
    from django.utils import timezone

    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    row = selectors.space_utilisation([space], last_month)[0]
    assert row.open_hours == 0 and row.idle is None
    assert services.open_adjustment_tasks(last_month) == 0
    with pytest.raises(ValidationFailed) as refused:
        services.space_create(
            actor=staff["community"],
            facility=facility,
            data={
                "name": "x",
                "capacity": 1,
                "schedule": {"0": "08:00-09:00"},
                "opened_on": "2999-01-01",
            },
        )
    assert "opened_on" in refused.value.details


def test_spaces_need_opening_hours_or_a_bookable_resource(org_tree, staff):
    facility = add_facility(staff["community"])
    space = services.space_create(
        actor=staff["community"],
        facility=facility,
        data={"name": "活动室", "capacity": 30, "schedule": {"0": "08:00-12:00, 14:00-17:00"}},
    )
    assert space.schedule == {"0": [["08:00", "12:00"], ["14:00", "17:00"]]}
    for data, field in [
        ({"name": "x", "capacity": 10, "schedule": {}}, "schedule"),
        ({"name": "x", "capacity": 10, "schedule": {"0": "12:00-08:00"}}, "schedule_0"),
        ({"name": "x", "capacity": 0, "schedule": {"1": "08:00-09:00"}}, "capacity"),
        (
            {"name": "x", "capacity": 5, "bookable": "00000000-0000-0000-0000-000000000000"},
            "bookable",
        ),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            services.space_create(actor=staff["community"], facility=facility, data=data)
        assert field in refused.value.details
    assert FacilitySpace.objects.count() == 1


# Utilisation and the idle rate ----------------------------------------------------------------


def _space(staff, facility, name="会议室"):
    # Monday to Friday, 08:00–12:00: 4 hours a working day.
    week = {str(d): "08:00-12:00" for d in range(5)}
    return services.space_create(
        actor=staff["community"],
        facility=facility,
        data={"name": name, "capacity": 20, "schedule": week, "opened_on": "2026-01-05"},
    )


def test_walk_in_use_is_refused_with_the_reason(org_tree, staff):
    facility = add_facility(staff["community"])
    space = _space(staff, facility)
    with time_machine.travel(datetime(2026, 6, 10, 18, tzinfo=CN), tick=False):
        for data, field in [
            ({"used_on": "2026-06-08", "hours": "0", "attendees": 3}, "hours"),
            ({"used_on": "2026-06-08", "hours": "-1", "attendees": 3}, "hours"),
            ({"used_on": "2026-06-08", "hours": "5", "attendees": 3}, "hours"),  # open 4 h
            ({"used_on": "2026-06-07", "hours": "1", "attendees": 3}, "hours"),  # Sunday: closed
            ({"used_on": "2026-06-11", "hours": "1", "attendees": 3}, "used_on"),  # tomorrow
            ({"used_on": "2026-06-08", "hours": "1", "attendees": -2}, "attendees"),
            ({"used_on": "8 June", "hours": "1", "attendees": 2}, "used_on"),
            ({"used_on": "2026-01-02", "hours": "1", "attendees": 2}, "used_on"),  # not yet open
        ]:
            with pytest.raises(ValidationFailed) as refused:
                services.use_record(actor=staff["community"], space=space, data=data)
            assert field in refused.value.details, data
        assert SpaceUse.objects.count() == 0
        services.use_record(
            actor=staff["community"],
            space=space,
            data={"used_on": "2026-06-08", "hours": "4", "attendees": 12},
        )
    assert SpaceUse.objects.get().hours == 4


def test_utilisation_idle_and_adjustment_tasks_by_hand(org_tree, staff):
    """May 2026 has 21 weekdays: 84 open hours. The busy room is used 64 h (idle 0.2381,
    kept); the quiet room 8 h (idle 0.9048, above 0.30: one task)."""
    facility = add_facility(staff["community"])
    busy, quiet = _space(staff, facility, "活动室"), _space(staff, facility, "会议室")
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=CN), tick=False):
        day = date(2026, 5, 1)
        used = 0
        while day.month == 5:
            if day.weekday() < 5 and used < 16:
                services.use_record(
                    actor=staff["community"],
                    space=busy,
                    data={"used_on": day.isoformat(), "hours": "4", "attendees": 10},
                )
                used += 1
            day += timedelta(days=1)
        for d in ("2026-05-06", "2026-05-13"):
            services.use_record(
                actor=staff["community"],
                space=quiet,
                data={"used_on": d, "hours": "4", "attendees": 6},
            )
        rows = {
            r.space.name: r for r in selectors.space_utilisation([busy, quiet], date(2026, 5, 1))
        }
        assert rows["活动室"].open_hours == 84.0
        assert rows["活动室"].used_hours == 64.0 and rows["活动室"].utilisation == round(64 / 84, 4)
        assert rows["会议室"].idle == round(1 - 8 / 84, 4)
        assert services.open_adjustment_tasks(date(2026, 5, 1)) == 1
        assert services.open_adjustment_tasks(date(2026, 5, 1)) == 0
        task = AdjustmentTask.objects.get()
        assert task.space == quiet and task.idle == round(1 - 8 / 84, 4)
        period = parse_period("month", "2026-05-15")
        value = REGISTRY["facilities.utilisation"].snapshot_values(org_tree["c1"].path, period)[
            None
        ]
        assert (value.numerator, value.denominator) == (72.0, 168.0)
    with pytest.raises(ValidationFailed):
        services.task_close(actor=staff["community"], task=task, version=1, note="")
    done = services.task_close(
        actor=staff["community"], task=task, version=1, note="改为老年人书画室，周末开放"
    )
    assert done.state == "done"
    with pytest.raises(Conflict):
        services.task_close(actor=staff["community"], task=done, version=2, note="again")
    with pytest.raises(NotFound):
        selectors.task_get(actor=staff["outsider"], uid=task.uid)


def test_bookings_count_towards_utilisation(org_tree, staff):
    """A space booked through the three lists: its slots are the open hours and the
    bookings checked in or completed are the hours used."""
    from gridgov.lists.models import BookableSpace, Booking, Resource

    resource = Resource.objects.create(
        name="多功能厅",
        resource_class="government",
        provider_kind="department",
        provider_name="宛平南路社区",
        owner=org_tree["c1"],
        scope_path=org_tree["c1"].path,
        capacity=1,
        capacity_unit="hours",
        capacity_period="week",
        status="active",
    )
    bookable = BookableSpace.objects.create(
        resource=resource, schedule={"2": [["09:00", "11:00"]]}, slot_minutes=60
    )
    facility = add_facility(staff["community"])
    space = services.space_create(
        actor=staff["community"],
        facility=facility,
        data={
            "name": "多功能厅",
            "capacity": 80,
            "bookable": str(resource.uid),
            "opened_on": "2026-05-13",
        },
    )
    start = datetime(2026, 5, 6, 9, tzinfo=CN)  # a Wednesday
    for state, offset in (("completed", 0), ("no_show", 7), ("checked_in", 14)):
        Booking.objects.create(
            space=bookable,
            scope_path=resource.scope_path,
            requester_path=resource.scope_path,
            start_at=start + timedelta(days=offset),
            end_at=start + timedelta(days=offset, hours=2),
            state=state,
        )
    row = selectors.space_utilisation([space], date(2026, 5, 1))[0]
    # In use since the 13th: three Wednesdays (13, 20, 27), 2 hours each. The booking of the
    # 6th was before it counted as the facility's, the 13th's was a no-show: the 20th's is
    # the use.
    assert row.open_hours == 6.0
    assert row.booked_hours == 2.0 and row.utilisation == round(2 / 6, 4)


# The 15-minute circle ----------------------------------------------------------------------------


def test_fifteen_minute_circle_on_hand_placed_buildings(org_tree, staff):
    """A centre at (121.405, 31.205) in g1a. Buildings: A 500 m east (g1a, 40 residents),
    B 990 m north (g1a, 10), C 1,200 m east (g1b, 30), D 2,000 m (g1b, 20); a building in
    the other district (never counted). Covered: A and B → g1a 50/50, g1b 0/50."""
    add_facility(staff["community"])
    lon0, lat0 = 121.405, 31.205
    building(org_tree, "g1a", "A", lon0 + 500 / M_LON, lat0, 40)
    building(org_tree, "g1a", "B", lon0, lat0 + 990 / M_LAT, 10)
    building(org_tree, "g1b", "C", lon0 + 1200 / M_LON, lat0, 30)
    building(org_tree, "g1b", "D", lon0 + 2000 / M_LON, lat0, 20)
    building(org_tree, "g2a", "X", 121.505, 31.205, 99)
    # An activity room does not make the circle (policy: the service centre does).
    add_facility(staff["community"], lon=lon0 + 1999 / M_LON, kind="activity_room", name="活动室")
    result = selectors.circle(org_tree["c1"].path)
    by_name = {b.building: b for b in result.buildings}
    names = dict(Building.objects.values_list("pk", "number"))
    distances = {names[k]: v.nearest_m for k, v in by_name.items()}
    assert abs(distances["A"] - 500) < 5 and abs(distances["B"] - 990) < 5
    assert abs(distances["C"] - 1200) < 10 and abs(distances["D"] - 2000) < 10
    assert result.by_path() == {org_tree["g1a"].path: [50, 50], org_tree["g1b"].path: [0, 50]}
    assert sorted(names[b.building] for b in result.uncovered()) == ["C", "D"]
    period = parse_period("month")
    value = REGISTRY["facilities.coverage_15min"].snapshot_values(org_tree["c1"].path, period)
    assert (value[None].numerator, value[None].denominator) == (50, 100)
    centre = REGISTRY["facilities.grid_centre"].snapshot_values(org_tree["s1"].path, period)
    assert (centre[None].numerator, centre[None].denominator) == (1, 2)
    # A second centre in g1b covers C (1,200 m → 300 m) but not D (2,000 → 500 m: covered).
    add_facility(staff["community"], lon=lon0 + 1500 / M_LON, name="第二服务中心")
    assert selectors.circle(org_tree["c1"].path).by_path()[org_tree["g1b"].path] == [50, 50]
    # The reader's board sums their area only.
    board = selectors.circle_board(actor=staff["street"])
    assert (board["residents"], board["covered"]) == (100, 100)
    assert selectors.circle_board(actor=staff["outsider"])["residents"] == 99


def test_the_circle_map_layer(org_tree, staff):
    """No centre yet: the layer shows nothing (not every building in red); with one, the
    buildings beyond its reach and the centre."""
    from gridgov.operations.map_layers import uncovered_points

    lon0, lat0 = 121.405, 31.205
    building(org_tree, "g1a", "A", lon0 + 300 / M_LON, lat0, 5)
    building(org_tree, "g1b", "C", lon0 + 1500 / M_LON, lat0, 7)
    assert uncovered_points(staff["street"]) == []
    add_facility(staff["community"])
    points = uncovered_points(staff["street"])
    assert len(points) == 2
    assert any("7" in p["label"] and p["colour"] == "#dc3545" for p in points)
    assert any(p.get("url") for p in points)
    assert uncovered_points(staff["outsider"]) == []


# API and pages -------------------------------------------------------------------------------------


def test_api(org_tree, staff, client, login_client):
    login_client(staff["community"])
    base = "/api/v1/operations"
    created = client.post(
        f"{base}/facilities",
        {
            "name": "服务中心",
            "kind": "service_centre",
            "lon": 121.405,
            "lat": 31.205,
            "owner_department": "民政科",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    uid = created.json()["uid"]
    space = client.post(
        f"{base}/facilities/{uid}/spaces",
        {"name": "活动室", "capacity": 20, "schedule": {"0": [["08:00", "12:00"]]}},
        content_type="application/json",
    )
    assert space.status_code == 201
    bad = client.post(
        f"{base}/facility-spaces/{space.json()['uid']}/uses",
        {"used_on": "2026-01-05", "hours": 0, "attendees": 1},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 422 and "大于零" in bad.json()["details"]["hours"][0]
    assert client.get(f"{base}/facilities/{uid}/utilisation?month=2026-01").status_code == 200
    assert client.get(f"{base}/facilities/{uid}/utilisation?month=Jan").status_code == 422
    circle = client.get(f"{base}/facilities/circle").json()
    assert circle["reach_m"] == 1000 and {g["grid"] for g in circle["grids"]} == {
        org_tree["g1a"].code,
        org_tree["g1b"].code,
    }
    assert client.get(f"{base}/facility-tasks").json() == []
    login_client(staff["outsider"])
    assert client.get(f"{base}/facilities/{uid}").status_code == 404
    assert client.get(f"{base}/facilities").json()["count"] == 0


def test_pages(org_tree, staff, client, login_client):
    login_client(staff["community"])
    page = client.post("/operations/facilities/new/", {"name": "", "kind": "service_centre"})
    assert page.status_code == 422 and not Facility.objects.exists()
    done = client.post(
        "/operations/facilities/new/",
        {
            "name": "服务中心",
            "kind": "service_centre",
            "lon": "121.405",
            "lat": "31.205",
            "owner_department": "民政科",
        },
    )
    facility = Facility.objects.get()
    assert done.status_code == 302
    added = client.post(
        f"/operations/facilities/{facility.uid}/spaces/",
        {"name": "活动室", "capacity": "20", "day_0": "08:00-12:00", "day_2": "14:00-17:00"},
    )
    assert added.status_code == 302
    space = FacilitySpace.objects.get()
    assert space.schedule == {"0": [["08:00", "12:00"]], "2": [["14:00", "17:00"]]}
    refused = client.post(
        f"/operations/facilities/spaces/{space.uid}/use/",
        {"used_on": "2099-01-01", "hours": "1", "attendees": "2"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 422 and "未来" in refused.content.decode()
    assert client.get("/operations/facilities/").status_code == 200
    assert client.get(f"/operations/facilities/{facility.uid}/").status_code == 200
