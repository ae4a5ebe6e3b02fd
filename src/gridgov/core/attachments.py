"""Uploaded files (event photos, visit scans and photos): the one place that decides what
an upload is and how it is kept (DESIGN.md "Shared mechanisms").

- The type is sniffed from the content, never taken from the name or the browser.
- Count and size are checked for the whole set before anything is decoded or written; the
  limits are the caller's policy.
- Photos (JPEG, PNG, WebP, GIF, BMP) are decoded, turned upright, shrunk to ``MAX_SIDE``
  and re-encoded as JPEG without metadata, so no copy leaks where or with what it was
  taken; the GPS position the original carried is returned apart, for the caller to keep
  or drop.
- PDF scans (where the caller accepts them) must open as a PDF, unencrypted, with pages,
  within the page limit and without scripts, launch actions or embedded files; they are
  kept byte for byte.
- Files go under ``DATA_DIR/<folder>`` (never a public media URL; each app serves them
  through a scoped view). ``written_files()`` deletes the files a failed block wrote.
- Files are encrypted at rest (SECURITY.md E2, E4): SM4-GCM under the active field key
  (``core.crypto.encrypt_file``), the key id in the file's header, the associated data
  ``<folder>/<name>``. ``read()`` is the one way back: it decrypts, checks the plain bytes
  against the SHA-256 the row keeps and refuses anything altered (``AttachmentDamaged``).
  A file written before encryption (no marker, starts as a JPEG or PDF) is read if its
  SHA-256 matches; ``encrypt_stored()`` (``manage.py attachments_encrypt``) encrypts
  those and re-encrypts files under an older key after a key rotation.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from gridgov.core import crypto
from gridgov.core.errors import GridGovError, NotFound, ValidationFailed

logger = logging.getLogger("gridgov.attachments")

IMAGE = "image"
PDF = "pdf"
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
MAX_SIDE = 2048
MAX_PIXELS = 40_000_000
GPS_IFD = 0x8825
JPEG_QUALITY = 85
CONTENT_TYPES = {IMAGE: "image/jpeg", PDF: "application/pdf"}
# Names in a PDF's catalogue or pages that run something or carry other files.
ACTIVE_PDF_KEYS = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/OpenAction", "/AA")


class AttachmentDamaged(GridGovError):
    """A stored file failed its integrity check (altered, cut short, moved onto another
    row, or encrypted with a key the key file no longer holds); it is not served."""

    code = "attachment_damaged"
    status = 500
    default_message = gettext_lazy(
        "This file failed its integrity check: it was altered or damaged after it was "
        "stored, so it is not shown. Ask the system administrator to restore it from a backup."
    )


@dataclass
class Prepared:
    """An upload that passed every check, ready to be written."""

    kind: str  # IMAGE or PDF
    image: Image.Image | None = None
    data: bytes = b""
    pages: int | None = None
    exif_lon: float | None = None
    exif_lat: float | None = None


@dataclass
class Stored:
    """What was written: where, as what, and its fingerprint."""

    path: Path
    kind: str
    content_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    exif_lon: float | None = None
    exif_lat: float | None = None


def media_dir(folder: str) -> Path:
    path = Path(settings.DATA_DIR) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(upload) -> str | None:
    """IMAGE, PDF or None from the first bytes (the name and the browser's type are not
    trusted)."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    signatures = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")
    if head.startswith(signatures) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return IMAGE
    return None


def check_uploads(
    files: Sequence,
    *,
    field: str,
    max_files: int,
    max_mb: int,
    max_pdf_mb: int | None = None,
    too_many: str | None = None,
) -> None:
    """Count and size of the whole set, before anything is decoded or stored. A PDF (when
    ``max_pdf_mb`` is given) has its own size limit."""
    if len(files) > max_files:
        message = too_many or _("At most %(n)d files.")
        raise ValidationFailed(details={field: [message % {"n": max_files}]})
    for upload in files:
        limit = max_mb
        if max_pdf_mb is not None and sniff(upload) == PDF:
            limit = max_pdf_mb
        if upload.size > limit * 1024 * 1024:
            raise ValidationFailed(
                details={
                    field: [
                        _("%(name)s is larger than %(mb)d MB.") % {"name": upload.name, "mb": limit}
                    ]
                }
            )


def _gps(image: Image.Image) -> tuple[float | None, float | None]:
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except (AttributeError, KeyError, ValueError):
        return None, None
    try:

        def degrees(values, ref):
            d, m, s = (float(v) for v in values)
            value = d + m / 60 + s / 3600
            return -value if ref in ("S", "W") else value

        return degrees(gps[4], gps.get(3, "E")), degrees(gps[2], gps.get(1, "N"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None


def _decode_image(upload) -> Image.Image:
    """The decoded image, or an error for anything that is not one (or is too big)."""
    upload.seek(0)
    with Image.open(upload) as probe:
        if probe.format not in ACCEPTED_FORMATS:
            raise UnidentifiedImageError(probe.format)
        if probe.width * probe.height > MAX_PIXELS:
            raise UnidentifiedImageError("too many pixels")
        probe.verify()
    upload.seek(0)
    image = Image.open(upload)
    image.load()
    return image


def _check_pdf(upload, *, field: str, max_pages: int) -> tuple[bytes, int]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    upload.seek(0)
    data = upload.read()
    name = upload.name
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationFailed(
                details={field: [_("%(name)s is a locked (encrypted) PDF.") % {"name": name}]}
            )
        pages = len(reader.pages)
        catalogue = reader.trailer["/Root"]
        active = any(key in catalogue for key in ACTIVE_PDF_KEYS)
        names = catalogue.get("/Names")
        if names is not None:
            names = names.get_object()
            active = active or any(key in names for key in ("/JavaScript", "/EmbeddedFiles"))
        if pages <= max_pages:
            active = active or any(
                key in page for page in reader.pages for key in ("/AA", "/JS", "/Launch")
            )
    except ValidationFailed:
        raise
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, OSError, RecursionError):
        raise ValidationFailed(
            details={field: [_("%(name)s is not a readable PDF.") % {"name": name}]}
        ) from None
    if pages < 1:
        raise ValidationFailed(details={field: [_("%(name)s has no pages.") % {"name": name}]})
    if pages > max_pages:
        raise ValidationFailed(
            details={
                field: [_("%(name)s has more than %(n)d pages.") % {"name": name, "n": max_pages}]
            }
        )
    if active:
        raise ValidationFailed(
            details={
                field: [
                    _("%(name)s holds scripts or embedded files; scan the paper to a plain PDF.")
                    % {"name": name}
                ]
            }
        )
    return data, pages


def prepare(
    upload,
    *,
    field: str,
    accept_pdf: bool = False,
    max_pdf_pages: int = 0,
    not_accepted: str | None = None,
) -> Prepared:
    """Check one upload completely (nothing is written): a photo is decoded, a PDF is
    opened and inspected. ``not_accepted`` is the message for anything else."""
    name = upload.name
    if accept_pdf and sniff(upload) == PDF:
        data, pages = _check_pdf(upload, field=field, max_pages=max_pdf_pages)
        return Prepared(kind=PDF, data=data, pages=pages)
    try:
        image = _decode_image(upload)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        if not_accepted is None:
            not_accepted = (
                _("%(name)s is neither a photo (JPEG, PNG or WebP) nor a PDF scan.")
                if accept_pdf
                else _("%(name)s is not a photo (JPEG, PNG or WebP).")
            )
        raise ValidationFailed(details={field: [not_accepted % {"name": name}]}) from None
    lon, lat = _gps(image)
    return Prepared(kind=IMAGE, image=image, exif_lon=lon, exif_lat=lat)


def write(prepared: Prepared, *, folder: str, uid: uuid.UUID) -> Stored:
    """Write a prepared upload, encrypted, as ``<uid>.jpg`` or ``<uid>.pdf`` (recorded for
    ``written_files``). Size and SHA-256 are those of the plain file."""
    if prepared.kind == IMAGE:
        clean = ImageOps.exif_transpose(prepared.image).convert("RGB")
        clean.thumbnail((MAX_SIDE, MAX_SIDE))
        buffer = io.BytesIO()
        clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= → no metadata
        data = buffer.getvalue()
        path = media_dir(folder) / f"{uid}.jpg"
        width, height = clean.size
    else:
        data = prepared.data
        path = media_dir(folder) / f"{uid}.pdf"
        width = height = None
    _remember(path)
    _store(path, data)
    return Stored(
        path=path,
        kind=prepared.kind,
        content_type=CONTENT_TYPES[prepared.kind],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        pages=prepared.pages,
        exif_lon=prepared.exif_lon,
        exif_lat=prepared.exif_lat,
    )


def write_blob(data: bytes, *, folder: str, uid: uuid.UUID) -> Path:
    """Keep bytes that are neither photo nor scan (a chat export) as ``<uid>.bin``, encrypted
    like every stored file (recorded for ``written_files``); ``read()`` gives them back."""
    path = media_dir(folder) / f"{uid}.bin"
    _remember(path)
    _store(path, data)
    return path


def delete_blob(path: Path | str) -> None:
    """Delete a stored file at the end of its retention (gone already is fine)."""
    Path(path).unlink(missing_ok=True)


def _associated_data(path: Path) -> str:
    # Folder and name, not the full path: DATA_DIR may move (a restore elsewhere).
    return f"attachment:{path.parent.name}/{path.name}"


def _store(path: Path, data: bytes) -> None:
    """Encrypt and write through a temporary file, so a crash leaves the old file or the
    new one, never half of either."""
    blob = crypto.encrypt_file(data, associated_data=_associated_data(path))
    partial = path.with_name(f"{path.name}.part")
    try:
        partial.write_bytes(blob)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _plain_legacy(blob: bytes) -> bool:
    return blob.startswith((b"\xff\xd8\xff", b"%PDF-"))


def read(path: Path | str, *, sha256: str) -> bytes:
    """The plain bytes of a stored file, for the scoped views that serve it (they audit
    the opening as before). ``sha256`` is the fingerprint its row keeps. A missing file is
    ``NotFound``; an altered one is ``AttachmentDamaged`` (logged, never served)."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise NotFound() from None
    if crypto.file_key_id(blob) is not None:
        try:
            data = crypto.decrypt_file(blob, associated_data=_associated_data(path))
        except crypto.DecryptionFailed as exc:
            logger.error("stored file %s/%s refused: %s", path.parent.name, path.name, exc)
            raise AttachmentDamaged() from None
    elif _plain_legacy(blob):
        data = blob  # kept before encryption at rest; attachments_encrypt encrypts it
    else:
        logger.error("stored file %s/%s refused: unknown format", path.parent.name, path.name)
        raise AttachmentDamaged()
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.error("stored file %s/%s refused: fingerprint differs", path.parent.name, path.name)
        raise AttachmentDamaged()
    return data


STORED_NAME = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.(jpg|pdf|bin)$")


@dataclass
class EncryptReport:
    encrypted: int = 0  # plain files kept before encryption at rest
    reencrypted: int = 0  # files under another key than the active one
    current: int = 0  # already under the active key
    refused: list[str] | None = None  # files neither plain nor readable: left as they are


def encrypt_stored(folders: Sequence[str]) -> EncryptReport:
    """Encrypt the plain files in ``DATA_DIR/<folder>`` and re-encrypt those under an
    older key with the active one (after a key rotation). Each file is replaced whole;
    safe to interrupt and run again. A file that does not decrypt is reported, not
    touched (restore it from a backup)."""
    active = crypto.keyring().active
    report = EncryptReport(refused=[])
    for folder in folders:
        directory = Path(settings.DATA_DIR) / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if not STORED_NAME.match(path.name) or not path.is_file():
                continue
            blob = path.read_bytes()
            key_id = crypto.file_key_id(blob)
            if key_id == active:
                report.current += 1
                continue
            if key_id is None:
                if not _plain_legacy(blob):
                    report.refused.append(f"{folder}/{path.name}")
                    continue
                _store(path, blob)
                report.encrypted += 1
                continue
            try:
                data = crypto.decrypt_file(blob, associated_data=_associated_data(path))
            except crypto.DecryptionFailed:
                report.refused.append(f"{folder}/{path.name}")
                continue
            _store(path, data)
            report.reencrypted += 1
    return report


_written: ContextVar[list[Path] | None] = ContextVar("written_attachment_files", default=None)


def _remember(path: Path) -> None:
    written = _written.get()
    if written is not None:
        written.append(path)


@contextmanager
def written_files() -> Iterator[None]:
    """Collects the files written inside the block and deletes them if the block fails
    (the database rows roll back; the files must not stay behind)."""
    paths: list[Path] = []
    token = _written.set(paths)
    try:
        yield
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
    finally:
        _written.reset(token)
