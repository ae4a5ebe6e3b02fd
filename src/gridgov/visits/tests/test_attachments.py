"""Scans and photos on a visit record: stored through core.attachments, scoped, audited;
the API's refusals (outside scope, wrong type, oversize, approved record) store nothing."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict
from gridgov.core.policies import policy_get
from gridgov.core.tests.test_attachments import jpeg, pdf
from gridgov.visits import services
from gridgov.visits.models import VisitAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return services.visit_submit(actor=world.worker, data=world.visit_input())[0]


def test_service_stores_scan_and_clean_photo_and_audits(world, visit, tmp_path):
    added = services.visit_attach(actor=world.worker, visit=visit, files=[pdf(), jpeg()])
    assert [a.kind for a in added] == ["scan", "photo"]
    assert added[0].content_type == "application/pdf" and added[0].pages == 1
    assert added[1].width == 64 and added[0].scope_path == visit.scope_path
    assert len(list((tmp_path / "visit_attachments").iterdir())) == 2
    record = AuditRecord.objects.get(action="visits.attachment.add")
    assert len(record.changes["attachments"]) == 2
    # What the review passed stays as it was.
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=visit.version)
    visit.refresh_from_db()
    with pytest.raises(Conflict):
        services.visit_attach(actor=world.worker, visit=visit, files=[jpeg()])
    assert VisitAttachment.objects.count() == 2


def test_api_upload_list_and_file(world, visit, login_client, client):
    login_client(world.worker)
    url = f"/api/v1/visits/{visit.uid}/attachments"
    scan = pdf()
    sent = scan.read()
    scan.seek(0)
    response = client.post(url, {"file": [scan, jpeg()]})
    assert response.status_code == 201, response.content
    items = client.get(url).json()
    assert [i["kind"] for i in items] == ["scan", "photo"]
    file = client.get(items[0]["url"])
    assert file.status_code == 200 and file["Content-Type"] == "application/pdf"
    assert b"".join(file.streaming_content) == sent  # a scan is served as it was sent
    assert AuditRecord.objects.filter(action="visits.attachment.view").count() == 1
    # On disk: encrypted, neither a PDF nor a JPEG, the plain bytes nowhere.
    stored = {a.kind: a for a in VisitAttachment.objects.all()}
    on_disk = Path(stored["scan"].stored_path).read_bytes()
    assert not on_disk.startswith(b"%PDF-") and sent[:200] not in on_disk
    photo_on_disk = Path(stored["photo"].stored_path).read_bytes()
    assert not photo_on_disk.startswith(b"\xff\xd8\xff")
    served = b"".join(client.get(items[1]["url"]).streaming_content)
    assert served.startswith(b"\xff\xd8\xff") and served[100:200] not in photo_on_disk
    assert hashlib.sha256(served).hexdigest() == stored["photo"].sha256


def test_an_altered_file_is_refused_and_the_refusal_audited(world, visit, login_client, client):
    (scan,) = services.visit_attach(actor=world.worker, visit=visit, files=[pdf()])
    path = Path(scan.stored_path)
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0x01
    path.write_bytes(bytes(raw))
    login_client(world.worker)
    api = client.get(f"/api/v1/visits/{visit.uid}/attachments/{scan.uid}")
    assert api.status_code == 500 and api.json()["code"] == "attachment_damaged"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(f"/visits/attachments/{scan.uid}/")
    assert page.status_code == 500 and "完整性校验" in page.content.decode()
    assert b"%PDF-" not in page.content
    outcomes = AuditRecord.objects.filter(action="visits.attachment.view").values_list(
        "outcome", flat=True
    )
    assert list(outcomes) == ["fail", "fail"]


def test_files_kept_before_encryption_are_served_then_encrypted(world, visit, login_client, client):
    (photo,) = services.visit_attach(actor=world.worker, visit=visit, files=[jpeg()])
    path = Path(photo.stored_path)
    login_client(world.worker)
    plain = b"".join(client.get(f"/visits/attachments/{photo.uid}/").streaming_content)
    path.write_bytes(plain)  # as the file was kept before encryption at rest
    assert b"".join(client.get(f"/visits/attachments/{photo.uid}/").streaming_content) == plain
    out = StringIO()
    call_command("attachments_encrypt", stdout=out)
    assert "encrypted 1 plain files" in out.getvalue()
    assert not path.read_bytes().startswith(b"\xff\xd8\xff")
    assert b"".join(client.get(f"/visits/attachments/{photo.uid}/").streaming_content) == plain
    record = AuditRecord.objects.get(action="attachments.encrypt")
    assert record.changes["encrypted"] == 1 and record.actor_name.startswith("system:")


def test_api_refusals_store_nothing(world, visit, login_client, client, tmp_path):
    login_client(world.worker)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    url = f"/api/v1/visits/{visit.uid}/attachments"
    fake = SimpleUploadedFile("form.pdf", b"MZ\x90\x00 an executable", "application/pdf")
    wrong = client.post(url, {"file": [jpeg(), fake]})
    assert wrong.status_code == 422 and "form.pdf" in wrong.json()["details"]["file"][0]
    limit = policy_get("visits.attachments").max_photo_mb
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (limit * 1024 * 1024 + 1))
    oversize = client.post(url, {"file": [big]})
    assert oversize.status_code == 422
    assert oversize.json()["details"]["file"] == [f"big.jpg 超过 {limit} MB。"]
    outside = services.visit_submit(
        actor=world.outsider,
        data=world.visit_input(
            household=str(world.household_out.uid),
            outcome="not_home",
            answers={},
            versions={str(world.household_out.uid): world.household_out.version},
        ),
    )[0]
    elsewhere = client.post(f"/api/v1/visits/{outside.uid}/attachments", {"file": [jpeg()]})
    assert elsewhere.status_code == 404
    assert not VisitAttachment.objects.exists()
    assert not (tmp_path / "visit_attachments").exists() or not any(
        (tmp_path / "visit_attachments").iterdir()
    )


def test_pages_upload_show_and_scope(world, visit, login_client, client):
    login_client(world.worker)
    form = client.get(f"/visits/households/{world.household.uid}/new/").content.decode()
    assert "data-attachments-later" in form
    response = client.post(f"/visits/{visit.uid}/attachments/", {"file": [jpeg()]})
    assert response.status_code == 302
    attachment = VisitAttachment.objects.get()
    login_client(world.staff)
    page = client.get(f"/visits/{visit.uid}/").content.decode()
    assert f"/visits/attachments/{attachment.uid}/" in page
    photo = client.get(f"/visits/attachments/{attachment.uid}/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo["Cache-Control"] == "no-store"
    login_client(world.outsider)
    assert client.get(f"/visits/attachments/{attachment.uid}/").status_code == 404
    assert client.post(f"/visits/{visit.uid}/attachments/", {"file": [jpeg()]}).status_code == 404
    assert VisitAttachment.objects.count() == 1
