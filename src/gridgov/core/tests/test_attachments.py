"""core.attachments: the type is sniffed, not trusted; photos lose their metadata; PDF
scans must really be plain PDFs; limits and clean-up of a failed block."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from gridgov.core import attachments
from gridgov.core.errors import ValidationFailed


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
    with Image.open(kept.path) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
        assert max(stored.size) == attachments.MAX_SIDE
    assert kept.content_type == "image/jpeg" and kept.size == kept.path.stat().st_size


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
