"""A street office's 花名册 through the web pages and through the API: upload with a grid,
decide the column we do not know (序号), see the households, import."""

import json

import pytest

from gridgov.people.models import ImportJob
from gridgov.people.tests.test_import_households import (
    EXPECTED,
    ROSTER_HEADER,
    households_by_head,
    roster_rows,
)

G1B = "310104003001002"


def office_roster(ids):
    """The roster as offices keep it: a running number in front of each row."""
    header = ["序号", *ROSTER_HEADER]
    rows = [[str(i), *row] for i, row in enumerate(roster_rows(ids), start=1)]
    return header, rows


def gbk_csv(ids) -> bytes:
    import csv
    import io

    header, rows = office_roster(ids)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["宛平南路社区居民花名册"])
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("gbk")


def xlsx(ids) -> bytes:
    import io

    import openpyxl

    header, rows = office_roster(ids)
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_web_pages_import_a_roster(kind, org_tree, staff, ids, login_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_client(staff)
    page = client.get("/people/imports/").content.decode()
    assert G1B in page and "与户主关系" in page  # the grid and grouping choices
    content = gbk_csv(ids) if kind == "csv" else xlsx(ids)
    upload = SimpleUploadedFile(f"花名册.{kind}", content)
    response = client.post(
        "/people/imports/",
        {"file": upload, "mode": "all", "grid": G1B, "grouping": "relation"},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "decide" and job.target_grid.code == G1B
    page = client.get(f"/people/imports/{job.uid}/").content.decode()
    assert "序号" in page and 'name="col-A"' in page and "张建国" in page
    assert "3 households found" in page or "3 户" in page
    response = client.post(
        f"/people/imports/{job.uid}/",
        {"action": "configure", "col-A": "ignore", "grid": G1B, "grouping": "relation"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "checked", (job.message, job.columns)
    page = client.get(f"/people/imports/{job.uid}/").content.decode()
    first_row = 3 if kind == "csv" else 2  # the CSV has a title row above its header
    assert f"I{job.pk}-{first_row:05d}" in page
    client.post(f"/people/imports/{job.uid}/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == "done" and job.created_rows == 7
    assert households_by_head() == EXPECTED


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_api_imports_a_roster(kind, org_tree, staff, ids, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.accounts.services import token_create

    _token, raw = token_create(user=staff, name="office")
    headers = {"Authorization": f"Bearer {raw}"}
    content = gbk_csv(ids) if kind == "csv" else xlsx(ids)
    created = client.post(
        "/api/v1/imports",
        {
            "file": SimpleUploadedFile(f"roster.{kind}", content),
            "mode": "preview",
            "grid": G1B,
            "grouping": "relation",
        },
        headers=headers,
    )
    assert created.status_code == 202, created.content
    uid = created.json()["uid"]
    body = client.get(f"/api/v1/imports/{uid}", headers=headers).json()
    assert body["status"] == "decide" and body["target_grid"] == G1B
    assert [c["header"] for c in body["columns"] if c["status"] == "undecided"] == ["序号"]
    assert body["households"]["count"] == 3
    assert body["households"]["first"][0]["head"] == "张建国"
    bad = client.patch(
        f"/api/v1/imports/{uid}",
        json.dumps({"columns": {"序号": "不存在"}}),
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and "序号" in bad.json()["details"]
    decided = client.patch(
        f"/api/v1/imports/{uid}",
        json.dumps({"columns": {"序号": "ignore"}, "mode": "all"}),
        content_type="application/json",
        headers=headers,
    )
    assert decided.status_code == 202, decided.content
    body = client.get(f"/api/v1/imports/{uid}", headers=headers).json()
    assert body["status"] == "done" and body["created_rows"] == 7, body
    assert households_by_head() == EXPECTED
    again = client.patch(
        f"/api/v1/imports/{uid}",
        json.dumps({"mode": "all"}),
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 409


@pytest.mark.django_db
def test_api_upload_with_column_decisions(org_tree, staff, ids, client, login_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_client(staff)
    created = client.post(
        "/api/v1/imports",
        {
            "file": SimpleUploadedFile("roster.csv", gbk_csv(ids)),
            "mode": "all",
            "grid": G1B,
            "columns": json.dumps({"序号": "ignore"}),
        },
    )
    assert created.status_code == 202 and created.json()["status"] == "done", created.json()
    broken = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("r.csv", gbk_csv(ids)), "columns": "[1]"},
    )
    assert broken.status_code == 422 and "columns" in broken.json()["details"]
