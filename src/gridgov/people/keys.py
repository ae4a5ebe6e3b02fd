"""Field-key rotation: re-encrypt personal fields and recompute blind indexes under the key
that the key file marks active, in batches that each commit on their own (resumable)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import blind_index, keyring
from gridgov.people import privacy
from gridgov.people.models import Resident, ResidentTag


def _stale_residents(active: str):
    prefix = f"{active}:"
    return Resident.objects.filter(
        (Q(id_number_encrypted__gt="") & ~Q(id_number_encrypted__startswith=prefix))
        | (Q(phone_encrypted__gt="") & ~Q(phone_encrypted__startswith=prefix))
    )


def rotate_field_keys(*, batch_size: int = 1000) -> int:
    """Returns the number of residents re-encrypted. Safe to interrupt and run again."""
    active = keyring().active
    rotated = 0
    while True:
        with transaction.atomic():
            batch = list(_stale_residents(active).select_for_update().order_by("pk")[:batch_size])
            if not batch:
                break
            for resident in batch:
                _rotate_resident(resident)
            Resident.objects.bulk_update(
                batch,
                [
                    "id_number_encrypted",
                    "id_number_index",
                    "phone_encrypted",
                    "phone_index",
                    "import_key",
                ],
            )
            rotated += len(batch)
    prefix = f"{active}:"
    with transaction.atomic():
        for tag in (
            ResidentTag.objects.filter(detail_encrypted__gt="")
            .exclude(detail_encrypted__startswith=prefix)
            .select_related("resident", "category")
        ):
            key = f"{tag.resident.uid}/{tag.category.code}"
            tag.detail_encrypted = privacy.encrypt_tag_detail(
                key, privacy.decrypt_tag_detail(key, tag.detail_encrypted)
            )
            tag.save(update_fields=["detail_encrypted"])
        audit_record(
            "people.keys.rotate",
            actor=SystemActor("key-rotation"),
            changes={"active_key": active, "residents": rotated},
        )
    return rotated


def _rotate_resident(resident: Resident) -> None:
    if resident.id_number_encrypted:
        number = privacy.reveal_id_number(resident)
        protected = privacy.protect_id_number(resident.uid, number)
        resident.id_number_encrypted = protected.encrypted
        if resident.id_number_index is not None:
            resident.id_number_index = protected.index
        if resident.import_key:
            resident.import_key = blind_index(number, purpose="import_key")
    if resident.phone_encrypted:
        phone = privacy.reveal_phone(resident)
        protected = privacy.protect_phone(resident.uid, phone)
        resident.phone_encrypted = protected.encrypted
        resident.phone_index = protected.index
