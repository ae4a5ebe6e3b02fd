"""Whatever is already stored, every file the product writes opens safely (SECURITY.md G4).

Hostile values are written straight into the database, bypassing the forms: a resident's
name, household number and address, an anonymous report's title, a grid's and a
community's name, a failed sign-in's user name, an import's problem rows. Then every export
and report is fetched as a user would: the resident CSV and XLSX, the audit CSV, the import
validation report and template, the monthly KPI report (PDF and XLSX) and the public
Open311 XML. Each answers 200 and opens; no spreadsheet cell is a formula or starts with a
character that makes one live; no file carries control characters or bidi overrides.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import date, timedelta

import pytest
from defusedxml import ElementTree as SafeET
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

MARK = "SUM(1,2)"
LIVE = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
CONTROLS = "\x00\x01\x08\x0b\x1b\u202e"


def _hostile(kind: str) -> str:
    if kind == "controls":
        # Controls around a formula: once they are removed, what is left must still be
        # neutralised. PostgreSQL cannot store NUL at all; SQLite can.
        value = f"{CONTROLS}={MARK}\x07\u2066"
        return value.replace("\x00", "") if connection.vendor == "postgresql" else value
    return f"{kind}{MARK}"


@pytest.fixture
def stored(org_tree, make_user, client):
    """store(value) → the people to fetch the files as, after ``value`` is stored everywhere."""

    def store(value: str) -> dict:
        from gridgov.audit.services import audit_record
        from gridgov.demo.people import fictitious_id
        from gridgov.events.models import Channel, Event
        from gridgov.events.services import ReportInput, report_event
        from gridgov.org.models import OrgUnit
        from gridgov.people.models import Household, ImportJob, Resident
        from gridgov.people.services import household_create, resident_create

        staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1staff")
        auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"], username="d1auditor")
        household = household_create(
            actor=staff, grid=org_tree["g1a"], number="H0001", address="宛平南路 1号", kind="family"
        )
        resident = resident_create(
            actor=staff,
            household=household,
            data={
                "name": "张三",
                "id_type": "resident_id",
                "id_number": fictitious_id(random.Random(7), date(1980, 5, 1), "M", "310104"),
                "relation": "head",
                "registration": "registered",
            },
        )
        event, _ = report_event(
            actor=None,
            data=ReportInput(channel=Channel.RESIDENT, title="楼道堆物", lon=121.405, lat=31.205),
        )
        # Stored before anything checked it: straight into the rows.
        Resident.objects.filter(pk=resident.pk).update(name=value)
        Household.objects.filter(pk=household.pk).update(number=value, address=value)
        Event.objects.filter(pk=event.pk).update(
            title=value, address=value, handle_due=timezone.now() - timedelta(days=2)
        )
        OrgUnit.objects.filter(pk__in=[org_tree["g1a"].pk, org_tree["c1"].pk]).update(name=value)
        if value[:1] in LIVE and "\x00" not in value:
            # A failed sign-in as it happens (the form trims tab and CR, not the rest).
            client.post("/accounts/login/", {"username": value, "password": "wrong"})
        audit_record("accounts.login.fail", actor_name=value, outcome="fail")
        ImportJob.objects.create(
            created_by=staff,
            scope_path=org_tree["c1"].path,
            file_name=value,
            stored_path="",
            file_sha256="0" * 64,
            mode=ImportJob.Mode.VALID_ROWS,
            status=ImportJob.Status.DONE,
            problems=[{"row": 2, "column": value, "rule": value, "message": value}],
        )
        return {"staff": staff, "auditor": auditor, "event": event}

    return store


def _csv_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _xlsx_cells(body: bytes) -> list:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body))  # not data_only: formulas would show as such
    cells = []
    for sheet in book.worksheets:
        assert not UNPRINTABLE.search(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def _assert_safe(cells: list, *, expect_mark: bool = True) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    live = [c for c in texts if c[:1] in LIVE and not NUMBER.fullmatch(c)]
    assert not live, live
    unprintable = [c for c in texts if UNPRINTABLE.search(c)]
    assert not unprintable, unprintable
    if expect_mark:  # the stored value did reach the file, neutralised
        assert any(c.startswith("'") and MARK in c for c in texts), texts


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("kind", ["=", "+", "-", "@", "\t", "\r", "controls"])
def test_every_export_of_hostile_stored_values_opens_safely(
    kind, stored, org_tree, login_client, client, settings, tmp_path
):
    from django.test import Client
    from pypdf import PdfReader

    from gridgov.kpis.models import KpiReport
    from gridgov.people.models import ImportJob

    settings.DATA_DIR = tmp_path
    people = stored(_hostile(kind))
    staff = login_client(people["staff"], Client(HTTP_ACCEPT_LANGUAGE="en"))

    for fmt in ("csv", "xlsx"):
        body = _body(staff.post("/people/residents/export/", {"format": fmt}))
        _assert_safe(_csv_cells(body) if fmt == "csv" else _xlsx_cells(body))

    job = ImportJob.objects.get()
    _assert_safe(_xlsx_cells(_body(staff.get(f"/people/imports/{job.uid}/report.xlsx"))))
    _assert_safe(_xlsx_cells(_body(staff.get("/people/imports/template.xlsx"))), expect_mark=False)

    month = timezone.localdate().replace(day=1)
    staff.post("/kpis/reports/new/", {"unit": org_tree["c1"].code, "month": f"{month:%Y-%m}"})
    report = KpiReport.objects.get()
    assert report.status == "done", report.message
    _assert_safe(_xlsx_cells(_body(staff.get(f"/kpis/reports/{report.uid}.xlsx"))))
    pdf = _body(staff.get(f"/kpis/reports/{report.uid}.pdf"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert MARK in text and people["event"].tracking_code in text

    auditor = login_client(people["auditor"], Client(HTTP_ACCEPT_LANGUAGE="en"))
    _assert_safe(_csv_cells(_body(auditor.post("/audit/export.csv", {}))))

    public = Client()
    for url in (
        "/open311/v2/requests.xml?jurisdiction_id=310104",
        f"/open311/v2/requests/{people['event'].tracking_code}.xml?jurisdiction_id=310104",
        f"/open311/v2/requests/{people['event'].tracking_code}.json?jurisdiction_id=310104",
    ):
        body = _body(public.get(url))
        texts = (
            [str(v) for v in _json_values(json.loads(body))]
            if url.split("?")[0].endswith(".json")
            else [e.text or "" for e in SafeET.fromstring(body).iter()]
        )
        assert any(MARK in t for t in texts), texts
        assert not [t for t in texts if UNPRINTABLE.search(t)]


def _json_values(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _json_values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_values(value)
    elif data is not None:
        yield data
