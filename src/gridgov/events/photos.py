"""Event photos: the events app's use of ``core.attachments`` (type sniffed from the
content, count and size limited by policy ``events.loop``, re-encoded as JPEG without
metadata). The GPS position the original carried is kept apart on ``EventPhoto``, for
staff only."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core import attachments
from gridgov.core.attachments import written_files
from gridgov.core.policies import policy_get
from gridgov.events.models import EventPhoto

FOLDER = "event_photos"
FIELD = "photos"

__all__ = ["check_uploads", "store_photos", "written_files"]


def check_uploads(files) -> None:
    """Refuse the whole set before anything is stored."""
    loop = policy_get("events.loop")
    attachments.check_uploads(
        files,
        field=FIELD,
        max_files=loop.max_photos,
        max_mb=loop.max_photo_mb,
        too_many=_("At most %(n)d photos."),
    )


def store_photos(event, files, action=None) -> list[EventPhoto]:
    check_uploads(files)
    # All are checked before any is written.
    prepared = [attachments.prepare(upload, field=FIELD) for upload in files]
    stored = []
    for item in prepared:
        photo = EventPhoto(event=event, action=action)
        kept = attachments.write(item, folder=FOLDER, uid=photo.uid)
        photo.stored_path = str(kept.path)
        photo.width, photo.height = kept.width, kept.height
        photo.size = kept.size
        photo.sha256 = kept.sha256
        photo.exif_lon, photo.exif_lat = kept.exif_lon, kept.exif_lat
        photo.save()
        stored.append(photo)
    return stored
