from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditChainHead, AuditRecord
from gridgov.audit.selectors import audit_verify
from gridgov.audit.services import (
    SystemActor,
    audit_anchor,
    audit_purge,
    audit_record,
    chain_for_path,
)

pytestmark = pytest.mark.django_db


def _write(n=5, path="31/3101/310104/"):
    with transaction.atomic():
        return [
            audit_record(
                "org.unit.update", actor=SystemActor("t"), org_unit_path=path, changes={"i": i}
            )
            for i in range(n)
        ]


@pytest.fixture
def tamper():
    """Raw SQL with the append-only triggers lifted: what a rogue DBA could do."""
    from gridgov.audit import triggers

    class Lifted:
        def __enter__(self):
            triggers.lift(connection)
            return connection.cursor()

        def __exit__(self, *exc):
            triggers.create(connection)

    return Lifted()


def test_chain_links_and_verifies():
    records = _write(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[1].prev_hash == records[0].hash
    assert records[0].chain == "310104"
    result = audit_verify()
    assert result.ok and result.checked == 3


def test_chains_are_partitioned_by_district():
    _write(2, "31/3101/310104/310104003/")
    _write(2, "31/3101/310105/")
    _write(1, "")
    assert chain_for_path("31/3101/310105/310105001/") == "310105"
    assert set(AuditChainHead.objects.values_list("chain", flat=True)) == {
        "310104",
        "310105",
        "platform",
    }
    assert audit_verify().ok


def test_detects_an_edited_record(tamper):
    records = _write(4)
    with tamper as cursor:
        cursor.execute(
            "UPDATE audit_auditrecord SET changes = %s WHERE id = %s", ['{"i": 99}', records[2].pk]
        )
    result = audit_verify()
    assert not result.ok
    assert result.problem.seq == 3 and "edited" in result.problem.reason


def test_detects_a_deleted_record(tamper):
    records = _write(4)
    with tamper as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [records[1].pk])
    result = audit_verify()
    assert not result.ok and result.problem.seq == 3
    assert "missing" in result.problem.reason


def test_detects_a_deleted_last_record(tamper):
    records = _write(3)
    with tamper as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [records[-1].pk])
    result = audit_verify()
    assert not result.ok and "end of the chain" in result.problem.reason


def test_detects_an_inserted_record(tamper):
    records = _write(3)
    forged = records[1]
    with tamper as cursor:
        # Make room: shift seq 3 to 4, then insert a forged seq 3 that links to seq 2.
        cursor.execute("UPDATE audit_auditrecord SET seq = 4 WHERE id = %s", [records[2].pk])
        cursor.execute(
            "INSERT INTO audit_auditrecord (chain, seq, created_at, actor_id, actor_name, "
            "actor_role, org_unit_path, action, outcome, target_type, target_id, changes, "
            "request_id, ip, batch_id, prev_hash, hash) VALUES "
            "(%s, 3, %s, NULL, 'mallory', '', %s, 'org.unit.update', 'success', '', '', "
            "'{}', '', NULL, '', %s, %s)",
            [forged.chain, timezone.now(), forged.org_unit_path, forged.hash, "f" * 64],
        )
    result = audit_verify()
    assert not result.ok and result.problem.seq == 3


def test_detects_two_swapped_records(tamper):
    records = _write(4)
    a, b = records[1], records[2]
    with tamper as cursor:
        cursor.execute("UPDATE audit_auditrecord SET seq = -1 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE audit_auditrecord SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cursor.execute("UPDATE audit_auditrecord SET seq = %s WHERE id = %s", [b.seq, a.pk])
    result = audit_verify()
    assert not result.ok and result.problem.seq == 2


def test_update_and_young_delete_are_refused_by_the_database():
    record = _write(1)[0]
    for sql in [
        "UPDATE audit_auditrecord SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
    ]:
        with pytest.raises(Exception) as exc, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [record.pk])
        assert "append-only" in str(exc.value) or "180 days" in str(exc.value)
    assert AuditRecord.objects.filter(pk=record.pk, action="org.unit.update").exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_refuses_delete_even_of_old_records_without_the_purge_flag(tamper):
    record = _write(1)[0]
    with tamper as cursor:
        cursor.execute(
            "UPDATE audit_auditrecord SET created_at = %s WHERE id = %s",
            [timezone.now() - timedelta(days=3000), record.pk],
        )
    with pytest.raises(Exception, match="DELETE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [record.pk])
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditrecord")


def test_purge_keeps_the_chain_verifiable(tamper):
    import time_machine

    old_time = timezone.now() - timedelta(days=6 * 365)
    with time_machine.travel(old_time, tick=False):
        _write(3)
    _write(2)
    deleted = audit_purge(before=timezone.now())
    assert deleted == 3
    assert AuditRecord.objects.filter(chain="310104").count() == 2
    result = audit_verify()
    assert result.ok, result.problem


def test_purge_never_deletes_younger_than_retention():
    _write(3)
    assert audit_purge(before=timezone.now() + timedelta(days=1)) == 0
    assert AuditRecord.objects.filter(action="org.unit.update").count() == 3


def test_root_anchor_vouches_for_chain_heads(tamper):
    records = _write(2)
    audit_anchor()
    assert audit_verify().ok
    # Rewrite the whole chain consistently (recomputed hashes): only the anchor notices.
    from gridgov.audit.services import record_hash

    with tamper as cursor:
        prev = "0" * 64
        for r in AuditRecord.objects.filter(chain="310104").order_by("seq"):
            r.changes = {"i": "forged"}
            r.prev_hash = prev
            r.hash = record_hash(prev, r)
            cursor.execute(
                "UPDATE audit_auditrecord SET changes=%s, prev_hash=%s, hash=%s WHERE id=%s",
                ['{"i": "forged"}', r.prev_hash, r.hash, r.pk],
            )
            prev = r.hash
        cursor.execute("UPDATE audit_auditchainhead SET hash=%s WHERE chain='310104'", [prev])
    result = audit_verify()
    assert not result.ok and "anchor" in result.problem.reason
    assert records


def test_audit_failure_rolls_back_the_operation(org_tree, make_user, monkeypatch):
    """Fail closed (SECURITY.md D6)."""
    from gridgov.audit import services as audit_services
    from gridgov.org.services import org_unit_update

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])

    def broken(*args, **kwargs):
        raise IntegrityError("audit store unavailable")

    monkeypatch.setattr(AuditRecord, "save", broken)
    with pytest.raises(IntegrityError):
        org_unit_update(actor=staff, unit=org_tree["g1a"], name="改名", is_active=True)
    org_tree["g1a"].refresh_from_db()
    assert org_tree["g1a"].name != "改名"
    assert audit_services  # the module under test


def test_personal_data_in_changes_is_masked():
    with transaction.atomic():
        record = audit_record(
            "org.unit.update",
            actor=SystemActor("t"),
            changes={"note": "电话 13812341234 身份证 11010519491231002X"},
        )
    record.refresh_from_db()
    assert "13812341234" not in str(record.changes)
    assert "138****1234" in record.changes["note"]
    assert audit_verify().ok


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        audit_record("made.up", actor=SystemActor("t"))


def test_only_the_audit_admin_reads_the_trail(org_tree, make_user, login_client, client):
    _write(2)
    auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"])
    sysadmin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    for user in (sysadmin, secadmin):
        c = login_client(user)
        assert c.get("/audit/").status_code == 403
        assert c.get("/api/v1/audit-records").status_code == 403
        c.logout()
    c = login_client(auditor)
    assert c.get("/audit/").status_code == 200
    assert c.get("/api/v1/audit-records").json()["count"] >= 2
    verify = c.get("/api/v1/audit-records/verify").json()
    assert verify["ok"] is True


def test_export_is_audited_and_filtered(org_tree, make_user, login_client):
    _write(3)
    auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"])
    c = login_client(auditor)
    response = c.post("/audit/export.csv", {"action": "org.unit"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert body.count("org unit updated") == 3
    export = AuditRecord.objects.get(action="audit.export")
    assert export.changes["rows"] == 3
    assert export.actor_name == auditor.username


def test_verify_command(capsys):
    from django.core.management import call_command

    _write(2)
    call_command("audit_verify")
    assert "OK" in capsys.readouterr().out


def test_every_catalogued_action_is_written_somewhere():
    """The catalogue lists what is audited: no entry without a writer (SECURITY.md D1)."""
    import re
    from pathlib import Path

    from django.conf import settings

    from gridgov.audit.actions import ACTIONS

    source = "\n".join(
        p.read_text()
        for p in Path(settings.BASE_DIR).rglob("*.py")
        if "tests" not in p.parts and p.name != "actions.py"
    )
    written = set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', source))
    assert set(ACTIONS) <= written, set(ACTIONS) - written


def test_the_trail_page_reads_in_the_users_language(org_tree, make_user, login_client, client):
    """Actions, roles, record types and units by their names; details as lines, not a dict."""
    from django.utils import translation

    from gridgov.audit.actions import ACTIONS

    auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"])
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="wang")
    audit_record(
        "org.unit.update",
        actor=staff,
        target=org_tree["g1a"],
        changes={"before": {"name": "旧名"}, "after": {"name": "新名"}},
    )
    c = login_client(auditor)
    page = c.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        expected = [
            str(ACTIONS["org.unit.update"]),
            str(dict(Role.choices)[Role.COMMUNITY_STAFF]),
            org_tree["g1a"].name,
        ]
    for text in expected:
        assert text in page, text
    assert "名称: 旧名 → 新名" in page
    assert "<td>org.unit.update</td>" not in page and "community_staff" not in page
    assert "{&#x27;before&#x27;" not in page
