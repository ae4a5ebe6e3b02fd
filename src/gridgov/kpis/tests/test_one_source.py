"""Every KPI view shows the same number for the same unit and period, with the same as-of.

The dashboard, the KPI list, a KPI's page, the command screen, the API and the monthly
report all read the daily figures; records that change after the figures were computed
change none of them until the next refresh, and each says when its figures are from.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.events.models import Event
from gridgov.kpis.registry import REGISTRY

pytestmark = pytest.mark.django_db

CODES = ("events.on_time_handling", "people.staffing")


@pytest.fixture
def street_month(org_tree, make_user):
    """This month in g1a: two events handled (one late), two residents, one full-time
    worker; then the daily figures are computed."""
    from gridgov.events.services import ReportInput, report_event, transition
    from gridgov.kpis import daily
    from gridgov.org.models import GridAssignment
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="kpi_staff")
    street = make_user(Role.STREET_STAFF, org_tree["s1"], username="kpi_street")
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="kpi_worker")
    GridAssignment.objects.create(
        grid=org_tree["g1a"], user=worker, duty="full_time", start_date=date(2024, 1, 1)
    )
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="K1", address="指标路 1 号", kind="family"
    )

    def resident(name):
        people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "F",
                "birth_date": "1970-02-02",
                "relation": "head" if name == "甲" else "child",
                "registration": "permanent",
            },
        )

    def handled(title, late):
        event, _ = report_event(
            actor=None,
            data=ReportInput(channel="resident", title=title, lon=121.405, lat=31.205),
        )
        transition(actor=staff, event=event, action="accept")
        transition(actor=staff, event=event, action="classify", category_code="06010")
        transition(actor=staff, event=event, action="dispatch", assignee=worker)
        transition(actor=worker, event=event, action="check_in")
        if late:
            Event.objects.filter(pk=event.pk).update(
                handle_due=timezone.now() - timezone.timedelta(hours=1)
            )
        transition(actor=worker, event=event, action="handle", result="已处理")

    resident("甲")
    resident("乙")
    handled("按时处置", late=False)
    handled("超期处置", late=True)
    daily.refresh_recent()
    return {"staff": staff, "street": street, "resident": resident, "handled": handled}


def _html_values(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="([a-z_.]+)" data-value="([^"]*)"', html))


def _html_as_of(html: str) -> str:
    return re.search(r'id="(?:kpi-as-of|updated)"[^>]*data-as-of="([^"]*)"', html).group(1)


def _minute(value: str | datetime) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_every_view_shows_the_same_figures_and_their_as_of_time(
    street_month, org_tree, login_client, client, settings, tmp_path
):
    from openpyxl import load_workbook

    from gridgov.kpis.reports import report_create, report_generate

    # The records move on after the figures were computed: a third event handled on
    # time, a third resident. Live counting would now give 66.67 and 3.0.
    street_month["handled"]("又一件按时处置", late=False)
    street_month["resident"]("丙")

    login_client(street_month["street"])
    c1 = org_tree["c1"].code
    pages = {
        "dashboard": client.get("/kpis/dashboard/", {"unit": c1}).content.decode(),
        "list": client.get("/kpis/", {"unit": c1}).content.decode(),
        "command": client.get("/kpis/command/", {"unit": c1}).content.decode(),
    }
    seen: dict[str, dict[str, str]] = {code: {} for code in CODES}
    as_of: dict[str, str] = {}
    for name, html in pages.items():
        values = _html_values(html)
        for code in CODES:
            if code in values:
                seen[code][name] = values[code]
        as_of[name] = _minute(_html_as_of(html))
    for code in CODES:
        detail = client.get(f"/kpis/{code}/", {"unit": c1}).content.decode()
        seen[code]["detail"] = _html_values(detail)[code]
        as_of[f"detail {code}"] = _minute(_html_as_of(detail))
        api = client.get(f"/api/v1/kpis/{code}/values", {"unit": c1}).json()
        seen[code]["api"] = str(api["total"]["value"])
        as_of[f"api {code}"] = _minute(api["as_of"])

    settings.DATA_DIR = tmp_path
    report = report_generate(
        report_create(
            actor=street_month["staff"], unit=org_tree["c1"], period_date=timezone.localdate()
        )
    )
    assert report.status == "done", report.message
    sheet = load_workbook(report.xlsx_path).worksheets[0]  # the KPI table
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    as_of["report"] = header[5]
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    for code in CODES:  # the workbook names KPIs (in the language the report was made in)
        seen[code]["report"] = str(rows[str(REGISTRY[code].name)])

    assert seen["events.on_time_handling"]["command"]  # the command screen shows it too
    expected = {"events.on_time_handling": 50.0, "people.staffing": 2.0}
    for code, by_view in seen.items():
        assert {float(v) for v in by_view.values()} == {expected[code]}, (code, by_view)
    assert len(set(as_of.values())) == 1, as_of
    assert "Counts at" in pages["command"]  # the live counts say they are live


def test_before_the_first_computation_the_views_say_so(org_tree, make_user, login_client, client):
    login_client(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]))
    page = client.get("/kpis/").content.decode()
    assert "have not been computed yet" in page
    api = client.get("/api/v1/kpis/events.closure_rate/values").json()
    assert api["as_of"] is None and api["complete"] is False
