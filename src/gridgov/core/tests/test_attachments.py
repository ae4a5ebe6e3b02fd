"""core.attachments: the type is sniffed, not trusted; photos lose their metadata; PDF
scans must really be plain PDFs; limits and clean-up of a failed block."""

from __future__ import annotations

import hashlib
import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from gridgov.core import attachments
from gridgov.core.crypto import FILE_MAGIC, keyring
from gridgov.core.errors import NotFound, ValidationFailed


def jpeg(name="p.jpg", size=(64, 48)) -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 18.0), 3: "E", 4: (121.0, 24.0, 18.0)}
    exif[0x0110] = "Phone X"  # camera model
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name="scan.pdf", pages=1, script=False, password=None) -> SimpleUploadedFile:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if script:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('x');"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = action
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def test_photo_is_reencoded_without_metadata_and_gps_returned_apart(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    prepared = attachments.prepare(jpeg(size=(4000, 100)), field="f")
    assert abs(prepared.exif_lat - 31.205) < 0.001 and abs(prepared.exif_lon - 121.405) < 0.001
    import uuid

    kept = attachments.write(prepared, folder="x", uid=uuid.uuid4())
    data = attachments.read(kept.path, sha256=kept.sha256)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
        assert max(stored.size) == attachments.MAX_SIDE
    assert kept.content_type == "image/jpeg" and kept.size == len(data)


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("x.jpg", b"MZ\x90\x00not an image", content_type="image/jpeg"),
        SimpleUploadedFile("x.pdf", b"%PDF-1.7\nnot really", content_type="application/pdf"),
        SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ],
)
def test_type_is_sniffed_not_trusted(upload):
    with pytest.raises(ValidationFailed) as caught:
        attachments.prepare(upload, field="file", accept_pdf=True, max_pdf_pages=5)
    assert "x." in caught.value.details["file"][0]


def test_pdf_only_where_accepted_and_only_plain(settings):
    prepared = attachments.prepare(pdf(pages=2), field="f", accept_pdf=True, max_pdf_pages=2)
    assert prepared.kind == attachments.PDF and prepared.pages == 2
    with pytest.raises(ValidationFailed, match="Some fields"):
        attachments.prepare(pdf(), field="f")  # a photo field: a PDF is not a photo
    for bad, reason in [
        (pdf(pages=3), "more than 2 pages"),
        (pdf(script=True), "scripts"),
        (pdf(password="x"), "encrypted"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            attachments.prepare(bad, field="f", accept_pdf=True, max_pdf_pages=2)
        assert reason in caught.value.details["f"][0]


def test_count_and_size_limits_per_type():
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ValidationFailed) as caught:
        attachments.check_uploads([big], field="f", max_files=3, max_mb=1, max_pdf_mb=5)
    assert caught.value.details == {"f": ["big.jpg is larger than 1 MB."]}
    scan = SimpleUploadedFile("s.pdf", b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024))
    attachments.check_uploads([scan], field="f", max_files=3, max_mb=1, max_pdf_mb=5)
    with pytest.raises(ValidationFailed):
        attachments.check_uploads([scan, scan], field="f", max_files=1, max_mb=1)


def test_a_failed_block_leaves_no_file(settings, tmp_path):
    import uuid

    settings.DATA_DIR = tmp_path
    prepared = attachments.prepare(jpeg(), field="f")
    with pytest.raises(RuntimeError), attachments.written_files():
        kept = attachments.write(prepared, folder="x", uid=uuid.uuid4())
        assert kept.path.exists()
        raise RuntimeError("database down")
    assert not list((tmp_path / "x").iterdir())


# Encryption at rest (SECURITY.md E2, E4) ------------------------------------------------


@pytest.fixture
def keys(settings, tmp_path):
    """A key file of the test's own: ``keys(active, *ids)`` writes it and reloads the ring."""
    settings.DATA_DIR = tmp_path / "data"
    settings.FIELD_KEY_FILE = tmp_path / "keys.json"
    made = {}

    def write(active: str, *ids: str) -> None:
        for kid in (active, *ids):
            made.setdefault(kid, {"sm4": uuid.uuid4().hex, "hmac": uuid.uuid4().hex * 2})
        settings.FIELD_KEY_FILE.write_text(json.dumps({"active": active, "keys": made}))
        keyring.cache_clear()

    write("k1")
    yield write
    keyring.cache_clear()


def test_stored_files_are_encrypted_and_read_back(keys):
    photo = attachments.prepare(jpeg(), field="f")
    scan = attachments.prepare(pdf(), field="f", accept_pdf=True, max_pdf_pages=1)
    for prepared, magic in [(photo, b"\xff\xd8\xff"), (scan, b"%PDF-")]:
        kept = attachments.write(prepared, folder="x", uid=uuid.uuid4())
        raw = kept.path.read_bytes()
        plain = attachments.read(kept.path, sha256=kept.sha256)
        assert plain.startswith(magic) and hashlib.sha256(plain).hexdigest() == kept.sha256
        assert raw.startswith(FILE_MAGIC + b"\x02k1") and magic not in raw
        assert plain[16:80] not in raw and len(raw) > len(plain)
    assert plain == scan.data  # a scan is kept byte for byte
    assert sorted(p.suffix for p in kept.path.parent.iterdir()) == [".jpg", ".pdf"]


def test_an_altered_or_moved_file_is_refused(keys, tmp_path):
    one = attachments.write(attachments.prepare(jpeg(), field="f"), folder="x", uid=uuid.uuid4())
    two = attachments.write(attachments.prepare(jpeg(), field="f"), folder="x", uid=uuid.uuid4())
    raw = bytearray(one.path.read_bytes())
    raw[len(raw) // 2] ^= 1
    one.path.write_bytes(bytes(raw))
    with pytest.raises(attachments.AttachmentDamaged) as caught:
        attachments.read(one.path, sha256=one.sha256)
    assert caught.value.code == "attachment_damaged" and "integrity check" in str(caught.value)
    # Another row's file put in its place fails the tag (the name is associated data) …
    one.path.write_bytes(two.path.read_bytes())
    with pytest.raises(attachments.AttachmentDamaged):
        attachments.read(one.path, sha256=two.sha256)
    # … cut short, or a plain file that is not the one the row recorded.
    two.path.write_bytes(two.path.read_bytes()[:40])
    with pytest.raises(attachments.AttachmentDamaged):
        attachments.read(two.path, sha256=two.sha256)
    two.path.write_bytes(b"\xff\xd8\xff something else")
    with pytest.raises(attachments.AttachmentDamaged):
        attachments.read(two.path, sha256=two.sha256)
    with pytest.raises(NotFound):
        attachments.read(tmp_path / "x" / "gone.jpg", sha256=two.sha256)


def test_plain_files_from_before_are_read_then_encrypted_and_keys_rotate(keys, settings):
    prepared = attachments.prepare(pdf(), field="f", accept_pdf=True, max_pdf_pages=1)
    legacy = attachments.media_dir("x") / f"{uuid.uuid4()}.pdf"
    legacy.write_bytes(prepared.data)  # as written before encryption at rest
    digest = hashlib.sha256(prepared.data).hexdigest()
    assert attachments.read(legacy, sha256=digest) == prepared.data
    kept = attachments.write(attachments.prepare(jpeg(), field="f"), folder="x", uid=uuid.uuid4())
    report = attachments.encrypt_stored(["x", "absent"])
    assert (report.encrypted, report.reencrypted, report.current) == (1, 0, 1)
    assert not legacy.read_bytes().startswith(b"%PDF-")
    assert attachments.read(legacy, sha256=digest) == prepared.data
    altered = attachments.media_dir("x") / f"{uuid.uuid4()}.jpg"
    altered.write_bytes(kept.path.read_bytes())  # another file's name: fails the tag
    keys("k2", "k1")  # a new active key; k1 stays to read what it made
    report = attachments.encrypt_stored(["x"])
    assert (report.encrypted, report.reencrypted, report.current) == (0, 2, 0)
    assert report.refused == [f"x/{altered.name}"]  # left as it is, named
    assert all(p.read_bytes().startswith(FILE_MAGIC + b"\x02k2") for p in (legacy, kept.path))
    keys("k2")  # k1 retired: everything still reads
    assert attachments.read(legacy, sha256=digest) == prepared.data
    attachments.read(kept.path, sha256=kept.sha256)
