"""Privacy rules of the registry: who sees minors and sensitive tags, encryption of
personal fields, masking, and the registry of personal-data fields (PIPL, GB/T 35273)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from gridgov.core.crypto import blind_index, decrypt_field, encrypt_field
from gridgov.core.masking import mask_birth_date, mask_id_number, mask_phone
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_filter, path_in_scope


def _actor_roles(actor) -> set[str]:
    return set(getattr(actor, "roles", set()) or set())


def minor_cutoff(today: date | None = None) -> date:
    """People born after this date are minors under the visibility policy."""
    today = today or date.today()
    age = policy_get("people.visibility").minor_age
    try:
        return today.replace(year=today.year - age)
    except ValueError:  # 29 February
        return today.replace(year=today.year - age, day=28)


def actor_sees_minors(actor) -> bool:
    return bool(_actor_roles(actor) & set(policy_get("people.visibility").minors_roles))


def actor_sees_sensitive_tags(actor) -> bool:
    return bool(_actor_roles(actor) & set(policy_get("people.visibility").sensitive_tag_roles))


def minors_hidden_filter(actor) -> Q | None:
    if actor_sees_minors(actor):
        return None
    return Q(birth_date__lte=minor_cutoff())


def sensitive_tags_hidden_filter(actor) -> Q | None:
    if actor_sees_sensitive_tags(actor):
        return None
    return Q(category__sensitivity="normal")


def actor_sees_birth_date(actor, resident) -> bool:
    """The full birth date is eight digits of the ID number: only roles that may reveal
    the number see it; the others see the birth year (docs/registry.md, threat model)."""
    return path_in_scope(actor, resident.scope_path, "people.reveal")


def birth_date_for(actor, resident) -> str:
    """The birth date as this actor may see it: ``1949-12-31`` or ``1949``."""
    if resident.birth_date is None:
        return ""
    if actor_sees_birth_date(actor, resident):
        return resident.birth_date.isoformat()
    return mask_birth_date(resident.birth_date)


def reveal_scope_filter(actor, field: str = "scope_path") -> Q | None:
    """Residents whose full ID number the actor may reveal (and so search by its last
    digits), or None."""
    return path_filter(actor, "people.reveal", field)


# Encrypted fields --------------------------------------------------------------


def _aad(uid, column: str) -> str:
    return f"people.resident/{column}/{uid}"


@dataclass(frozen=True)
class ProtectedValue:
    encrypted: str
    index: str
    masked: str
    last4: str


def protect_id_number(uid, number: str) -> ProtectedValue:
    return ProtectedValue(
        encrypt_field(number, associated_data=_aad(uid, "id_number")),
        blind_index(number, purpose="id_number"),
        mask_id_number(number),
        number[-4:],
    )


def protect_phone(uid, phone: str) -> ProtectedValue:
    digits = phone.replace("-", "")
    return ProtectedValue(
        encrypt_field(phone, associated_data=_aad(uid, "phone")),
        blind_index(digits, purpose="phone"),
        mask_phone(digits) if len(digits) == 11 else digits[:4] + "****" + digits[-2:],
        digits[-4:],
    )


def reveal_id_number(resident) -> str:
    return decrypt_field(
        resident.id_number_encrypted, associated_data=_aad(resident.uid, "id_number")
    )


def reveal_phone(resident) -> str:
    return decrypt_field(resident.phone_encrypted, associated_data=_aad(resident.uid, "phone"))


def encrypt_tag_detail(tag_uid_key: str, detail: str) -> str:
    return encrypt_field(detail, associated_data=f"people.residenttag/detail/{tag_uid_key}")


def decrypt_tag_detail(tag_uid_key: str, value: str) -> str:
    return decrypt_field(value, associated_data=f"people.residenttag/detail/{tag_uid_key}")


# Registry of personal-data fields (PIPL art. 51; GB/T 35273 §11) ---------------------


@dataclass(frozen=True)
class PersonalField:
    category: str  # 基本信息, 身份信息, 联系方式, 健康生理, 社会保障 …
    sensitive: bool  # PIPL art. 28 sensitive personal information
    purpose: str
    legal_basis: str  # "statutory_duty" or "consent"
    retention: str
    impact_assessment: str = ""  # PIA reference, required for sensitive fields


_DUTY = "statutory_duty"
_RETAIN = "while resident, then the people.retention policy"
PIA = "PIA-2026-001 一户一档个人信息保护影响评估"

PERSONAL_FIELDS: dict[str, PersonalField] = {
    "people.Resident.name": PersonalField("基本信息", False, "registry", _DUTY, _RETAIN),
    "people.Resident.name_initials": PersonalField("基本信息", False, "search", _DUTY, _RETAIN),
    "people.Resident.sex": PersonalField("基本信息", False, "registry", _DUTY, _RETAIN),
    "people.Resident.birth_date": PersonalField("基本信息", False, "registry", _DUTY, _RETAIN),
    "people.Resident.ethnicity": PersonalField("基本信息", True, "registry", _DUTY, _RETAIN, PIA),
    "people.Resident.id_type": PersonalField("身份信息", False, "registry", _DUTY, _RETAIN),
    "people.Resident.id_number_encrypted": PersonalField(
        "身份信息", True, "registry", _DUTY, _RETAIN, PIA
    ),
    "people.Resident.id_number_index": PersonalField(
        "身份信息", True, "dedup", _DUTY, _RETAIN, PIA
    ),
    "people.Resident.id_number_masked": PersonalField("身份信息", False, "display", _DUTY, _RETAIN),
    "people.Resident.id_last4": PersonalField("身份信息", False, "search", _DUTY, _RETAIN),
    "people.Resident.phone_encrypted": PersonalField("联系方式", False, "registry", _DUTY, _RETAIN),
    "people.Resident.phone_index": PersonalField("联系方式", False, "dedup", _DUTY, _RETAIN),
    "people.Resident.phone_masked": PersonalField("联系方式", False, "display", _DUTY, _RETAIN),
    "people.Resident.phone_last4": PersonalField("联系方式", False, "search", _DUTY, _RETAIN),
    "people.Resident.relation": PersonalField("家庭关系", False, "registry", _DUTY, _RETAIN),
    "people.Resident.registration": PersonalField("户籍信息", False, "registry", _DUTY, _RETAIN),
    "people.Resident.residence": PersonalField("居住信息", False, "registry", _DUTY, _RETAIN),
    "people.Resident.occupation": PersonalField("职业信息", False, "services", _DUTY, _RETAIN),
    "people.Resident.education": PersonalField("教育信息", False, "services", _DUTY, _RETAIN),
    "people.Household.address": PersonalField("居住信息", False, "registry", _DUTY, _RETAIN),
    "people.Household.number": PersonalField("居住信息", False, "registry", _DUTY, _RETAIN),
    "people.ResidentTag.category": PersonalField(
        "特殊人群", True, "care services", _DUTY, _RETAIN, PIA
    ),
    "people.ResidentTag.detail_encrypted": PersonalField(
        "健康生理", True, "care services", "consent", _RETAIN, PIA
    ),
    "people.ResidentTag.source": PersonalField("特殊人群", False, "care services", _DUTY, _RETAIN),
    "people.Consent.purpose": PersonalField(
        "同意记录", False, "consent record", "consent", "3 years after withdrawal"
    ),
    "people.ResidentHistory.changes": PersonalField(
        "变更记录", False, "accountability", _DUTY, _RETAIN
    ),
}

# Models of the people app that hold no personal data (catalogues, job bookkeeping).
NON_PERSONAL_MODELS = {"TagCategory", "ImportJob", "ColumnMapping"}
# Columns of the people app that hold no personal data (technical or organisational).
NON_PERSONAL_FIELDS = {
    "id",
    "uid",
    "household",
    "resident",
    "scope_path",
    "grid",
    "room",
    "kind",
    "status",
    "version",
    "created_at",
    "updated_at",
    "archived_at",
    "verified_at",
    "anonymised_at",
    "import_key",
    "import_job",
    "valid_from",
    "valid_to",
    "set_by",
    "notice_version",
    "method",
    "collector",
    "given_at",
    "withdrawn_at",
    "action",
    "actor_name",
    "other",
    "reason",
    "decided_by",
}
