"""Event photos: type sniffed from the content, size and count limited, re-encoded as
JPEG without metadata (so no copy leaks where it was taken); the GPS position the
original carried is kept apart, for staff only."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gridgov.core.errors import ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.events.models import EventPhoto

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
MAX_SIDE = 2048
MAX_PIXELS = 40_000_000
GPS_IFD = 0x8825


def photo_dir() -> Path:
    path = Path(settings.DATA_DIR) / "event_photos"
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def check_uploads(files) -> None:
    """Refuse the whole set before anything is stored."""
    loop = policy_get("events.loop")
    if len(files) > loop.max_photos:
        raise ValidationFailed(
            details={"photos": [_("At most %(n)d photos.") % {"n": loop.max_photos}]}
        )
    for upload in files:
        if upload.size > loop.max_photo_mb * 1024 * 1024:
            raise ValidationFailed(
                details={
                    "photos": [
                        _("%(name)s is larger than %(mb)d MB.")
                        % {"name": upload.name, "mb": loop.max_photo_mb}
                    ]
                }
            )


def _decode(upload) -> Image.Image:
    try:
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
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(
            details={
                "photos": [
                    _("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": upload.name}
                ]
            }
        ) from None


@contextmanager
def written_files():
    """Collects the photo files written inside the block and deletes them if the block
    fails (the database rows roll back; the files must not stay behind)."""
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


_written: ContextVar[list[Path] | None] = ContextVar("written_photo_files", default=None)


def store_photos(event, files, action=None) -> list[EventPhoto]:
    check_uploads(files)
    decoded = [_decode(upload) for upload in files]  # all checked before any is written
    stored = []
    for image in decoded:
        lon, lat = _gps(image)
        clean = ImageOps.exif_transpose(image).convert("RGB")
        clean.thumbnail((MAX_SIDE, MAX_SIDE))
        photo = EventPhoto(event=event, action=action, exif_lon=lon, exif_lat=lat)
        path = photo_dir() / f"{photo.uid}.jpg"
        clean.save(path, "JPEG", quality=85, optimize=True)  # no exif= → no metadata
        written = _written.get()
        if written is not None:
            written.append(path)
        data = path.read_bytes()
        photo.stored_path = str(path)
        photo.width, photo.height = clean.size
        photo.size = len(data)
        photo.sha256 = hashlib.sha256(data).hexdigest()
        photo.save()
        stored.append(photo)
    return stored
