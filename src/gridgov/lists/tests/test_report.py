"""The monthly 《社区需求分析报告》 on the hand-built October of ``month.py`` (c1), with 康复上门
paused before the report is made, counted by hand:

  助餐      registered N1 N2 N3; met N1; open 0; cannot be met N3; capacity 10 (长者食堂),
            used 2 (o1 o2; o3 timed out) → left 8, gap 0
  医疗健康  registered N4 N5 N6; met 0; open N5 N6; capacity 0 (康复上门 paused) → gap 2
  orders    dispatched 4, accepted 3 (2 in time), refused 0, timed out 1, rated 3, 4–5★ 2
  most unmet: 医疗健康 (2 open), then 助餐 (1 cannot be met)
"""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from gridgov.kpis import daily, reports
from gridgov.kpis.models import KpiReport
from gridgov.lists.models import Resource
from gridgov.lists.tests import month as built

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(org_tree, make_user, time_machine, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    made = built.build(org_tree, make_user, time_machine)
    Resource.objects.filter(pk=made.resources["health"].pk).update(status="paused")
    daily.refresh(date(2026, 10, 1), date(2026, 11, 1))
    return made


def _make(actor, unit):
    report = reports.report_create(
        actor=actor, unit=unit, period_date=date(2026, 10, 1), kind="needs"
    )
    return reports.report_generate(report)


def _sheet(book, name):
    return [list(row) for row in book[name].iter_rows(values_only=True)]


def test_the_report_counts_the_month(month):
    report = _make(month.street, month.org["s1"])
    assert report.status == KpiReport.Status.DONE, report.message
    book = load_workbook(report.xlsx_path)
    assert book.sheetnames == ["KPIs", "Needs and gap", "Service orders"]
    needs = _sheet(book, "Needs and gap")
    assert needs[0][:3] == ["Community", "Category", "Registered"]
    rows = {(r[0], r[1]): r[2:] for r in needs[1:]}
    # registered, met, open, cannot be met, capacity, used, left, gap
    assert rows[("宛平南路社区", "health care")] == [3, 0, 2, 0, 0, 0, 0, 2]
    assert rows[("宛平南路社区", "meal help")] == [3, 1, 0, 1, 10, 2, 8, 0]
    assert rows[("宛平南路社区", "Total")] == [6, 1, 2, 1, 10, 2, 8, 2]
    orders = _sheet(book, "Service orders")
    assert orders[1] == ["宛平南路社区", 4, 3, 2, 0, 1, 3, 2, "health care、meal help"]
    kpis = {(r[0], r[1]): r[2] for r in _sheet(book, "KPIs")[3:]}
    assert kpis[("天平路街道", "Service satisfaction (服务满意度)")] == 66.67
    assert kpis[("宛平南路社区", "Need fulfilment rate (需求满足率)")] == 33.33
    # The PDF renders the same figures and names nobody.
    text = "".join(page.extract_text() for page in PdfReader(report.pdf_path).pages)
    assert "宛平南路社区" in text and "66.67" in text and "health care" in text
    cells = " ".join(str(c) for name in book.sheetnames for row in _sheet(book, name) for c in row)
    for personal in ("宛平南路1号", "H1", "13800001111", "1111"):
        assert personal not in text and personal not in cells


def test_the_report_is_scoped_to_who_asks(month, login_client, client):
    # The other district's community staff cannot have c1's report made …
    login_client(month.other)
    response = client.post(
        "/kpis/reports/new/", {"unit": month.org["c1"].code, "month": "2026-10", "kind": "needs"}
    )
    assert response.status_code == 404
    assert not KpiReport.objects.filter(kind="needs").exists()
    # … and their own community's report counts their need only.
    report = _make(month.other, month.org["c2"])
    needs = _sheet(load_workbook(report.xlsx_path), "Needs and gap")
    assert [r[:5] for r in needs[1:]] == [
        ["华阳社区", "meal help", 1, 0, 1],
        ["华阳社区", "Total", 1, 0, 1],
    ]


def test_the_report_kind_is_offered_and_made_monthly(month, login_client, client):
    login_client(month.staff)
    page = client.get("/kpis/reports/").content.decode()
    assert 'value="needs"' in page
    response = client.post(
        "/kpis/reports/new/", {"unit": month.org["c1"].code, "month": "2026-10", "kind": "needs"}
    )
    assert response.status_code == 302
    report = KpiReport.objects.get(kind="needs")
    assert report.unit == month.org["c1"]
    report.refresh_from_db()
    assert report.status == KpiReport.Status.DONE
    download = client.get(f"/kpis/reports/{report.uid}.xlsx")
    assert download.status_code == 200
    assert "needs-2026-10.xlsx" in download["Content-Disposition"]
