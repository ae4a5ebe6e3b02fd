"""The audit record of a resident export says what was delivered: the rows written and
whether values were masked; an export that fails part-way is recorded as a failure, with
the rows written before it failed, and delivers nothing."""

from __future__ import annotations

import pytest

from gridgov.audit.models import AuditRecord
from gridgov.people import services
from gridgov.people.models import Resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(staff, household, resident_data):
    return [
        services.resident_create(
            actor=staff, household=household, data=resident_data(name=name, relation=relation)
        )
        for name, relation in (("陈一", "head"), ("陈二", "spouse"), ("陈三", "child"))
    ]


def _export(client, **form):
    response = client.post("/people/residents/export/", form)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.mark.parametrize(
    ("form", "masked"), [({"format": "csv"}, True), ({"format": "xlsx", "full": "1"}, False)]
)
def test_a_delivered_export_records_rows_and_masking(staff, three, login_client, form, masked):
    response, body = _export(login_client(staff), **form)
    assert response.status_code == 200 and body
    record = AuditRecord.objects.get(action="people.export")
    assert record.outcome == "success"
    assert record.changes["rows"] == 3
    assert record.changes["masked"] is masked
    assert record.changes["format"] == form["format"]
    assert record.changes["bytes"] == len(body)


def test_a_filtered_export_records_the_rows_it_delivered(staff, three, login_client):
    _response, body = _export(login_client(staff), format="csv", q="陈二")
    record = AuditRecord.objects.get(action="people.export")
    assert record.changes["rows"] == 1 and record.changes["filters"]["q"] == "陈二"
    assert "陈二" in body.decode("utf-8") and "陈三" not in body.decode("utf-8")


def test_an_export_that_fails_midway_is_recorded_as_a_failure(staff, three, login_client):
    """The phone of the last resident in name order no longer decrypts (its ciphertext was
    damaged): the full export fails on that row, after two rows were written."""
    damaged = max(three, key=lambda resident: resident.name)
    ciphertext = damaged.phone_encrypted
    Resident.objects.filter(pk=damaged.pk).update(
        phone_encrypted=ciphertext[:-6] + ("A" if ciphertext[-6] != "A" else "B") + ciphertext[-5:]
    )
    client = login_client(staff)
    client.raise_request_exception = False
    response, body = _export(client, format="csv", full="1", sort="name")
    assert response.status_code == 500
    assert "陈一" not in body.decode("utf-8", "replace")  # nothing of the file is delivered
    records = AuditRecord.objects.filter(action="people.export")
    assert records.count() == 1
    record = records.get()
    assert record.outcome == "fail"
    assert record.changes["rows"] == 2  # written before the damaged row
    assert record.changes["masked"] is False
    assert record.changes["error"] == "DecryptionFailed"


def test_a_failing_writer_is_recorded_as_a_failure(
    org_tree, staff, three, login_client, monkeypatch
):
    """The writer itself fails (e.g. the disk is full) after the first rows."""
    from gridgov.people import exports

    real_rows = exports._rows

    def rows_then_disk_full(*args, **kwargs):
        for count, row in enumerate(real_rows(*args, **kwargs)):
            if count == 1:
                raise OSError("No space left on device")
            yield row

    monkeypatch.setattr(exports, "_rows", rows_then_disk_full)
    client = login_client(staff)
    client.raise_request_exception = False
    response, _body = _export(client, format="csv")
    assert response.status_code == 500
    record = AuditRecord.objects.get(action="people.export")
    assert record.outcome == "fail" and record.changes["rows"] == 1
    assert record.changes["masked"] is True and record.changes["error"] == "OSError"
