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

__all__ = ["check_uploads", "photo_content", "store_photos", "written_files"]


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


def photo_content(*, actor, photo: EventPhoto) -> bytes:
    """The bytes of an event photo for staff who may see the event. A photo can show people,
    number plates and homes as they are, so each opening is audited (a damaged file as a
    failed opening) — the public tracking page serves only photos made public."""
    from django.db import transaction

    from gridgov.audit.services import audit_record

    def opened(outcome: str) -> None:
        with transaction.atomic():
            audit_record(
                "events.photo.view",
                actor=actor,
                target_type="events.eventphoto",
                target_id=str(photo.uid),
                org_unit_path=photo.event.scope_path,
                changes={"event": str(photo.event.uid)},
                outcome=outcome,
            )

    try:
        data = attachments.read(photo.stored_path, sha256=photo.sha256)
    except attachments.AttachmentDamaged:
        opened("fail")
        raise
    opened("success")
    return data
