"""Writes of the registry. Every write checks scope, validates, keeps history and audits."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from pypinyin import Style, lazy_pinyin

from gridgov.accounts.access_limits import reveal_note
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import blind_indexes
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import require_in_scope
from gridgov.core.text import text_problem, too_long_message
from gridgov.org.models import OrgUnit
from gridgov.people import privacy
from gridgov.people.models import (
    Consent,
    DuplicateCandidate,
    Household,
    Resident,
    ResidentHistory,
    ResidentTag,
    TagCategory,
)
from gridgov.people.validation import (
    FieldInvalid,
    clean_text,
    normalise_other_id,
    normalise_phone,
    parse_choice,
    parse_date,
    parse_name,
    parse_relation,
    parse_resident_id,
)

R = Resident


def name_initials(name: str) -> str:
    """Pinyin initials for search: 张三 → zs."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()[:50]


# Validation --------------------------------------------------------------------

# What each field is called to the person reading a message or report, in their language.
FIELD_LABELS = {
    "name": pgettext_lazy("person", "name"),
    "sex": gettext_lazy("sex"),
    "birth_date": gettext_lazy("birth date"),
    "ethnicity": gettext_lazy("ethnicity"),
    "id_type": gettext_lazy("ID type"),
    "id_number": gettext_lazy("ID number"),
    "phone": gettext_lazy("phone"),
    "relation": gettext_lazy("relation to head"),
    "registration": gettext_lazy("registration status"),
    "residence": gettext_lazy("residence status"),
    "occupation": gettext_lazy("occupation"),
    "education": gettext_lazy("education"),
}


# The oldest birth date on record; an earlier one is a typing or conversion error.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_LENGTHS = {"name": 50, "ethnicity": 20, "id_number": 40, "phone": 30}


def _raw_problem(raw: Any, field: str, *, strict: bool) -> str | None:
    """Why a submitted value cannot be read as this field at all: not text (``strict``:
    JSON numbers, lists and objects are not guessed at; a file's cells may be numbers and
    dates), or text that cannot be stored."""
    allowed = (str, date) if strict else (str, date, int, float)
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, allowed)):
        return _("Enter text.")
    return text_problem(raw, max_length=MAX_LENGTHS.get(field))


def clean_resident(
    data: dict[str, Any], *, purpose: str = "registry", partial: bool = False, strict: bool = True
):
    """Validate and normalise resident fields. Returns (clean values, errors by field).

    Fields outside the purpose's list are refused (minimum necessary); the ID number
    fills or checks birth date and sex. ``strict`` (forms and the API): every value is a
    string; imports pass their cells' numbers and dates as they are.
    """
    purposes = policy_get("people.collection").purposes
    allowed = set(purposes.get(purpose, []))
    errors: dict[str, list[str]] = {}
    if purpose not in purposes:
        return {}, {"purpose": [_("Unknown collection purpose %(p)s.") % {"p": purpose}]}
    for key in data:
        if key not in allowed:
            errors.setdefault(key, []).append(
                _("This field may not be collected for the purpose “%(p)s”.") % {"p": purpose}
            )
    values: dict[str, Any] = {}

    problems = {f: _raw_problem(data[f], f, strict=strict) for f in data if f in allowed}
    refused = {f for f, problem in problems.items() if problem is not None}
    for field in refused:
        errors.setdefault(field, []).append(problems[field])

    def run(field: str, func, *args, required: bool = True, **kwargs):
        raw = data.get(field)
        if field in refused:
            return
        if raw is None or clean_text(raw) == "":
            if required and not partial:
                errors.setdefault(field, []).append(_("This field is required."))
            return
        try:
            values[field] = func(raw, *args, **kwargs)
        except FieldInvalid as exc:
            errors.setdefault(field, []).append(exc.message)

    present = [f for f in FIELD_LABELS if f in data and f in allowed]
    if "name" in allowed:
        run("name", parse_name)
    if "relation" in allowed:
        run("relation", parse_relation, R.Relation.choices, field_label=FIELD_LABELS["relation"])
    for field, choices in [
        ("sex", R.Sex.choices),
        ("registration", R.Registration.choices),
        ("id_type", R.IdType.choices),
    ]:
        if field in allowed:
            run(
                field,
                parse_choice,
                choices,
                field_label=FIELD_LABELS[field],
                # sex may come from the ID number; checked below
                required=field != "sex" and purpose == "registry",
            )
    for field, choices in [
        ("residence", R.Residence.choices),
        ("occupation", R.Occupation.choices),
        ("education", R.Education.choices),
    ]:
        if field in present:
            run(field, parse_choice, choices, field_label=FIELD_LABELS[field], required=False)
    if "ethnicity" in present and "ethnicity" not in refused:
        values["ethnicity"] = clean_text(data["ethnicity"])
    if "birth_date" in allowed:
        run("birth_date", parse_date, required=False)
    if "phone" in present:
        run("phone", normalise_phone, required=False)
    id_type = values.get("id_type", R.IdType.RESIDENT_ID if "id_number" in present else None)
    if "id_number" in present and "id_number" not in refused and clean_text(data["id_number"]):
        if id_type == R.IdType.RESIDENT_ID:
            try:
                parsed = parse_resident_id(data["id_number"])
            except FieldInvalid as exc:
                errors.setdefault("id_number", []).append(exc.message)
            else:
                values["id_number"] = parsed.number
                values.setdefault("birth_date", parsed.birth_date)
                if values["birth_date"] != parsed.birth_date:
                    errors.setdefault("birth_date", []).append(
                        _("The birth date differs from the one in the ID number.")
                    )
                values.setdefault("sex", parsed.sex)
                if values["sex"] != parsed.sex:
                    errors.setdefault("sex", []).append(
                        _("The sex differs from the one in the ID number (17th digit).")
                    )
        elif id_type == R.IdType.NONE:
            errors.setdefault("id_number", []).append(_("ID type “none” takes no number."))
        else:
            run("id_number", normalise_other_id)
    for field in ("birth_date", "sex"):  # may come from the ID number
        if not partial and field in allowed and field not in values and field not in errors:
            errors.setdefault(field, []).append(_("This field is required."))
    if "birth_date" in values and values["birth_date"] > date.today():
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    elif "birth_date" in values and values["birth_date"] < EARLIEST_BIRTH_DATE:
        errors.setdefault("birth_date", []).append(
            _("The birth date is before %(d)s.") % {"d": EARLIEST_BIRTH_DATE.isoformat()}
        )
    return values, errors


def apply_values(resident: Resident, values: dict[str, Any]) -> dict[str, Any]:
    """Set cleaned values on the resident; returns the masked before/after of each change."""
    changes: dict[str, Any] = {}
    for field, value in values.items():
        if field == "id_number":
            protected = privacy.protect_id_number(resident.uid, value)
            if protected.index != resident.id_number_index:
                changes["id_number"] = [resident.id_number_masked, protected.masked]
                resident.id_number_encrypted = protected.encrypted
                resident.id_number_index = protected.index
                resident.id_number_masked = protected.masked
                resident.id_last4 = protected.last4
        elif field == "phone":
            protected = privacy.protect_phone(resident.uid, value)
            if protected.index != resident.phone_index:
                changes["phone"] = [resident.phone_masked, protected.masked]
                resident.phone_encrypted = protected.encrypted
                resident.phone_index = protected.index
                resident.phone_masked = protected.masked
                resident.phone_last4 = protected.last4
        else:
            old = getattr(resident, field)
            if old != value:
                changes[field] = [str(old) if old is not None else "", str(value)]
                setattr(resident, field, value)
    if "name" in changes:
        resident.name_initials = name_initials(resident.name)
    return changes


def _history(resident: Resident, action: str, changes: dict, actor) -> None:
    name = actor.name if isinstance(actor, SystemActor) else actor.get_username()
    ResidentHistory.objects.create(
        resident=resident,
        version=resident.version,
        action=action,
        changes=changes,
        actor_name=f"system:{name}" if isinstance(actor, SystemActor) else name,
    )


def _refuse_duplicate_id(resident: Resident, number: str | None) -> None:
    """Exact duplicates by ID (under every key, in case a key rotation is under way)."""
    if (
        number
        and Resident.objects.filter(id_number_index__in=blind_indexes(number, purpose="id_number"))
        .exclude(pk=resident.pk)
        .exists()
    ):
        raise ValidationFailed(
            _("This ID number is already registered."),
            code="duplicate_id",
            details={"id_number": [_("This ID number is already registered.")]},
        )


def _community_path(scope_path: str) -> str:
    """``…/community/grid/`` → ``…/community/``."""
    return "/".join(scope_path.rstrip("/").split("/")[:-1]) + "/"


def _flag_duplicates(resident: Resident) -> int:
    """Same phone and name in the same community, or a near-identical name with the same
    birth date in the same household. Kept within one community so that the reviewer
    (community staff) sees nothing outside their scope."""
    community = _community_path(resident.scope_path)
    flagged = 0
    candidates = []
    if resident.phone_index:
        candidates += [
            (o, DuplicateCandidate.Reason.PHONE_AND_NAME)
            for o in Resident.objects.active()
            .filter(
                phone_index=resident.phone_index,
                name=resident.name,
                scope_path__startswith=community,
            )
            .exclude(pk=resident.pk)
        ]
    for other in (
        Resident.objects.active().filter(household_id=resident.household_id).exclude(pk=resident.pk)
    ):
        if other.birth_date == resident.birth_date and _names_close(other.name, resident.name):
            candidates.append((other, DuplicateCandidate.Reason.SIMILAR_NAME_SAME_ADDRESS))
    for other, reason in candidates:
        _created = DuplicateCandidate.objects.get_or_create(
            resident=resident,
            other=other,
            defaults={"reason": reason, "scope_path": community},
        )[1]
        flagged += int(_created)
    return flagged


def _names_close(a: str, b: str) -> bool:
    """Equal, or one character different / missing, or the same pinyin (同音字)."""
    if a == b:
        return True
    if "".join(lazy_pinyin(a)) == "".join(lazy_pinyin(b)):
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = sorted([a, b], key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# Households ----------------------------------------------------------------------


HOUSEHOLD_LENGTHS = {"number": 32, "address": 200}


def _household_text_errors(**texts: str) -> dict[str, list[str]]:
    """Household fields that cannot be stored as given (a forbidden character, too long)."""
    errors = {}
    for field, text in texts.items():
        problem = text_problem(text, max_length=HOUSEHOLD_LENGTHS[field])
        if problem is None and len(clean_text(text)) > HOUSEHOLD_LENGTHS[field]:
            problem = too_long_message(HOUSEHOLD_LENGTHS[field], len(clean_text(text)))
        if problem is not None:
            errors[field] = [problem]
    return errors


def household_create(*, actor, grid: OrgUnit, number: str, address: str, kind: str) -> Household:
    require_in_scope(actor, grid.path, "people.change")
    errors = _household_text_errors(number=number, address=address)
    number, address = clean_text(number), clean_text(address)
    if grid.level != OrgUnit.Level.GRID:
        errors["grid"] = [_("Choose a grid.")]
    if "number" in errors:
        pass
    elif not number:
        errors["number"] = [_("This field is required.")]
    elif Household.objects.filter(grid=grid, number=number).exists():
        errors["number"] = [_("This household number is already used in this grid.")]
    if not address:
        errors.setdefault("address", [_("This field is required.")])
    if kind not in Household.Kind.values:
        errors["kind"] = [_("Choose a household type.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        household = Household.objects.create(
            grid=grid, scope_path=grid.path, number=number, address=address, kind=kind
        )
        audit_record(
            "people.household.create",
            actor=actor,
            target=household,
            changes={"number": number, "grid": grid.code},
        )
    return household


def household_update(
    *, actor, household: Household, address: str, kind: str, status: str
) -> Household:
    require_in_scope(actor, household.scope_path, "people.change")
    errors = _household_text_errors(address=address)
    address = clean_text(address)
    if not address:
        errors.setdefault("address", [_("This field is required.")])
    if kind not in Household.Kind.values:
        errors["kind"] = [_("Choose a household type.")]
    if status not in Household.Status.values:
        errors["status"] = [_("Choose a status.")]
    if errors:
        raise ValidationFailed(details=errors)
    before = {"address": household.address, "kind": household.kind, "status": household.status}
    with transaction.atomic():
        household.address, household.kind, household.status = address, kind, status
        household.version += 1
        household.save()
        audit_record(
            "people.household.update",
            actor=actor,
            target=household,
            changes={
                "before": before,
                "after": {"address": address, "kind": kind, "status": status},
            },
        )
        if status == Household.Status.MOVED_OUT and before["status"] != status:
            # The household's open needs end (已失效) and its orders in hand are cancelled.
            from gridgov.lists.services import needs_close_for_registry

            needs_close_for_registry(actor=actor, household=household)
    return household


# Residents -----------------------------------------------------------------------


def resident_create(
    *, actor, household: Household, data: dict[str, Any], purpose: str = "registry"
) -> Resident:
    require_in_scope(actor, household.scope_path, "people.change")
    values, errors = clean_resident(data, purpose=purpose)
    if errors:
        raise ValidationFailed(details=errors)
    resident = Resident(
        household=household,
        scope_path=household.scope_path,
        uid=uuid.uuid4(),
        id_type=values.get("id_type", R.IdType.NONE),
        registration=values.get("registration", R.Registration.PERMANENT),
    )
    changes = apply_values(resident, values)
    with transaction.atomic():
        _refuse_duplicate_id(resident, values.get("id_number"))
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError as exc:  # a concurrent insert of the same ID
            raise ValidationFailed(
                _("This ID number is already registered."),
                code="duplicate_id",
                details={"id_number": [_("This ID number is already registered.")]},
            ) from exc
        _history(resident, "create", changes, actor)
        _flag_duplicates(resident)
        audit_record(
            "people.resident.create",
            actor=actor,
            target=resident,
            changes={"household": household.number, "fields": sorted(changes)},
        )
    return resident


def resident_update(
    *,
    actor,
    resident: Resident,
    data: dict[str, Any],
    expected_version: int,
    purpose: str = "registry",
) -> Resident:
    require_in_scope(actor, resident.scope_path, "people.change")
    values, errors = clean_resident(data, purpose=purpose, partial=True)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Resident.objects.select_for_update().get(pk=resident.pk)
        if current.version != expected_version:
            raise Conflict()
        changes = apply_values(current, values)
        if not changes:
            return current
        _refuse_duplicate_id(current, values.get("id_number"))
        current.version += 1
        current.verified_at = timezone.now()  # an edit is made with the person's information
        current.save()
        _history(current, "update", changes, actor)
        _flag_duplicates(current)
        audit_record("people.resident.update", actor=actor, target=current, changes=changes)
    return current


def resident_archive(*, actor, resident: Resident, reason: str, expected_version: int) -> Resident:
    """Moved out (迁出) or deceased: kept with its history, out of active lists and counts."""
    require_in_scope(actor, resident.scope_path, "people.change")
    if reason not in {R.Residence.MOVED_OUT, R.Residence.DECEASED}:
        raise ValidationFailed(details={"reason": [_("Choose moved out or deceased.")]})
    with transaction.atomic():
        current = Resident.objects.select_for_update().get(pk=resident.pk)
        if current.version != expected_version:
            raise Conflict()
        if current.archived_at is not None:
            raise Conflict(_("This resident is already archived."))
        changes = {"residence": [current.residence, reason]}
        current.residence = reason
        current.archived_at = timezone.now()
        current.version += 1
        current.save()
        _history(current, "archive", changes, actor)
        audit_record("people.resident.archive", actor=actor, target=current, changes=changes)
        # Their open needs end (已失效) and the service orders in hand are cancelled.
        from gridgov.lists.services import needs_close_for_registry

        needs_close_for_registry(actor=actor, household=current.household, resident=current)
    return current


def resident_verify(*, actor, resident: Resident, expected_version: int) -> Resident:
    """The record was checked with the person and is still right (核实): it counts as fresh
    for the data-freshness KPI."""
    require_in_scope(actor, resident.scope_path, "people.change")
    with transaction.atomic():
        current = Resident.objects.select_for_update().get(pk=resident.pk)
        if current.version != expected_version:
            raise Conflict()
        if current.archived_at is not None:
            raise Conflict(_("This resident is archived."))
        current.verified_at = timezone.now()
        current.version += 1
        current.save(update_fields=["verified_at", "version", "updated_at"])
        _history(current, "verify", {}, actor)
        audit_record("people.resident.verify", actor=actor, target=current)
    return current


def resident_reveal(*, actor, resident: Resident, field: str, reason: str) -> str:
    """The full value of a protected field, for a permitted user with a stated reason."""
    require_in_scope(actor, resident.scope_path, "people.reveal")
    reason = clean_text(reason)
    if len(reason) < 2:
        raise ValidationFailed(details={"reason": [_("Say why you need the full value.")]})
    if not (
        (field == "id_number" and resident.id_number_encrypted)
        or (field == "phone" and resident.phone_encrypted)
    ):
        raise ValidationFailed(details={"field": [_("Nothing to reveal.")]})
    reveal_note(actor=actor, via=f"people.resident.{field}")
    value = (
        privacy.reveal_id_number(resident)
        if field == "id_number"
        else privacy.reveal_phone(resident)
    )
    with transaction.atomic():
        audit_record(
            "people.resident.reveal",
            actor=actor,
            target=resident,
            changes={"field": field, "reason": reason[:200]},
        )
    return value


# Tags and consent -----------------------------------------------------------------


def resident_tag_add(
    *,
    actor,
    resident: Resident,
    category: TagCategory,
    source: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    detail: str = "",
) -> ResidentTag:
    require_in_scope(actor, resident.scope_path, "people.change")
    if category.sensitivity == TagCategory.Sensitivity.SENSITIVE and not (
        privacy.actor_sees_sensitive_tags(actor)
    ):
        raise PermissionDenied()
    if category.derived:
        raise ValidationFailed(details={"category": [_("This tag is derived, not typed.")]})
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed(details={"valid_to": [_("The end is before the start.")]})
    detail = clean_text(detail)[:200]
    if detail and not consent_active(resident, "care_services"):
        raise ValidationFailed(
            _("Health or disability details need the resident's consent for care services."),
            code="consent_required",
        )
    with transaction.atomic():
        tag, created = ResidentTag.objects.get_or_create(
            resident=resident,
            category=category,
            defaults={
                "scope_path": resident.scope_path,
                "source": clean_text(source)[:100],
                "valid_from": valid_from,
                "valid_to": valid_to,
                "set_by": actor if not isinstance(actor, SystemActor) else None,
            },
        )
        if detail:
            tag.detail_encrypted = privacy.encrypt_tag_detail(
                f"{resident.uid}/{category.code}", detail
            )
            tag.save(update_fields=["detail_encrypted"])
        if created:
            audit_record(
                "people.tag.add", actor=actor, target=resident, changes={"tag": category.code}
            )
    return tag


def resident_tag_remove(*, actor, tag: ResidentTag) -> None:
    require_in_scope(actor, tag.scope_path, "people.change")
    with transaction.atomic():
        audit_record(
            "people.tag.remove",
            actor=actor,
            target=tag.resident,
            changes={"tag": tag.category.code},
        )
        tag.delete()


def consent_active(resident: Resident, purpose: str) -> bool:
    return Consent.objects.filter(
        resident=resident, purpose=purpose, withdrawn_at__isnull=True
    ).exists()


def consent_record(
    *, actor, resident: Resident, purpose: str, notice_version: str, method: str
) -> Consent:
    require_in_scope(actor, resident.scope_path, "people.change")
    if method not in Consent.Method.values or not clean_text(notice_version):
        raise ValidationFailed(details={"method": [_("Choose how consent was given.")]})
    with transaction.atomic():
        consent = Consent.objects.create(
            resident=resident,
            scope_path=resident.scope_path,
            purpose=clean_text(purpose)[:40],
            notice_version=clean_text(notice_version)[:20],
            method=method,
            collector=actor,
            given_at=timezone.now(),
        )
        audit_record(
            "people.consent.record",
            actor=actor,
            target=resident,
            changes={"purpose": consent.purpose, "notice": consent.notice_version},
        )
    return consent


def consent_withdraw(*, actor, consent: Consent) -> None:
    """Withdrawal stops processing for that purpose: dependent details are erased."""
    require_in_scope(actor, consent.scope_path, "people.change")
    with transaction.atomic():
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        if consent.purpose == "care_services":
            ResidentTag.objects.filter(resident_id=consent.resident_id).update(detail_encrypted="")
        audit_record(
            "people.consent.withdraw",
            actor=actor,
            target=consent.resident,
            changes={"purpose": consent.purpose},
        )


# Duplicates ------------------------------------------------------------------------


def duplicate_merge(*, actor, candidate: DuplicateCandidate) -> Resident:
    """Keep ``candidate.other`` (the earlier record); move the newer record's tags and
    consents onto it, archive the newer one, and keep both histories."""
    require_in_scope(actor, candidate.scope_path, "people.merge")
    with transaction.atomic():
        keep = Resident.objects.select_for_update().get(pk=candidate.other_id)
        drop = Resident.objects.select_for_update().get(pk=candidate.resident_id)
        for tag in ResidentTag.objects.filter(resident=drop):
            if not ResidentTag.objects.filter(resident=keep, category=tag.category_id).exists():
                ResidentTag.objects.filter(pk=tag.pk).update(resident=keep)
        Consent.objects.filter(resident=drop).update(resident=keep)
        drop.archived_at = timezone.now()
        drop.residence = R.Residence.MOVED_OUT
        drop.id_number_index = None  # the kept record holds the identity now
        drop.version += 1
        drop.save()
        keep.version += 1
        keep.save(update_fields=["version", "updated_at"])
        _history(drop, "merged_into", {"into": str(keep.uid)}, actor)
        _history(keep, "merged_from", {"from": str(drop.uid)}, actor)
        candidate.status = DuplicateCandidate.Status.MERGED
        candidate.decided_by = actor
        candidate.save(update_fields=["status", "decided_by"])
        audit_record(
            "people.resident.merge", actor=actor, target=keep, changes={"merged": str(drop.uid)}
        )
    return keep


def duplicate_dismiss(*, actor, candidate: DuplicateCandidate) -> None:
    require_in_scope(actor, candidate.scope_path, "people.merge")
    with transaction.atomic():
        candidate.status = DuplicateCandidate.Status.DISMISSED
        candidate.decided_by = actor
        candidate.save(update_fields=["status", "decided_by"])
        audit_record("people.duplicate.dismiss", actor=actor, target=candidate.resident)


# Retention ---------------------------------------------------------------------------


def residents_anonymise_expired(*, now=None) -> int:
    """Anonymise residents archived longer than the retention policy (F6)."""
    from datetime import timedelta

    now = now or timezone.now()
    days = policy_get("people.retention").anonymise_after_days
    expired = Resident.objects.filter(
        archived_at__lt=now - timedelta(days=days), anonymised_at__isnull=True
    )
    ids = list(expired.values_list("pk", flat=True))
    with transaction.atomic():
        for resident in Resident.objects.filter(pk__in=ids):
            resident.name = "已匿名"
            resident.name_initials = ""
            resident.birth_date = resident.birth_date.replace(month=1, day=1)
            resident.ethnicity = ""
            for prefix in ("id_number", "phone"):
                setattr(resident, f"{prefix}_encrypted", "")
                setattr(resident, f"{prefix}_masked", "")
            resident.id_number_index = None
            resident.phone_index = resident.id_last4 = resident.phone_last4 = ""
            resident.import_key = None
            resident.anonymised_at = now
            resident.save()
        ResidentHistory.objects.filter(resident_id__in=ids).update(changes={})
        ResidentTag.objects.filter(resident_id__in=ids).delete()
        Consent.objects.filter(resident_id__in=ids).delete()
        DuplicateCandidate.objects.filter(Q(resident_id__in=ids) | Q(other_id__in=ids)).delete()
        audit_record(
            "people.anonymise",
            actor=SystemActor("people-retention"),
            changes={"residents": len(ids), "days": days},
        )
    return len(ids)
