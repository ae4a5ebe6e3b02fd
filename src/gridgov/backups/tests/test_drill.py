"""The restore drill (SECURITY.md H1; plans S000/S003), on the run's database: build a
registry, back it up, lose the machine (database, media, field key file), restore, and find
every table as it was, the audit chains intact and the personal fields readable; and a
backup taken while residents are being written restores to a consistent state."""

from __future__ import annotations

import subprocess
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridgov.backups.databases import current_fingerprints, pg_server_major, pg_tool
from gridgov.backups.services import backup_create
from gridgov.backups.tests.conftest import build_registry, destroy, unpacked_backup
from gridgov.core import attachments

AUDIT_TABLES = {"audit_auditrecord", "audit_auditchainhead"}


def _audit_rows() -> list[tuple]:
    from gridgov.audit.models import AuditRecord

    fields = [f.attname for f in AuditRecord._meta.concrete_fields]
    return list(AuditRecord.objects.order_by("pk").values_list(*fields))


def _restore(*args: str) -> str:
    out = StringIO()
    call_command("restore", *args, stdout=out)
    return out.getvalue()


def _plain_database_text(site, unpacked: Path) -> bytes:
    """Everything the database copy holds, decompressed (pg_dump's custom format compresses)."""
    if site.vendor == "sqlite":
        return (unpacked / "database.sqlite3").read_bytes()
    pg_restore = pg_tool("pg_restore", server_major=pg_server_major())
    return subprocess.run(
        [pg_restore, "--file=-", str(unpacked / "database.dump")],
        capture_output=True,
        check=True,
    ).stdout


def test_backup_lose_everything_restore(site, settings, tmp_path):
    from gridgov.core.crypto import decrypt_field
    from gridgov.events.models import Event, EventPhoto
    from gridgov.people import privacy
    from gridgov.people.models import Resident

    registry = build_registry(site)
    before = current_fingerprints()
    audit_before = _audit_rows()
    assert before["people_resident"]["rows"] == 9 and len(audit_before) > 10

    result = backup_create()
    assert result.archive.parent == settings.GRIDGOV_BACKUP_DIR
    assert result.keys.parent == settings.GRIDGOV_BACKUP_KEYS_DIR and result.media_files == 1

    # No ID or phone number in clear anywhere: not in the sealed files, not inside them.
    unpacked = unpacked_backup(result.archive, tmp_path / "unpacked")
    inside = [result.archive.read_bytes(), result.keys.read_bytes()]
    inside += [p.read_bytes() for p in unpacked.rglob("*") if p.is_file()]
    inside.append(_plain_database_text(site, unpacked))
    for secret in site.secrets:
        assert not any(secret.encode() in blob for blob in inside), "plaintext personal data"
    assert b"field_keys" not in result.archive.read_bytes()
    import json

    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["tables"] == before  # the backup holds exactly the committed state

    destroy(site, settings)
    assert not Path(settings.FIELD_KEY_FILE).exists()

    report = _restore(str(result.archive))
    assert "every table equal to the backup" in report
    assert "people_resident: 9 rows" in report
    assert "field keys installed from the backup" in report
    assert "audit chains OK" in report

    after = current_fingerprints()
    assert {t: after[t] for t in after if t not in AUDIT_TABLES} == {
        t: before[t] for t in before if t not in AUDIT_TABLES
    }
    audit_after = _audit_rows()
    assert audit_after[: len(audit_before)] == audit_before
    from gridgov.audit.models import AuditRecord

    appended = AuditRecord.objects.order_by("pk")[len(audit_before) :]
    assert [record.action for record in appended] == ["backups.restore"]
    call_command("audit_verify", stdout=StringIO())

    # The restored personal fields decrypt with the restored keys.
    for resident in Resident.objects.all():
        assert (
            privacy.reveal_id_number(resident),
            privacy.reveal_phone(resident),
        ) == registry.residents[resident.uid]
    event = Event.objects.get(pk=registry.event.pk)
    assert (
        decrypt_field(event.contact_phone_encrypted, associated_data=str(event.uid))
        == registry.event_phone
    )
    # The photo comes back as it was stored (encrypted) and decrypts with the restored keys.
    photo = EventPhoto.objects.get(event=event)
    assert not Path(photo.stored_path).read_bytes().startswith(b"\xff\xd8\xff")
    assert attachments.read(photo.stored_path, sha256=photo.sha256).startswith(b"\xff\xd8\xff")


def test_restore_refuses_a_database_that_is_not_empty(site, settings):
    from gridgov.people.models import Resident
    from gridgov.people.services import household_create

    registry = build_registry(site, households=1, per_household=1)
    result = backup_create()
    later = household_create(
        actor=registry.staff, grid=registry.grid, number="H900", address="后来", kind="family"
    )
    before = current_fingerprints()

    with pytest.raises(CommandError, match="not empty.*--force"):
        _restore(str(result.archive))
    # Even when told to replace, an altered backup is refused before anything is replaced.
    altered = result.archive.with_name("altered.backup")
    blob = bytearray(result.archive.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    altered.write_bytes(bytes(blob))
    with pytest.raises(CommandError, match="damaged or was altered"):
        _restore(str(altered), "--force")
    connection.close()
    assert current_fingerprints() == before  # nothing was touched

    report = _restore(str(result.archive), "--force")
    assert "people_household: 1 rows" in report and "people_resident: 1 rows" in report
    from gridgov.people.models import Household

    assert not Household.objects.filter(pk=later.pk).exists()
    assert Resident.objects.count() == 1


def test_restore_without_the_field_keys_refuses_before_touching_anything(site, settings):
    registry = build_registry(site, households=1, per_household=1)
    result = backup_create()
    destroy(site, settings)
    hidden = result.keys.rename(result.keys.with_name("elsewhere.keys"))

    with pytest.raises(CommandError, match="--keys"):
        _restore(str(result.archive))
    from gridgov.backups.databases import database_contents

    assert database_contents() == (0, 0)

    report = _restore(str(result.archive), "--keys", str(hidden))
    assert "field keys installed from the backup" in report
    from gridgov.people import privacy
    from gridgov.people.models import Resident

    resident = Resident.objects.get()
    assert privacy.reveal_id_number(resident) == registry.residents[resident.uid][0]


def test_a_backup_taken_while_residents_are_written_restores_consistently(site, settings):
    from django.db import connection as thread_connection

    from gridgov.audit.models import AuditRecord
    from gridgov.demo.people import fictitious_id
    from gridgov.people import privacy
    from gridgov.people.models import Household, Resident, ResidentHistory
    from gridgov.people.services import resident_create

    registry = build_registry(site, households=2, per_household=1)
    household = registry.households[0]
    committed: dict = {}  # resident uid → ID number, for every write that returned
    stop, failures = threading.Event(), []

    def writer():
        import random
        from datetime import date

        rng = random.Random(5)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                number = fictitious_id(rng, date(1980, 1, 1 + n % 28), "F")
                resident = resident_create(
                    actor=registry.staff,
                    household=household,
                    data={
                        "name": "李" + "明华丽强伟芳静敏军洋"[n % 10],
                        "sex": "F",
                        "birth_date": f"1980-01-{1 + n % 28:02d}",
                        "id_type": "resident_id",
                        "id_number": number,
                        "relation": "child",
                        "registration": "permanent",
                        "residence": "present",
                    },
                )
                committed[resident.uid] = number
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            thread_connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while len(committed) < 5 and time.monotonic() < deadline and not failures:
            time.sleep(0.05)
        committed_before = set(committed)
        result = backup_create()
        during = set(committed) - committed_before
        deadline = time.monotonic() + 120
        while len(committed) < len(committed_before) + len(during) + 3 and not failures:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not failures, failures
    assert during, "no resident was written while the backup ran"

    destroy(site, settings)
    _restore(str(result.archive))

    restored = {
        r.uid: r
        for r in Resident.objects.filter(household=household)
        if r.uid not in registry.residents
    }
    assert committed_before <= set(restored) <= set(committed)
    assert set(restored) < set(committed)  # the writes after the backup are not in it
    for uid, resident in restored.items():
        # Each write is whole: the resident, its history, its audit record, its keys.
        assert Household.objects.filter(pk=resident.household_id).exists()
        assert ResidentHistory.objects.filter(resident=resident, action="create").exists()
        assert AuditRecord.objects.filter(
            action="people.resident.create", target_id=str(resident.pk)
        ).exists()
        assert privacy.reveal_id_number(resident) == committed[uid]
    audited = AuditRecord.objects.filter(action="people.resident.create").values_list(
        "target_id", flat=True
    )
    assert {int(pk) for pk in audited} == set(Resident.objects.values_list("pk", flat=True))
    call_command("audit_verify", stdout=StringIO())
