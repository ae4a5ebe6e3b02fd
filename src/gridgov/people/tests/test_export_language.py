"""Resident exports and import reports speak the user's language: in zh-Hans no sheet name,
header or note is English; in English they are English."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from gridgov.people import services
from gridgov.people.models import ImportJob

pytestmark = pytest.mark.django_db
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture
def signed_in(staff, household, resident_data, login_client):
    services.resident_create(actor=staff, household=household, data=resident_data(name="陈一"))
    ImportJob.objects.create(
        created_by=staff,
        scope_path=household.scope_path,
        file_name="名单.xlsx",
        stored_path="",
        file_sha256="0" * 64,
        mode=ImportJob.Mode.VALID_ROWS,
        status=ImportJob.Status.DONE,
        problems=[{"row": 2, "column": "出生日期", "rule": "date", "message": "日期无效"}],
    )
    return login_client(staff)


def _labels(client, language: str) -> list[str]:
    """Sheet names, header rows and notes of every file, as the user gets them."""
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    labels: list[str] = []
    for fmt in ("xlsx", "csv"):
        response = client.post("/people/residents/export/", {"format": fmt}, **headers)
        body = b"".join(response.streaming_content)
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            labels += [*rows[0], rows[-1][0]]  # the header and the watermark
            continue
        book = load_workbook(io.BytesIO(body))
        residents, info = book.worksheets
        labels += [*book.sheetnames, *(c.value for c in residents[1])]
        labels += [row[0] for row in info.iter_rows(values_only=True)]
    job = ImportJob.objects.get()
    report = load_workbook(
        io.BytesIO(client.get(f"/people/imports/{job.uid}/report.xlsx", **headers).content)
    )
    labels += [*report.sheetnames, *(c.value for c in report.worksheets[0][1])]
    return labels


def test_exports_and_reports_in_chinese_have_no_english_labels(signed_in, staff):
    labels = _labels(signed_in, "zh-hans")
    # The user name in the watermark is data, not a label.
    english = [s for s in labels if ASCII_WORD.search(s.replace(staff.username, ""))]
    assert not english, english
    assert {"居民", "导出信息", "校验报告", "姓名", "证件号码", "规则"} <= set(labels)
    assert "证件号码和联系电话已脱敏。" in labels


def test_exports_and_reports_in_english(signed_in):
    labels = _labels(signed_in, "en")
    assert {"Residents", "Export", "Validation report", "Name", "ID number", "Rule"} <= set(labels)
