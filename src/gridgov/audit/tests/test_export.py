"""The audit trail's own export: its audit record says how many records were delivered; a
failure part-way is recorded as a failure and delivers nothing."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(org_tree, make_user, login_client):
    for i in range(4):
        audit_record("org.unit.update", org_unit_path=org_tree["c1"].path, changes={"i": i})
    return login_client(make_user(Role.AUDIT_ADMIN, org_tree["d1"]))


def test_a_delivered_audit_export_records_its_rows(auditor_client):
    response = auditor_client.post("/audit/export.csv", {"action": "org.unit"})
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body.decode("utf-8").count("org unit updated") == 4
    record = AuditRecord.objects.get(action="audit.export")
    assert record.outcome == "success"
    assert record.changes["rows"] == 4 and record.changes["bytes"] == len(body)
    assert record.changes["filters"] == {"action": "org.unit"}


def test_a_failing_audit_export_is_recorded_as_a_failure(auditor_client, monkeypatch):
    from gridgov.audit import exports

    real_row = exports._row
    calls = {"n": 0}

    def row_then_fail(record):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("No space left on device")
        return real_row(record)

    monkeypatch.setattr(exports, "_row", row_then_fail)
    auditor_client.raise_request_exception = False
    response = auditor_client.post("/audit/export.csv", {"action": "org.unit"})
    assert response.status_code == 500
    assert "org unit updated" not in response.content.decode("utf-8", "replace")
    record = AuditRecord.objects.get(action="audit.export")
    assert record.outcome == "fail"
    assert record.changes["rows"] == 2 and record.changes["error"] == "OSError"


@pytest.mark.parametrize(
    ("language", "header"),
    [
        ("zh-hans", ["时间", "链", "序号", "操作人", "角色", "组织单元", "操作", "结果"]),
        ("en", ["Time", "Chain", "Sequence", "Actor", "Role", "Org unit", "Action", "Outcome"]),
    ],
)
def test_the_audit_export_header_is_in_the_users_language(auditor_client, language, header):
    import csv
    import io

    response = auditor_client.post("/audit/export.csv", {}, HTTP_ACCEPT_LANGUAGE=language)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    first = next(csv.reader(io.StringIO(body)))
    assert first[: len(header)] == header
    if language == "zh-hans":
        assert not [h for h in first if any("a" <= c.lower() <= "z" for c in h) and h != "IP 地址"]


def test_the_audit_export_rows_read_like_the_trail_page(org_tree, make_user, login_client):
    """Actions, roles, outcomes, record types, units and details by name, never codes."""
    import csv
    import io

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="wang")
    audit_record(
        "org.unit.update",
        actor=staff,
        target=org_tree["g1a"],
        changes={"before": {"name": "旧名"}, "after": {"name": "新名"}, "rows": 3},
    )
    client = login_client(make_user(Role.AUDIT_ADMIN, org_tree["d1"]))
    response = client.post(
        "/audit/export.csv", {"action": "org.unit"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    row = rows[1]
    assert row[4:9] == [
        "社区（居委会）工作人员",
        org_tree["g1a"].name,
        "修改组织单元",
        "成功",
        f"组织单元 {org_tree['g1a'].pk}",
    ], row
    assert row[9] == "名称: 旧名 → 新名; 行数: 3", row
    text = "\n".join(",".join(r[4:10]) for r in rows[1:])
    for code in ("org.unit.update", "community_staff", "success", "org.orgunit", "rows"):
        assert code not in text, code
