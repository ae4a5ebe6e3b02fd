"""The reporter's access to their report without an account.

The tracking code is the event's public id (Open311 ``service_request_id``): it is listed
in the public feed, so it opens nothing. The reporter gets a secret once, when they report,
and opens the tracking page (timeline, result, photos, rating) with the secret plus a proof
(policy ``events.public``: the last four digits of the phone they gave; a report without
phone needs the secret alone). Refusals are audited.
"""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record, audit_refusals, refusal
from gridgov.core.crypto import decrypt_field, sm3_hex
from gridgov.core.errors import PermissionDenied
from gridgov.core.policies import policy_get
from gridgov.core.scoping import require_in_scope
from gridgov.core.validators import FieldInvalid, normalise_phone
from gridgov.events.models import Event, EventPhoto
from gridgov.events.services import TRACKING_ALPHABET

SECRET_LENGTH = 12  # 31 symbols: about 59 bits


def _digest(secret: str) -> str:
    return sm3_hex(secret.strip().upper().encode())


def issue_secret(event: Event) -> str:
    """A new secret for the reporter, shown to them once; only its digest is kept."""
    secret = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(SECRET_LENGTH))
    Event.objects.filter(pk=event.pk).update(tracking_secret_digest=_digest(secret))
    event.tracking_secret_digest = _digest(secret)
    return secret


def _phone(event: Event) -> str:
    if not event.contact_phone_encrypted:
        return ""
    return decrypt_field(event.contact_phone_encrypted, associated_data=str(event.uid))


def needs_phone_proof(event: Event) -> bool:
    return bool(event.contact_phone_encrypted) and policy_get("events.public").phone_proof


def _refused() -> PermissionDenied:
    # One answer for every way of failing: which part was wrong stays unknown.
    return PermissionDenied(
        _("The tracking code, the access key or the phone digits do not match.")
    )


def open_report(*, code: str, secret: str, proof: str = "") -> tuple[Event, str]:
    """The event whose reporter proved it is theirs, and a new secret when one was issued
    (reports made before secrets existed open with the full phone number given)."""
    event = Event.objects.filter(tracking_code=(code or "").strip().upper()[:12]).first()
    if event is None:
        raise _refused()
    with audit_refusals("events.event.track", actor=None, target=event):
        new_secret = ""
        if event.tracking_secret_digest:
            given = _digest(secret or "")
            if not hmac.compare_digest(given, event.tracking_secret_digest):
                raise refusal(_refused(), "wrong_secret")
            if needs_phone_proof(event):
                digits = "".join(c for c in (proof or "") if c.isdigit())
                if not hmac.compare_digest(digits, _phone(event)[-4:]):
                    raise refusal(_refused(), "wrong_proof")
        else:
            phone = _phone(event)
            try:
                given_phone = normalise_phone(secret or proof or "")
            except FieldInvalid:
                given_phone = ""
            if not phone or not hmac.compare_digest(given_phone, phone):
                raise refusal(_refused(), "wrong_secret")
            new_secret = issue_secret(event)
        with transaction.atomic():
            audit_record("events.event.track", actor=None, target=event)
    return event, new_secret


def refuse_rating(event: Event) -> None:
    """A rating without the reporter's proof: refused, and the attempt audited."""
    with audit_refusals("events.event.rate", actor=None, target=event):
        raise refusal(
            PermissionDenied(_("Only the reporter may rate this report.")), "not_reporter"
        )


def refuse_photo(photo: EventPhoto) -> None:
    with audit_refusals("events.event.photo", actor=None, target=photo.event):
        raise refusal(PermissionDenied(), "not_reporter")


def photo_set_public(*, actor, photo: EventPhoto, public: bool) -> EventPhoto:
    """Staff who dispatch the event decide whether a photo is shown to the public."""
    with audit_refusals("events.photo.publish", actor=actor, target=photo.event):
        require_in_scope(actor, photo.event.scope_path, "events.dispatch")
    with transaction.atomic():
        photo.public = public
        photo.public_by = actor if public else None
        photo.public_at = timezone.now() if public else None
        photo.save(update_fields=["public", "public_by", "public_at"])
        audit_record(
            "events.photo.publish",
            actor=actor,
            target=photo.event,
            changes={"photo": str(photo.uid), "public": public},
        )
    return photo
