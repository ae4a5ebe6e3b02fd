"""Every registered KPI against a hand-computed expectation on a small fixed set of events
(October 2025, community c1), plus an empty grid (division by zero) and another district
that must never be counted."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from gridgov.accounts.roles import Role
from gridgov.core.errors import NotFound
from gridgov.events.models import Category, Event
from gridgov.kpis import services
from gridgov.kpis.registry import REGISTRY

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")


def t(month, day, hour=0, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=CN)


# code → expected value for c1 in October 2025 (worked out by hand in the comments below).
EXPECTED = {
    "events.on_time_handling": 80.0,  # handled in Oct: E1 E2 E6 E10 E11; late: E2 → 4/5
    "events.closure_rate": 57.14,  # registered in Oct: E1 E2 E3 E6 E7 E9 E11; closed E1 E2 E6 E11
    "events.on_time_closure": 57.14,  # due in Oct, cases: E1 E2 E3 E6 E9 E10 E11; on time E1 E6 E10 E11
    "events.rework_rate": 20.0,  # handled 5, reworked E2
    "events.extension_rate": 14.29,  # registered 7, extended E2
    "events.avg_accept_minutes": 15.71,  # (10+45+20+5+10+15+5)/7
    "events.avg_handle_hours": 47.77,  # (24h40 + 94h + 23h50 + 72h30 + 23h50)/5
    "events.feedback_rate": 75.0,  # public closed: E2 E6 E10 E11; reached E2 E6 E10
    "events.satisfaction": 33.33,  # rated in Oct: E2 (5, fixed) E6 (4, not fixed) E10 (3)
    "events.discovery_rate": 33.33,  # cases reported: E1 E2 E3 E6 E9 E11; patrol E1 E9
    "events.missed_rate": 42.86,  # registered 7; public and resolved E2 E6 E11
    "events.valid_report_rate": 66.67,  # patrol: E1 E7 E9; cases E1 E9
    "events.on_time_acceptance": 85.71,  # accepted 7; late E2
    "events.on_time_check": 60.0,  # closed after handling: E1 E2 E6 E10 E11; within 24 h E1 E6 E10
    "events.repeat_rate": 11.11,  # reported in Oct: 9; merged E5
}


def test_every_event_kpi_has_a_fixture_expectation():
    # The registry's KPIs have theirs in test_registry_kpis.py, which checks the union.
    events = {code for code, kpi in REGISTRY.items() if kpi.capability == "events"}
    assert set(EXPECTED) == events, events ^ set(EXPECTED)


def _event(grid, channel, reported, **fields):
    fields.setdefault(
        "accept_due", reported + timedelta(minutes=30) if "accepted_at" in fields else None
    )
    return Event.objects.create(
        tracking_code=f"E{Event.objects.count():09d}",
        channel=channel,
        title="测试",
        grid=grid,
        scope_path=grid.path,
        responsible_unit=grid,
        found_by_grid_worker=channel == "patrol",
        reported_at=reported,
        **fields,
    )


@pytest.fixture
def october(org_tree, make_user):
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="w1")
    worker2 = make_user(Role.GRID_WORKER, org_tree["g1b"], username="w2")
    category = Category.objects.get(kind="matter", code="06010")
    g1a, g1b, g2a = org_tree["g1a"], org_tree["g1b"], org_tree["g2a"]
    common = {"category": category, "urgency": "deadline"}
    # E1 patrol, on time everywhere
    _event(
        g1a,
        "patrol",
        t(10, 1, 9),
        accepted_at=t(10, 1, 9, 10),
        classified_at=t(10, 1, 9, 20),
        handle_due=t(10, 3, 9, 20),
        handled_at=t(10, 2, 10),
        closed_at=t(10, 2, 12),
        state="closed",
        assignee=worker,
        **common,
    )
    # E2 resident: late acceptance, late handling, reworked, extended, rated 5 and fixed
    _event(
        g1a,
        "resident",
        t(10, 5, 10),
        accepted_at=t(10, 5, 10, 45),
        classified_at=t(10, 5, 11),
        handle_due=t(10, 8, 11),
        handled_at=t(10, 9, 9),
        closed_at=t(10, 10, 12),
        state="closed",
        rework_count=1,
        extension_count=1,
        rating=5,
        actually_fixed=True,
        rated_at=t(10, 11, 9),
        assignee=worker,
        **common,
    )
    # E3 hotline, still being handled (deadline passed)
    _event(
        g1b,
        "hotline",
        t(10, 6, 8),
        accepted_at=t(10, 6, 8, 20),
        classified_at=t(10, 6, 8, 30),
        handle_due=t(10, 9, 8, 30),
        state="handling",
        assignee=worker,
        **common,
    )
    # E4 rejected, E5 merged
    _event(g1a, "resident", t(10, 7, 9), state="rejected", closed_at=t(10, 7, 10))
    _event(g1a, "resident", t(10, 8, 9), state="merged", closed_at=t(10, 8, 10))
    # E6 hotline: on time, rated 4 but not actually fixed
    _event(
        g1b,
        "hotline",
        t(10, 10, 10),
        accepted_at=t(10, 10, 10, 5),
        classified_at=t(10, 10, 10, 10),
        handle_due=t(10, 13, 10, 10),
        handled_at=t(10, 11, 10),
        closed_at=t(10, 11, 15),
        state="closed",
        rating=4,
        actually_fixed=False,
        rated_at=t(10, 12, 9),
        assignee=worker2,
        **common,
    )
    # E7 patrol, unfounded
    _event(
        g1a,
        "patrol",
        t(10, 12, 9),
        accepted_at=t(10, 12, 9, 10),
        classified_at=t(10, 12, 9, 20),
        handle_due=t(10, 15, 9, 20),
        state="unfounded",
        closed_at=t(10, 13, 9),
        **common,
    )
    # E8 in the other district: never counted for c1 or d1
    _event(
        g2a,
        "patrol",
        t(10, 12, 9),
        accepted_at=t(10, 12, 9, 1),
        classified_at=t(10, 12, 9, 2),
        handle_due=t(10, 15, 9),
        handled_at=t(10, 12, 10),
        closed_at=t(10, 12, 11),
        state="closed",
        **common,
    )
    # E9 patrol, suspended (挂账): never resolved
    _event(
        g1a,
        "patrol",
        t(10, 14, 9, 45),
        accepted_at=t(10, 14, 10),
        classified_at=t(10, 14, 10, 5),
        handle_due=t(10, 17, 10, 5),
        state="suspended",
        closed_at=t(10, 16, 9),
        assignee=worker,
        **common,
    )
    # E10 reported and registered in September, handled, closed and rated in October
    _event(
        g1a,
        "resident",
        t(9, 28, 9),
        accepted_at=t(9, 28, 9, 30),
        classified_at=t(9, 28, 10),
        handle_due=t(10, 2, 10),
        handled_at=t(10, 1, 10, 30),
        closed_at=t(10, 1, 14),
        state="closed",
        rating=3,
        actually_fixed=True,
        rated_at=t(10, 2, 9),
        assignee=worker,
        **common,
    )
    # E11 hotline: on time, verified 25 h after handling, reporter not reached yet
    _event(
        g1b,
        "hotline",
        t(10, 18, 9),
        accepted_at=t(10, 18, 9, 5),
        classified_at=t(10, 18, 9, 10),
        handle_due=t(10, 21, 9, 10),
        handled_at=t(10, 19, 9),
        closed_at=t(10, 20, 10),
        state="closed",
        assignee=worker2,
        **common,
    )
    from gridgov.org.models import OrgUnit

    c1 = org_tree["c1"]
    org_tree["empty"] = OrgUnit.objects.create(
        code="310104003001009",
        name="空网格",
        level="grid",
        parent=c1,
        path=f"{c1.path}310104003001009/",
    )
    staff = make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="kpi_district")
    from gridgov.kpis import daily

    daily.refresh(date(2025, 9, 1), date(2025, 12, 1))  # the figures every view reads
    return staff, worker, worker2


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_kpi_value(code, october, org_tree):
    staff, _w, _w2 = october
    kpi = REGISTRY[code]
    period = services.parse_period("month", "2025-10-15")
    reading = services.unit_value(
        actor=staff, kpi=kpi, unit=org_tree["c1"], period=period, live=True
    )
    assert reading.value.value == EXPECTED[code]
    # The district holds only c1's events: the other district's event is never counted.
    district = services.unit_value(
        actor=staff, kpi=kpi, unit=org_tree["d1"], period=period, live=True
    )
    assert district.value == reading.value
    # An empty grid: nothing to measure, no division by zero.
    empty = services.unit_value(
        actor=staff, kpi=kpi, unit=org_tree["empty"], period=period, live=True
    )
    assert (empty.value.value, empty.value.denominator, empty.colour) == (None, 0, "secondary")
    # September holds only E10's report: an empty month elsewhere gives None, not an error.
    november = services.parse_period("month", "2025-11-15")
    assert (
        services.unit_value(
            actor=staff, kpi=kpi, unit=org_tree["c1"], period=november, live=True
        ).value.value
        is None
    )


def test_breakdowns_by_grid_and_worker(october, org_tree):
    staff, worker, worker2 = october
    period = services.parse_period("month", "2025-10-01")
    by_grid = services.breakdown(
        actor=staff,
        kpi=REGISTRY["events.closure_rate"],
        unit=org_tree["c1"],
        level="grid",
        period=period,
        live=True,
    )
    assert [(r.label, r.value.value) for r in by_grid] == [
        ("网格001", 50.0),
        ("网格002", 66.67),
        ("空网格", None),
    ]
    by_worker = services.breakdown(
        actor=staff,
        kpi=REGISTRY["events.on_time_handling"],
        unit=org_tree["c1"],
        level="worker",
        period=period,
        live=True,
    )
    assert {r.key: r.value.value for r in by_worker} == {worker.pk: 66.67, worker2.pk: 100.0}
    by_street = services.breakdown(
        actor=staff,
        kpi=REGISTRY["events.repeat_rate"],
        unit=org_tree["d1"],
        level="street",
        period=period,
        live=True,
    )
    assert [(r.code, r.value.value) for r in by_street] == [("310104003", 11.11)]


def test_colours_follow_the_targets(october, org_tree):
    staff, _w, _w2 = october
    period = services.parse_period("month", "2025-10-01")
    c1 = org_tree["c1"]
    assert (
        services.unit_value(
            actor=staff, kpi=REGISTRY["events.on_time_closure"], unit=c1, period=period, live=True
        ).colour
        == "danger"
    )  # 57 < 85
    assert (
        services.unit_value(
            actor=staff, kpi=REGISTRY["events.repeat_rate"], unit=c1, period=period, live=True
        ).colour
        == "danger"
    )  # 11.11 > 10 (lower is better)
    assert (
        services.unit_value(
            actor=staff,
            kpi=REGISTRY["events.avg_accept_minutes"],
            unit=c1,
            period=period,
            live=True,
        ).colour
        == "success"
    )  # 15.7 ≤ 30


def test_a_grid_worker_sees_only_their_grid(october, org_tree, make_user):
    _staff, worker, _w2 = october
    period = services.parse_period("month", "2025-10-01")
    kpi = REGISTRY["events.closure_rate"]
    assert (
        services.unit_value(
            actor=worker, kpi=kpi, unit=org_tree["g1a"], period=period, live=True
        ).value.value
        == 50.0
    )
    for unit in ("g1b", "c1", "d1", "g2a"):
        with pytest.raises(NotFound):
            services.unit_value(
                actor=worker, kpi=kpi, unit=org_tree[unit], period=period, live=True
            )


def test_periods():
    from datetime import date

    from gridgov.kpis.registry import period_containing

    assert period_containing("quarter", date(2025, 11, 5)).label == "2025-Q4"
    q4 = period_containing("quarter", date(2025, 11, 5))
    assert (q4.start.date(), q4.end.date()) == (date(2025, 10, 1), date(2026, 1, 1))
    assert period_containing("week", date(2025, 10, 1)).label == "2025-W40"
    assert period_containing("month", date(2025, 1, 31)).previous().label == "2024-12"


def test_api_values_and_scope(october, org_tree, login_client, client):
    staff, worker, _w2 = october
    login_client(staff)
    response = client.get(
        "/api/v1/kpis/events.closure_rate/values?unit=310104003001&level=grid&date=2025-10-10"
    )
    body = response.json()
    assert response.status_code == 200 and body["total"]["value"] == 57.14
    assert [i["value"] for i in body["items"]] == [50.0, 66.67, None]
    assert client.get("/api/v1/kpis").status_code == 200
    assert client.get("/api/v1/kpis/nope/values").status_code == 404
    assert client.get("/api/v1/kpis/events.closure_rate/values?period=decade").status_code == 422
    login_client(worker)
    assert (
        client.get("/api/v1/kpis/events.closure_rate/values?unit=310104003001").status_code == 404
    )
    assert client.get("/api/v1/kpis/events.closure_rate/values?unit=310105").status_code == 404


def test_pages(october, org_tree, login_client, client):
    staff, _w, _w2 = october
    login_client(staff)
    page = client.get("/kpis/?unit=310104003001&period=month").content.decode()
    assert "kpi-table" in page
    detail = client.get("/kpis/events.closure_rate/?unit=310104003001&date=2025-10-10&level=grid")
    assert detail.status_code == 200 and "57.14" in detail.content.decode()


def test_composite_scores_and_grades(october, org_tree):
    staff, worker, worker2 = october
    period = services.parse_period("month", "2025-10-01")
    scores = {
        s.key: s
        for s in services.composite_scores(
            actor=staff, unit=org_tree["c1"], who="worker", period=period
        )
    }
    # worker (E1 E2 E3 E9 E10): on-time handling 2/3 = 66.67 → 70.18 of the 95 target
    # (weight .3); rework 1/3 = 33.33 against ≤ 5 → 15.0 (.2); valid patrol reports E1 E9 →
    # 100 (.2); checked within 24 h 2/3 → 70.18 (.15); average handling
    # (24h40 + 94h + 72h30)/3 = 63.72 h against ≤ 48 → 75.33 (.15).
    first = scores[worker.pk]
    assert first.parts == {
        "events.on_time_handling": 70.18,
        "events.rework_rate": 15.0,
        "events.valid_report_rate": 100.0,
        "events.on_time_check": 70.18,
        "events.avg_handle_hours": 75.33,
    }
    # 0.3 × 70.18 + 0.2 × 15 + 0.2 × 100 + 0.15 × 70.18 + 0.15 × 75.33 = 65.88
    assert (first.score, first.grade) == (65.88, "C")
    second = scores[worker2.pk]  # on time, no rework: full marks where measured
    assert second.parts["events.on_time_handling"] == 100.0
    assert second.parts["events.rework_rate"] == 100.0


@pytest.mark.parametrize(
    ("score", "letter"),
    [(95, "A"), (90, "A"), (80, "B"), (60, "C"), (45, "D"), (39.9, "E"), (None, "—")],
)
def test_grades(score, letter):
    assert services.grade(score) == letter


def test_dashboard_tiles_ranking_and_click_through(october, org_tree, login_client, client):
    from datetime import date

    from gridgov.kpis import daily

    staff, _w, _w2 = october
    daily.refresh(date(2025, 9, 1), date(2025, 12, 1))
    period = services.parse_period("month", "2025-10-01")
    tiles = {
        t.kpi.code: t
        for t in services.dashboard_tiles(actor=staff, unit=org_tree["c1"], period=period)
    }
    # September at c1: E10 alone was registered (closed) → closure 100 %; October 57.14 %.
    assert tiles["events.closure_rate"].previous == 100.0
    assert tiles["events.closure_rate"].delta == -42.86
    login_client(staff)
    page = client.get("/kpis/dashboard/?unit=310104003001&date=2025-10-01&kpi=events.closure_rate")
    body = page.content.decode()
    assert page.status_code == 200 and 'id="kpi-tiles"' in body and "网格002" in body
    # Click-through: the records behind closure rate at c1 in October (7 registered, 4 closed).
    base = "/events/?kpi=events.closure_rate&unit=310104003001&period=month&date=2025-10-01"
    rows = client.get(base)
    assert rows.status_code == 200 and rows.content.decode().count("event-row") == 7
    assert client.get(base + "&part=num").content.decode().count("event-row") == 4
    assert client.get("/events/?kpi=events.closure_rate&unit=310105").status_code == 404


def test_ranking_best_and_worst():
    from gridgov.kpis.registry import KpiValue

    kpi = REGISTRY["events.closure_rate"]
    values = [50, None, 90, 10, 70, 30]
    rows = [services.Reading(i, f"u{i}", KpiValue(0, 1, v), "x") for i, v in enumerate(values)]
    best, worst = services.ranking(rows, kpi)
    assert [r.value.value for r in best] == [90, 70, 50]
    assert [r.value.value for r in worst] == [10, 30, 50]


def test_red_kpis_alert_once_and_are_acknowledged(
    october, org_tree, make_user, time_machine, login_client, client
):
    from gridgov.audit.models import AuditRecord
    from gridgov.core.models import Notification
    from gridgov.kpis.alerts import check_alerts
    from gridgov.kpis.models import KpiAlert

    staff, worker, _w2 = october
    community = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1_staff")
    street = make_user(Role.STREET_STAFF, org_tree["s1"], username="s1_staff")
    time_machine.move_to("2025-10-25 12:00 +08:00", tick=False)
    from gridgov.kpis import daily

    daily.refresh_recent()
    created = check_alerts()
    assert created > 0 and check_alerts() == 0  # repeated red readings do not spam
    alert = KpiAlert.objects.get(unit=org_tree["c1"], kpi_code="events.on_time_closure")
    assert (alert.value, alert.target, alert.period_label) == (57.14, 95.0, "2025-10")
    # g1a: 6 reports, 1 merged → repeat rate 16.67 % (red); g1b holds only 3 reports, fewer
    # than the 5 rows a reading needs (policy alert_min_count): no alert there.
    assert KpiAlert.objects.get(unit=org_tree["g1a"], kpi_code="events.repeat_rate").value == 16.67
    assert not KpiAlert.objects.filter(unit=org_tree["g1b"], kpi_code__startswith="events.")
    # Nothing is on file in the 400 households g1b is known to hold: the registry KPI is red.
    assert KpiAlert.objects.get(unit=org_tree["g1b"], kpi_code="people.coverage").value == 0.0
    assert Notification.objects.filter(recipient=community, kind="kpi_red").exists()
    assert Notification.objects.filter(recipient=street, kind="kpi_red").exists()
    login_client(worker)
    assert {a["unit"] for a in client.get("/api/v1/alerts").json()} == {"310104003001001"}
    login_client(community)
    listed = client.get("/api/v1/alerts?open_only=true").json()
    assert alert.pk in [a["id"] for a in listed]
    assert all(a["unit"].startswith("310104003001") for a in listed)
    bad = client.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge", {"note": " "}, content_type="application/json"
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge",
        {"note": "已约谈责任网格员"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["acknowledged"] is True
    assert AuditRecord.objects.filter(action="kpis.alert.acknowledge").count() == 1
    page = client.get("/kpis/alerts/").content.decode()
    assert "已约谈责任网格员" in page


def test_monthly_report_pdf_and_xlsx_have_the_same_numbers(
    october, org_tree, settings, tmp_path, login_client, client
):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from gridgov.audit.models import AuditRecord
    from gridgov.kpis.reports import report_create, report_generate

    settings.DATA_DIR = tmp_path
    staff, _w, _w2 = october
    report = report_generate(
        report_create(actor=staff, unit=org_tree["c1"], period_date=datetime(2025, 10, 5).date())
    )
    assert report.status == "done", report.message
    text = "".join(page.extract_text() for page in PdfReader(report.pdf_path).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert "宛平南路社区" in compact and "2025-10" in compact
    assert "按期结案率" in compact and "57.14" in compact and "满意率" in compact
    assert "33.33" in compact and "kpis.targetsv0" in compact
    sheet = load_workbook(report.xlsx_path)["KPIs"]
    codes = {str(kpi.name): code for code, kpi in REGISTRY.items()}
    values = {codes[row[0]]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert set(values) == set(REGISTRY)
    assert {code: values[code] for code in EXPECTED} == EXPECTED
    assert values["people.coverage"] == 0.0  # nothing on file in the 800 known households
    overdue = load_workbook(report.xlsx_path)["Overdue events"]
    # Only E3 is open and past its deadline (E9 is suspended, which is not open).
    assert [row[3] for row in overdue.iter_rows(min_row=2, values_only=True)] == [
        "2025-10-09 08:30"
    ]
    assert AuditRecord.objects.filter(action="kpis.report.generate").count() == 1
    login_client(staff)
    response = client.get(f"/kpis/reports/{report.uid}.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditRecord.objects.filter(action="kpis.report.download").count() == 1
    assert client.get(f"/kpis/reports/{report.uid}.exe").status_code == 404


ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_report_workbook_speaks_the_language_of_who_asked(
    language, october, org_tree, settings, tmp_path, login_client, client
):
    """Sheet names, headers, colours and units in the requester's language: a Chinese
    workbook has no English word outside the data (KPI codes, tracking codes)."""
    from openpyxl import load_workbook

    from gridgov.kpis.models import KpiReport

    settings.DATA_DIR = tmp_path
    staff, _w, _w2 = october
    login_client(staff)
    client.post(
        "/kpis/reports/new/",
        {"unit": org_tree["c1"].code, "month": "2025-10"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    report = KpiReport.objects.get()
    assert report.status == "done", report.message
    book = load_workbook(report.xlsx_path)
    kpis, units, overdue = book.worksheets
    labels = [
        *book.sheetnames,
        *(kpis.cell(1, column).value for column in (1, 3, 5)),
        *(c.value for c in kpis[2]),
        *(c.value for c in units[1]),
        *(c.value for c in overdue[1]),
    ]
    with translation.override(language):
        codes = {str(kpi.name): code for code, kpi in REGISTRY.items()}
    rows = {codes[row[0]]: row for row in kpis.iter_rows(min_row=3, values_only=True)}
    colours = {row[4] for row in rows.values()} | {
        row[3] for row in units.iter_rows(min_row=2, values_only=True)
    }
    minutes = rows["events.avg_accept_minutes"][6]
    if language == "zh-hans":
        assert not [label for label in labels if ASCII_WORD.search(label)], labels
        assert book.sheetnames == ["考核指标", "下级单位", "超期事件"]
        assert colours <= {"达标", "未达标", "红色预警", "无数据"} and "红色预警" in colours
        assert minutes == "分钟" and rows["events.avg_handle_hours"][6] == "小时"
        cells = [c for row in kpis.iter_rows(min_row=3, values_only=True) for c in row]
        assert not [c for c in cells if isinstance(c, str) and ASCII_WORD.search(c)], cells
    else:
        assert book.sheetnames == ["KPIs", "Units", "Overdue events"]
        assert colours <= {"on target", "below target", "red", "nothing to measure"}
        assert minutes == "min" and kpis.cell(2, 5).value == "Colour"


def test_monthly_reports_are_made_once_on_the_first(october, org_tree, settings, tmp_path):
    from datetime import date

    from gridgov.kpis.models import KpiReport
    from gridgov.kpis.reports import schedule_monthly

    settings.DATA_DIR = tmp_path
    assert schedule_monthly(date(2025, 11, 15)) == 0
    made = schedule_monthly(date(2025, 11, 1))
    # The KPI report of two districts, two streets and two communities; the visits'
    # bulletin of the two districts and the two streets; the lists' 社区需求分析报告 of the
    # two districts, two streets and two communities.
    assert made == 16 and schedule_monthly(date(2025, 11, 2)) == 0
    assert KpiReport.objects.filter(kind="visits").count() == 4
    assert KpiReport.objects.filter(kind="needs").count() == 6
    assert set(KpiReport.objects.values_list("status", flat=True)) == {"done"}
    assert set(KpiReport.objects.values_list("period_label", flat=True)) == {"2025-10"}


def test_own_numbers_of_a_worker_and_a_department(october, org_tree, login_client, client):
    from gridgov.events.models import Department

    _staff, worker, _w2 = october
    period = services.parse_period("month", "2025-10-01")
    mine = services.own_readings(user=worker, period=period)
    values = {kpi.code: r.value.value for kpi, r in mine[str(worker)]}
    assert values["events.on_time_handling"] == 66.67  # E1 E2 E10: E2 late
    department = Department.objects.create(district=org_tree["d1"], code="D", name="测试部门")
    department.members.add(worker)
    Event.objects.filter(title="测试", state="handling").update(department=department)  # E3
    sections = services.own_readings(user=worker, period=period)
    dept = {kpi.code: r.value for kpi, r in sections["测试部门"]}
    assert dept["events.extension_rate"].denominator == 1
    login_client(worker)
    page = client.get("/kpis/mine/").content.decode()
    assert 'id="workload"' in page


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_daily_pre_aggregates_give_the_live_numbers(code, october, org_tree):
    from datetime import date

    from gridgov.kpis import daily

    staff, _w, _w2 = october
    daily.refresh(date(2025, 9, 1), date(2025, 12, 1))
    kpi = REGISTRY[code]
    for kind, on in (("month", "2025-10-15"), ("week", "2025-10-08"), ("month", "2025-09-10")):
        period = services.parse_period(kind, on)
        for unit in ("c1", "d1", "g1a", "empty"):
            live = services.unit_value(
                actor=staff, kpi=kpi, unit=org_tree[unit], period=period, live=True
            )
            fast = services.unit_value(actor=staff, kpi=kpi, unit=org_tree[unit], period=period)
            assert fast.value.value == live.value.value, (unit, kind, on)
            assert fast.value.denominator == live.value.denominator
    period = services.parse_period("month", "2025-10-15")
    live = services.breakdown(
        actor=staff, kpi=kpi, unit=org_tree["d1"], level="community", period=period, live=True
    )
    fast = services.breakdown(
        actor=staff, kpi=kpi, unit=org_tree["d1"], level="community", period=period
    )
    assert [r.value.value for r in fast] == [r.value.value for r in live]
    # Refreshing again changes nothing (idempotent).
    before = list(daily.KpiDaily.objects.order_by("pk").values_list("kpi_code", "day", "numerator"))
    daily.refresh(date(2025, 9, 1), date(2025, 12, 1))
    after = list(daily.KpiDaily.objects.order_by("pk").values_list("kpi_code", "day", "numerator"))
    assert sorted(before) == sorted(after)


def test_report_requests_with_bad_input_change_nothing(org_tree, make_user, login_client, client):
    from gridgov.kpis.models import KpiReport

    staff = make_user(Role.STREET_STAFF, org_tree["s1"], username="s1_reports")
    login_client(staff)
    c1, c2, g1a = org_tree["c1"].code, org_tree["c2"].code, org_tree["g1a"].code
    for data, status in [
        ({"unit": c1, "month": "abcd"}, 302),
        ({"unit": c1, "month": "2025-13"}, 302),
        ({"unit": c1, "month": "2999-01"}, 302),
        ({"unit": c1, "month": "0001-01"}, 302),
        ({"unit": c1}, 302),
        ({"unit": g1a, "month": "2025-10"}, 302),  # a grid has no report
        ({"unit": "x" * 500, "month": "2025-10"}, 404),
        ({"unit": c2, "month": "2025-10"}, 404),  # another district: not even named
        ({"month": "2025-10"}, 404),
    ]:
        response = client.post("/kpis/reports/new/", data)
        assert response.status_code == status, data
    assert not KpiReport.objects.exists()
    for language, text in (("zh-hans", "请选择过去或当前的月份"), ("en", "Choose a past")):
        page = client.post(
            "/kpis/reports/new/",
            {"unit": c1, "month": "abcd"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE=language,
        ).content.decode()
        assert text in page, language
    response = client.post(
        "/kpis/reports/new/", {"unit": c1, "month": "2025-10"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302 and KpiReport.objects.count() == 1


def test_dashboard_tiles_read_all_kpis_in_one_query_with_the_same_numbers(
    october, org_tree, django_assert_max_num_queries
):
    from datetime import date

    from gridgov.core.policies import policies_cached
    from gridgov.kpis import daily

    staff, _w, _w2 = october
    daily.refresh(date(2025, 9, 1), date(2025, 12, 1))
    period = services.parse_period("month", "2025-10-15")
    for unit in ("c1", "g1a"):
        # As in a request: each policy is read once.
        with policies_cached(), django_assert_max_num_queries(5):
            tiles = services.dashboard_tiles(actor=staff, unit=org_tree[unit], period=period)
        assert len(tiles) == len(REGISTRY)
        for tile in tiles:
            one = services.unit_value(actor=staff, kpi=tile.kpi, unit=org_tree[unit], period=period)
            before = services.unit_value(
                actor=staff, kpi=tile.kpi, unit=org_tree[unit], period=period.previous()
            )
            assert (tile.reading.value, tile.previous) == (one.value, before.value.value)
