"""The visits' campaign board (入户走访调度看板), its monthly bulletin and GET /api/v1/visit-board
on a hand-counted street.

Street s1 gets a second community c1b (grid g1c) beside c1 (grid g1a):
  c1:  H0 completed and passed review; H1 refused, waiting for review.
  c1b: K0 and K1 completed and passed review.
Counted by hand for this month (and this week):
  c1   coverage 1/2 = 50 %, review rate 1/2 = 50 %, refusal 1/2 = 50 %, update lag 1/2 = 50 %,
       1 record waiting;
  c1b  coverage 2/2 = 100 %, review 2/2 = 100 %, refusal 0/2 = 0 %, update lag 0/2 = 0 %;
  s1   coverage 3/4 = 75 %, review 3/4 = 75 %, refusal 1/4 = 25 %, update lag 1/4 = 25 %.
  No spot check: accuracy has nothing to measure. Ranked by coverage: c1b, then c1; c1 is
  the one community below target.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone, translation

from gridgov.accounts.roles import Role
from gridgov.kpis import boards, daily, services
from gridgov.kpis.registry import BOARDS, REGISTRY, period_containing
from gridgov.people import services as people
from gridgov.visits import services as visits

pytestmark = pytest.mark.django_db

EXPECTED = {  # unit key → {KPI code: (value, numerator, denominator)}
    "c1": {
        "visits.coverage": (50.0, 1, 2),
        "visits.review_rate": (50.0, 1, 2),
        "visits.refusal_rate": (50.0, 1, 2),
        "visits.staleness": (50.0, 1, 2),
        "visits.accuracy": (None, 0, 0),
    },
    "c1b": {
        "visits.coverage": (100.0, 2, 2),
        "visits.review_rate": (100.0, 2, 2),
        "visits.refusal_rate": (0.0, 0, 2),
        "visits.staleness": (0.0, 0, 2),
        "visits.accuracy": (None, 0, 0),
    },
    "s1": {
        "visits.coverage": (75.0, 3, 4),
        "visits.review_rate": (75.0, 3, 4),
        "visits.refusal_rate": (25.0, 1, 4),
        "visits.staleness": (25.0, 1, 4),
        "visits.accuracy": (None, 0, 0),
    },
}


@pytest.fixture
def street(world, make_user):
    from gridgov.org.models import Grid, GridAssignment, OrgUnit

    s1 = world.org["s1"]
    c1b = OrgUnit.objects.create(
        code="310104003002",
        name="东安社区",
        level="community",
        parent=s1,
        path=f"{s1.path}310104003002/",
    )
    g1c = OrgUnit.objects.create(
        code="310104003002001",
        name="网格C01",
        level="grid",
        parent=c1b,
        path=f"{c1b.path}310104003002001/",
    )
    Grid.objects.create(
        unit=g1c,
        boundary=world.org["g1a"].grid.boundary,
        household_count=10,
        min_lon=121.40,
        min_lat=31.20,
        max_lon=121.41,
        max_lat=31.21,
    )
    collector = make_user(Role.GRID_WORKER, g1c, username="worker_c")
    GridAssignment.objects.create(
        grid=g1c, user=collector, duty="full_time", start_date=timezone.localdate()
    )
    reviewer = make_user(Role.COMMUNITY_STAFF, c1b, username="staff_c1b")

    def visit(actor, home, **fields):
        data = world.visit_input(household=str(home.uid), **fields)
        data.versions = {str(home.uid): home.version}
        return visits.visit_submit(actor=actor, data=data)[0]

    other = people.household_create(
        actor=world.staff, grid=world.org["g1a"], number="102", address="宛平南路2号", kind="family"
    )
    first = visit(world.worker, world.household)
    visit(world.worker, other, outcome="refused", refusal_reason="time", answers={})
    visits.visit_review(actor=world.staff, visit=first, decision="pass", version=1)
    for i in range(2):
        home = people.household_create(
            actor=reviewer, grid=g1c, number=f"K{i}", address=f"东安路{i}号", kind="family"
        )
        done = visit(collector, home)
        visits.visit_review(actor=reviewer, visit=done, decision="pass", version=1)
    daily.refresh_recent()
    world.org["c1b"], world.org["g1c"] = c1b, g1c
    world.street_staff = make_user(Role.STREET_STAFF, s1, username="street_s1")
    world.other_street = make_user(Role.STREET_STAFF, world.org["s2"], username="street_s2")
    world.district_staff = make_user(Role.DISTRICT_STAFF, world.org["d1"], username="district_d1")
    return world


def _figures(reading):
    return (reading.value.value, reading.value.numerator, reading.value.denominator)


@pytest.mark.parametrize("kind", ["week", "month"])
def test_board_figures_are_the_registrys_values_and_the_hand_count(street, kind):
    period = period_containing(kind, timezone.localdate())
    actor = street.street_staff
    data = boards.board_read(
        actor=actor, board=BOARDS["visits"], unit=street.org["s1"], period=period
    )
    assert data.level == "community"
    assert [r.unit.code for r in data.rows] == [street.org["c1"].code, street.org["c1b"].code]
    rows = {"s1": data.total, "c1": data.rows[0], "c1b": data.rows[1]}
    for key, expected in EXPECTED.items():
        unit = street.org[key]
        for code, figures in expected.items():
            reading = rows[key].readings[code]
            assert _figures(reading) == figures, (key, code)
            # The registry's own reading of the unit: the same figures and colour.
            same = services.unit_value(actor=actor, kpi=REGISTRY[code], unit=unit, period=period)
            assert _figures(same) == figures
            if key != "s1":
                assert reading.colour == next(
                    r.colour
                    for r in services.breakdown(
                        actor=actor,
                        kpi=REGISTRY[code],
                        unit=street.org["s1"],
                        level="community",
                        period=period,
                    )
                    if r.code == unit.code
                )
    assert rows["c1"].readings["visits.refusal_rate"].colour == "danger"  # 50 % > 30 %
    assert rows["c1b"].off_target == [] and "visits.coverage" in rows["c1"].off_target
    # Review backlog: the refused record waits in c1.
    assert rows["c1"].columns["backlog"] == 1 and rows["c1b"].columns["backlog"] == 0
    assert rows["s1"].columns["backlog"] == 1 and rows["c1"].columns["backlog_age"] >= 0
    assert [r.unit.code for r in data.ranked] == [street.org["c1b"].code, street.org["c1"].code]


def test_board_page_scoped_drill_down(street, client, login_client):
    c = login_client(street.street_staff)
    page = c.get("/kpis/boards/visits/?period=month")
    assert page.status_code == 200
    html = page.content.decode()
    assert "宛平南路社区" in html and "东安社区" in html and 'id="board-table"' in html
    # Drill down to a community: its grids.
    page = c.get(f"/kpis/boards/visits/?unit={street.org['c1b'].code}&period=week")
    assert page.status_code == 200 and "网格C01" in page.content.decode()
    # Another street's staff: the same 404 as for a missing unit.
    other = login_client(street.other_street, c=client.__class__())
    assert other.get(f"/kpis/boards/visits/?unit={street.org['s1'].code}").status_code == 404
    assert other.get("/kpis/boards/visits/?unit=999").status_code == 404
    # District staff pick the street.
    district = login_client(street.district_staff, c=client.__class__())
    page = district.get(f"/kpis/boards/visits/?unit={street.org['s1'].code}&period=month")
    assert page.status_code == 200 and "东安社区" in page.content.decode()
    assert district.get("/kpis/boards/visits/?period=year").status_code == 422


def test_api_returns_the_board(street, client, login_client):
    c = login_client(street.street_staff)
    body = c.get(f"/api/v1/visit-board?unit={street.org['s1'].code}&period=month").json()
    assert body["level"] == "community" and body["period_kind"] == "month"
    rows = {r["unit"]: r for r in body["rows"]}
    for key, expected in EXPECTED.items():
        row = rows[street.org[key].code]
        for code, (value, num, den) in expected.items():
            cell = row["values"][code]
            assert (cell["value"], cell["numerator"], cell["denominator"]) == (value, num, den)
    assert rows[street.org["c1"].code]["columns"]["backlog"] == 1
    assert body["ranking"] == [street.org["c1b"].code, street.org["c1"].code]
    other = login_client(street.other_street, c=client.__class__())
    assert other.get(f"/api/v1/visit-board?unit={street.org['s1'].code}").status_code == 404
    assert c.get("/api/v1/visit-board?period=quarter").status_code == 422


def test_bulletin_ranks_names_the_community_below_target_and_is_audited(
    street, settings, tmp_path, client, login_client
):
    import openpyxl

    from gridgov.audit.models import AuditRecord
    from gridgov.kpis.reports import bulletin_collect, report_create, report_generate

    settings.DATA_DIR = tmp_path
    report = report_create(
        actor=street.street_staff,
        unit=street.org["s1"],
        period_date=timezone.localdate(),
        kind="visits",
    )
    with translation.override("zh-hans"):
        report = report_generate(report)
    assert report.status == "done", report.message
    book = openpyxl.load_workbook(report.xlsx_path)
    ranking = list(book["排名"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2]) for r in ranking] == [
        (1, "东安社区", 100.0),
        (2, "宛平南路社区", 50.0),
    ]
    summary = [r[0] for r in book["摘要"].iter_rows(values_only=True)]
    text = "\n".join(str(s) for s in summary if s)
    assert "入户覆盖率" in text and "75%" in text and "低于" in text
    below = next(s for s in summary if s and str(s).startswith("未达目标"))
    assert "宛平南路社区" in below and "东安社区" not in below
    assert "拒访率最高的社区：宛平南路社区（50%）" in text
    # A rate with an upper limit, kept under it: within the limit, not "reached".
    assert "拒访率为 25%，未超过目标上限 30%" in text
    assert Path(report.pdf_path).read_bytes()[:4] == b"%PDF"
    c = login_client(street.street_staff)
    response = c.get(f"/kpis/reports/{report.uid}.xlsx")
    assert response.status_code == 200 and "visits-bulletin" in response["Content-Disposition"]
    assert AuditRecord.objects.filter(action="kpis.report.download").count() == 1
    assert AuditRecord.objects.filter(action="kpis.report.generate").count() == 1
    # In English, from the same figures.
    with translation.override("en"):
        _data, lines = bulletin_collect(
            actor=street.street_staff,
            board_code="visits",
            unit=street.org["s1"],
            period=period_containing("month", timezone.localdate()),
        )
    assert any(line.startswith("Below target (1 of 2, by community)") for line in lines), lines
    # Another street's staff cannot download it.
    other = login_client(street.other_street, c=client.__class__())
    assert other.get(f"/kpis/reports/{report.uid}.pdf").status_code == 404


def test_bulletin_is_asked_for_in_the_report_centre(
    street, client, login_client, settings, tmp_path
):
    from gridgov.kpis.models import KpiReport

    settings.DATA_DIR = tmp_path
    c = login_client(street.street_staff)
    month = timezone.localdate().strftime("%Y-%m")
    c.post("/kpis/reports/new/", {"unit": street.org["s1"].code, "month": month, "kind": "visits"})
    assert KpiReport.objects.filter(kind="visits", unit=street.org["s1"]).count() == 1
    # A community has no bulletin; an unknown kind is refused; nothing is stored.
    c.post("/kpis/reports/new/", {"unit": street.org["c1"].code, "month": month, "kind": "visits"})
    c.post("/kpis/reports/new/", {"unit": street.org["s1"].code, "month": month, "kind": "nope"})
    assert KpiReport.objects.count() == 1
    assert "visits" in c.get("/kpis/reports/").content.decode()


def test_a_period_without_figures_claims_no_target_met(street):
    """Nothing measured (a week long before the first visit): the summary says there are no
    figures, never that every community met its targets."""
    period = period_containing("week", timezone.localdate().replace(year=2020))
    data = boards.board_read(
        actor=street.street_staff, board=BOARDS["visits"], unit=street.org["s1"], period=period
    )
    with translation.override("en"):
        text = " ".join(boards.sentences(data))
    assert "met its targets" not in text
    assert "has figures for this period yet" in text


def test_a_tie_names_no_community_as_the_worst(street):
    """When every community has the same figure (say 0 % refusals), none of them is named as
    the one doing worst: the summary says they are level."""
    period = period_containing("month", timezone.localdate())
    data = boards.board_read(
        actor=street.street_staff, board=BOARDS["visits"], unit=street.org["s1"], period=period
    )
    for kpi in data.kpis:
        measured = [r for r in data.rows if r.readings[kpi.code].value.value is not None]
        if len(measured) > 1:
            break
    else:
        raise AssertionError("the fixture should measure a KPI in two communities")
    level = measured[0].readings[kpi.code]
    for row in measured:
        row.readings[kpi.code] = level
    with translation.override("en"):
        text = " ".join(boards.sentences(data))
        name = str(kpi.name)
    assert f"with the lowest {name}" not in text and f"with the highest {name}" not in text
    assert f"Every community has the same {name}" in text
