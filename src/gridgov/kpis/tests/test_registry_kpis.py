"""The registry's snapshot KPIs against hand-computed values: community c1 as of the end of
October 2025 (as of 2025-11-01 00:00), with rows created, archived and expired on both sides
of that moment, an empty grid, and another district that must never be counted."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.roles import Role
from gridgov.kpis import services
from gridgov.kpis.registry import REGISTRY
from gridgov.org.models import Grid, GridAssignment
from gridgov.people.models import Household, Resident, ResidentTag, TagCategory

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")

# code → expected value for c1 in October 2025 (worked out in the comments).
EXPECTED = {
    # households known: g1a 4 + g1b 1 = 5; on file by 1 Nov and not moved out: H1 H2 H4 → 3/5
    "people.coverage": 60.0,
    # residents present at the end of October: R1 R2 R3 R5 R7; complete: R1 R3 R5 → 3/5
    "people.completeness": 60.0,
    # verified within 180 days of 1 Nov (on or after 2025-05-05): R1 R7 → 2/5
    "people.freshness": 40.0,
    # tags in force: T1 T2 T3 T6 (T4 expired, T5's resident archived, T7 derived); filed T1 T6
    "people.special_files": 50.0,
    # 5 residents ÷ 1 full-time worker (W2 part-time, W3 ended, W4 not started)
    "people.staffing": 5.0,
}


def t(month, day, year=2025):
    return datetime(year, month, day, 12, tzinfo=CN)


def _household(grid, number, created, status="active"):
    household = Household.objects.create(
        grid=grid, scope_path=grid.path, number=number, address=f"{number}号", kind="family"
    )
    Household.objects.filter(pk=household.pk).update(created_at=created, status=status)
    return household


def _resident(household, name, created, *, verified, archived=None, **fields):
    values = {
        "id_number_encrypted": "enc",
        "phone_encrypted": "enc",
        "ethnicity": "汉族",
        "occupation": "employed",
        "education": "college",
    }
    values.update(fields)
    resident = Resident.objects.create(
        household=household,
        scope_path=household.scope_path,
        name=name,
        name_initials="x",
        sex="F",
        birth_date=date(1970, 1, 1),
        id_type="resident_id",
        relation="head",
        **values,
    )
    Resident.objects.filter(pk=resident.pk).update(
        created_at=created, verified_at=verified, archived_at=archived
    )
    return resident


def _tag(resident, category, created=None, **fields):
    tag = ResidentTag.objects.create(
        resident=resident, category=category, scope_path=resident.scope_path, **fields
    )
    ResidentTag.objects.filter(pk=tag.pk).update(created_at=created or t(9, 1))
    return tag


@pytest.fixture
def registry(org_tree, make_user):
    g1a, g1b, g2a = org_tree["g1a"], org_tree["g1b"], org_tree["g2a"]
    Grid.objects.filter(unit=g1a).update(household_count=4)
    Grid.objects.filter(unit=g1b).update(household_count=1)
    h1 = _household(g1a, "H1", t(9, 1))
    h2 = _household(g1a, "H2", t(9, 1))
    _household(g1a, "H3", t(9, 1), status="moved_out")
    h4 = _household(g1b, "H4", t(9, 1))
    _household(g1b, "H5", t(11, 5))  # after the end of October
    h9 = _household(g2a, "H9", t(9, 1))  # the other district

    r1 = _resident(h1, "R1", t(9, 1), verified=t(10, 20))
    r2 = _resident(h1, "R2", t(9, 1), verified=t(3, 1), phone_encrypted="")
    r3 = _resident(h2, "R3", t(9, 1), verified=t(4, 1))
    r4 = _resident(h2, "R4", t(9, 1), verified=t(10, 1), archived=t(10, 15))
    r5 = _resident(h4, "R5", t(9, 1), verified=t(1, 1), archived=t(11, 10))
    _resident(h4, "R6", t(11, 3), verified=t(11, 3))  # created after the end of October
    r7 = _resident(h4, "R7", t(9, 1), verified=t(10, 31), education="")
    r8 = _resident(h9, "R8", t(9, 1), verified=t(1, 1), phone_encrypted="")

    special = TagCategory.objects.create(code="test_special", name="测试帮扶")
    derived = TagCategory.objects.create(code="test_derived", name="推算", derived=True)
    filed = {"source": "民政科", "valid_from": date(2025, 1, 1)}
    _tag(r1, special, **filed)  # T1
    _tag(r2, special, valid_from=date(2025, 1, 1))  # T2: no source
    _tag(r3, special, source="残联")  # T3: no start date
    _tag(r5, special, valid_to=date(2025, 10, 10), **filed)  # T4: expired
    _tag(r4, special, **filed)  # T5: resident archived
    _tag(r7, special, **filed)  # T6
    _tag(r1, derived)  # T7: derived
    _tag(r8, special)  # other district

    staff = make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="ds")
    w1 = make_user(Role.GRID_WORKER, g1a, username="w1")
    w2 = make_user(Role.GRID_WORKER, g1a, username="w2")
    w3 = make_user(Role.GRID_WORKER, g1b, username="w3")
    w4 = make_user(Role.GRID_WORKER, g1b, username="w4")
    for user, grid, duty, start, end in [
        (w1, g1a, "full_time", date(2025, 1, 1), None),
        (w2, g1a, "part_time", date(2025, 1, 1), None),
        (w3, g1b, "full_time", date(2025, 1, 1), date(2025, 9, 30)),
        (w4, g1b, "full_time", date(2025, 11, 15), None),
        (w1, g2a, "full_time", date(2025, 1, 1), None),  # the other district
    ]:
        GridAssignment.objects.create(
            user=user, grid=grid, duty=duty, start_date=start, end_date=end
        )
    return staff


def test_every_registered_kpi_has_a_fixture_expectation():
    from gridgov.groups.tests.test_campaigns import KPI_CODES as GROUP_CODES
    from gridgov.groups.tests.test_collection import KPI_CODES as COLLECTION_CODES
    from gridgov.groups.tests.test_crosschecks import KPI_CODES as CROSSCHECK_CODES
    from gridgov.groups.tests.test_warnings import KPI_CODES as WARNING_CODES
    from gridgov.kpis.tests.test_kpis import EXPECTED as EVENT_EXPECTED
    from gridgov.lists.tests.test_kpis import EXPECTED as LISTS_EXPECTED
    from gridgov.operations.tests.test_catalogue import KPI_CODES as CATALOGUE_CODES
    from gridgov.operations.tests.test_devices import KPI_CODES as DEVICE_CODES
    from gridgov.operations.tests.test_facilities import KPI_CODES as FACILITY_CODES
    from gridgov.operations.tests.test_supplies import KPI_CODES as SUPPLY_CODES
    from gridgov.operations.tests.test_workforce import KPI_CODES as WORKFORCE_CODES
    from gridgov.participation.tests.test_kpis_deliberation import (
        EXPECTED as DELIBERATION_EXPECTED,
    )
    from gridgov.participation.tests.test_kpis_participation import (
        EXPECTED as PARTICIPATION_EXPECTED,
    )
    from gridgov.participation.tests.test_points_ledger import KPI_CODES as POINTS_CODES
    from gridgov.participation.tests.test_surveys import EXPECTED as SURVEY_EXPECTED
    from gridgov.participation.tests.test_volunteers import EXPECTED as VOLUNTEER_EXPECTED

    # 资源利用率 is counted by hand in its own test (by keeper and provider).
    from gridgov.participation.tests.test_votes_kpis import KPI_CODES as VOTE_CODES
    from gridgov.visits.tests.test_kpis import EXPECTED as VISIT_EXPECTED

    lists_codes = set(LISTS_EXPECTED) | {"lists.resource_utilisation"}
    participation_codes = (
        set(VOLUNTEER_EXPECTED)
        | set(DELIBERATION_EXPECTED)
        | VOTE_CODES
        | set(POINTS_CODES)
        | set(SURVEY_EXPECTED)
        | set(PARTICIPATION_EXPECTED)
    )
    assert (
        set(EVENT_EXPECTED)
        | set(EXPECTED)
        | set(VISIT_EXPECTED)
        | lists_codes
        | participation_codes
        | SUPPLY_CODES
        | DEVICE_CODES
        | FACILITY_CODES
        | CATALOGUE_CODES
        | WORKFORCE_CODES
        | WARNING_CODES
        | GROUP_CODES
        | COLLECTION_CODES
        | CROSSCHECK_CODES
        == set(REGISTRY)
    )


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_registry_kpi_value(code, registry, org_tree):
    period = services.parse_period("month", "2025-10-15")
    kpi = REGISTRY[code]
    reading = services.unit_value(
        actor=registry, kpi=kpi, unit=org_tree["c1"], period=period, live=True
    )
    assert reading.value.value == EXPECTED[code]
    # The street and the district hold only c1: the same value; the other district's rows
    # never leak in.
    for unit in ("s1", "d1"):
        same = services.unit_value(
            actor=registry, kpi=kpi, unit=org_tree[unit], period=period, live=True
        )
        assert same.value.value == EXPECTED[code]


def test_registry_kpis_by_grid_with_an_empty_grid(registry, org_tree):
    period = services.parse_period("month", "2025-10-15")

    def by_grid(code):
        rows = services.breakdown(
            actor=registry,
            kpi=REGISTRY[code],
            unit=org_tree["c1"],
            level="grid",
            period=period,
            live=True,
        )
        return {r.code: r.value.value for r in rows}

    g1a, g1b = org_tree["g1a"].code, org_tree["g1b"].code
    assert by_grid("people.coverage") == {g1a: 50.0, g1b: 100.0}  # 2/4, 1/1
    assert by_grid("people.completeness") == {g1a: 66.67, g1b: 50.0}  # R1 R3 of 3; R5 of 2
    assert by_grid("people.freshness") == {g1a: 33.33, g1b: 50.0}  # R1 of 3; R7 of 2
    assert by_grid("people.special_files") == {g1a: 33.33, g1b: 100.0}  # T1 of T1-3; T6
    # g1b has residents but no full-time worker at the end of October: no value, no division.
    assert by_grid("people.staffing") == {g1a: 3.0, g1b: None}
    # The other district's empty grid: nothing on file, nothing to divide.
    empty = org_tree["g2b"].path
    for code in ("people.completeness", "people.freshness", "people.staffing"):
        value = REGISTRY[code].snapshot_values(empty, period)[None]
        assert value.value is None and value.denominator == 0
    assert REGISTRY["people.coverage"].snapshot_values(empty, period)[None].value == 0.0


def test_registry_kpis_are_scoped(registry, org_tree, make_user):
    from gridgov.core.errors import NotFound

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="gw")
    period = services.parse_period("month", "2025-10-15")
    kpi = REGISTRY["people.completeness"]
    own = services.unit_value(actor=worker, kpi=kpi, unit=org_tree["g1a"], period=period, live=True)
    assert own.value.value == 66.67
    for unit in ("g1b", "c1", "g2a"):
        with pytest.raises(NotFound):
            services.unit_value(
                actor=worker, kpi=kpi, unit=org_tree[unit], period=period, live=True
            )


def test_quality_policy_changes_the_completeness(registry, org_tree, make_user):
    from gridgov.core.errors import ValidationFailed
    from gridgov.core.services import policy_update

    period = services.parse_period("month", "2025-10-15")
    kpi = REGISTRY["people.completeness"]
    admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    with pytest.raises(ValidationFailed):
        policy_update(
            actor=admin, key="people.quality", value={"required_fields": ["name"]}, note="x"
        )
    policy_update(
        actor=admin,
        key="people.quality",
        value={"required_fields": ["id_number", "ethnicity"]},
        note="phone and education are optional here",
    )
    # Without phone and education required, R2 and R7 are complete too: 5/5.
    reading = services.unit_value(
        actor=registry, kpi=kpi, unit=org_tree["c1"], period=period, live=True
    )
    assert reading.value.value == 100.0


def test_snapshot_pre_aggregates_give_the_live_numbers(registry, org_tree):
    from django.utils import timezone

    from gridgov.kpis import daily
    from gridgov.kpis.models import KpiDaily

    today = timezone.localdate()
    snapshots = [REGISTRY[code] for code in EXPECTED]
    # Past days: only month ends are filled in (from the records' dates), once; a stored
    # past day is never taken again.
    daily.refresh(today - timedelta(days=40), today - timedelta(days=2), snapshots)
    assert daily.refresh(today - timedelta(days=40), today - timedelta(days=2), snapshots) == 0
    assert all(
        (day + timedelta(days=1)).day == 1 for day in KpiDaily.objects.values_list("day", flat=True)
    )
    written = daily.refresh(today, today + timedelta(days=1))
    assert written and today in set(KpiDaily.objects.values_list("day", flat=True))
    for kind in ("day", "month", "year"):
        period = services.parse_period(kind)
        for code in EXPECTED:
            kpi = REGISTRY[code]
            for unit in ("c1", "d1", "g1a", "g1b"):
                live = services.unit_value(
                    actor=registry, kpi=kpi, unit=org_tree[unit], period=period, live=True
                )
                fast = services.unit_value(
                    actor=registry, kpi=kpi, unit=org_tree[unit], period=period
                )
                assert fast.value.value == live.value.value, (code, unit, kind)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_registry_kpi_page_api_and_click_through(code, registry, org_tree, login_client, client):
    from gridgov.kpis import daily

    daily.refresh(date(2025, 10, 1), date(2025, 11, 1))
    login_client(registry)
    c1 = org_tree["c1"].code
    page = client.get(f"/kpis/{code}/", {"unit": c1, "date": "2025-10-15"})
    assert page.status_code == 200 and str(EXPECTED[code]) in page.content.decode()
    api = client.get(
        f"/api/v1/kpis/{code}/values", {"unit": c1, "level": "grid", "date": "2025-10-15"}
    )
    assert api.status_code == 200 and api.json()["total"]["value"] == EXPECTED[code]
    # Registry KPIs have no worker level: a clear error, not a crash.
    wrong = client.get(f"/api/v1/kpis/{code}/values", {"unit": c1, "level": "worker"})
    assert wrong.status_code == 422
    dashboard = client.get("/kpis/dashboard/", {"unit": c1, "kpi": code}).content.decode()
    assert f"/people/residents/?unit={c1}" in dashboard
    if code == "people.completeness":
        assert f"/people/residents/?unit={c1}&amp;check=incomplete" in dashboard
