from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.people import privacy, services
from gridgov.people.models import DuplicateCandidate, Resident, ResidentTag, TagCategory
from gridgov.people.selectors import ResidentFilters, resident_list

pytestmark = pytest.mark.django_db


def test_create_encrypts_and_masks(staff, household, resident_data):
    data = resident_data()
    resident = services.resident_create(actor=staff, household=household, data=data)
    assert resident.birth_date == date(1980, 5, 1) and resident.sex == "M"
    assert resident.id_number_masked == data["id_number"][:6] + "*" * 12
    assert resident.phone_masked == data["phone"][:3] + "****" + data["phone"][-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_resident WHERE id = %s", [resident.pk])
        raw_row = " ".join(str(v) for v in cursor.fetchone())
    assert data["id_number"] not in raw_row and data["phone"] not in raw_row
    assert privacy.reveal_id_number(resident) == data["id_number"]
    assert resident.history.get().action == "create"
    record = AuditRecord.objects.get(action="people.resident.create")
    assert data["id_number"] not in str(record.changes)


def test_ciphertexts_are_bound_to_their_row(staff, household, resident_data):
    from gridgov.core.crypto import DecryptionFailed

    a = services.resident_create(actor=staff, household=household, data=resident_data())
    b = services.resident_create(
        actor=staff, household=household, data=resident_data(name="李四", relation="spouse")
    )
    Resident.objects.filter(pk=b.pk).update(id_number_encrypted=a.id_number_encrypted)
    b.refresh_from_db()
    with pytest.raises(DecryptionFailed):
        privacy.reveal_id_number(b)


def test_exact_duplicate_id_is_refused(staff, household, other_household, resident_data, ids):
    number = ids()
    services.resident_create(actor=staff, household=household, data=resident_data(id_number=number))
    with pytest.raises(ValidationFailed) as exc:
        services.resident_create(
            actor=staff, household=household, data=resident_data(id_number=number, name="张叁")
        )
    assert exc.value.code == "duplicate_id"
    assert Resident.objects.count() == 1


def test_same_phone_and_name_is_flagged(staff, household, resident_data, ids):
    phone = ids.phone()
    services.resident_create(actor=staff, household=household, data=resident_data(phone=phone))
    services.resident_create(
        actor=staff, household=household, data=resident_data(phone=phone, relation="other")
    )
    candidate = DuplicateCandidate.objects.get()
    assert candidate.reason == "phone_name"


def test_near_identical_name_same_address_is_flagged_and_merged(staff, household, resident_data):
    first = services.resident_create(
        actor=staff,
        household=household,
        data=resident_data(
            name="王晓明", id_type="none", id_number="", birth_date="1970-01-02", sex="M"
        ),
    )
    second = services.resident_create(
        actor=staff,
        household=household,
        data=resident_data(
            name="王小明",
            id_type="none",
            id_number="",
            birth_date="1970-01-02",
            sex="M",
            relation="other",
        ),
    )
    candidate = DuplicateCandidate.objects.get(resident=second)
    assert candidate.reason == "similar_name" and candidate.other == first
    tag = TagCategory.objects.get(code="veteran")
    services.resident_tag_add(actor=staff, resident=second, category=tag)
    kept = services.duplicate_merge(actor=staff, candidate=candidate)
    second.refresh_from_db()
    assert kept == first and second.archived_at is not None
    assert ResidentTag.objects.get().resident == first
    assert {h.action for h in first.history.all()} >= {"create", "merged_from"}
    assert second.history.filter(action="merged_into").exists()
    assert AuditRecord.objects.filter(action="people.resident.merge").exists()


def test_update_checks_version_and_keeps_history(staff, household, resident_data, ids):
    resident = services.resident_create(actor=staff, household=household, data=resident_data())
    new_phone = ids.phone()
    updated = services.resident_update(
        actor=staff, resident=resident, data={"phone": new_phone}, expected_version=1
    )
    assert updated.version == 2 and updated.phone_masked.endswith(new_phone[-4:])
    change = updated.history.first().changes["phone"]
    assert new_phone not in str(change)
    with pytest.raises(Conflict):
        services.resident_update(
            actor=staff, resident=resident, data={"name": "改名"}, expected_version=1
        )


def test_bad_input_names_the_field_and_writes_nothing(staff, household, resident_data):
    with pytest.raises(ValidationFailed) as exc:
        services.resident_create(
            actor=staff,
            household=household,
            data=resident_data(id_number="110105194912310021", phone="123"),
        )
    assert set(exc.value.details) >= {"id_number", "phone"}
    assert not Resident.objects.exists()


def test_id_and_stated_birth_date_must_agree(staff, household, resident_data):
    with pytest.raises(ValidationFailed) as exc:
        services.resident_create(
            actor=staff, household=household, data=resident_data(birth_date="1990-01-01")
        )
    assert "birth_date" in exc.value.details


def test_minimum_necessary_refuses_fields_outside_the_purpose(staff, household, resident_data):
    with pytest.raises(ValidationFailed) as exc:
        services.resident_create(
            actor=staff,
            household=household,
            purpose="event_contact",
            data={"name": "张三", "phone": "13812341234", "education": "college"},
        )
    assert "education" in exc.value.details


def test_scope_is_enforced_for_writes(staff, other_household, resident_data):
    with pytest.raises(PermissionDenied):
        services.resident_create(actor=staff, household=other_household, data=resident_data())


def test_archive_drops_out_of_active_lists(staff, household, resident_data):
    resident = services.resident_create(actor=staff, household=household, data=resident_data())
    services.resident_archive(
        actor=staff, resident=resident, reason="moved_out", expected_version=1
    )
    assert not resident_list(actor=staff).exists()
    archived = resident_list(actor=staff, filters=ResidentFilters(include_archived=True))
    assert archived.get().residence == "moved_out"


def test_reveal_needs_permission_and_is_audited(
    org_tree, staff, household, resident_data, make_user
):
    data = resident_data()
    resident = services.resident_create(actor=staff, household=household, data=data)
    assert (
        services.resident_reveal(
            actor=staff, resident=resident, field="id_number", reason="核实身份"
        )
        == data["id_number"]
    )
    record = AuditRecord.objects.get(action="people.resident.reveal")
    assert record.changes == {"field": "id_number", "reason": "核实身份"}
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    with pytest.raises(PermissionDenied):
        services.resident_reveal(actor=worker, resident=resident, field="phone", reason="x y")
    with pytest.raises(ValidationFailed):
        services.resident_reveal(actor=staff, resident=resident, field="id_number", reason="")


def test_minors_are_flagged_by_birth_date_and_hidden_from_unnamed_roles(
    org_tree, staff, household, resident_data, make_user, ids
):
    from gridgov.core.services import policy_update

    child_birth = date.today() - timedelta(days=365 * 8)
    services.resident_create(
        actor=staff,
        household=household,
        data=resident_data(id_number=ids(birth=child_birth), relation="child", phone=""),
    )
    services.resident_create(
        actor=staff, household=household, data=resident_data(name="李四", relation="spouse")
    )
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    assert resident_list(actor=worker).count() == 2
    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    policy_update(
        actor=secadmin,
        key="people.visibility",
        value={"minors_roles": ["community_staff"]},
        note="tighten",
    )
    worker.forget_memberships()
    assert list(resident_list(actor=worker).values_list("name", flat=True)) == ["李四"]
    assert resident_list(actor=staff).count() == 2


def test_sensitive_tags_are_hidden_from_unnamed_roles(
    org_tree, staff, household, resident_data, make_user
):
    resident = services.resident_create(actor=staff, household=household, data=resident_data())
    services.resident_tag_add(
        actor=staff, resident=resident, category=TagCategory.objects.get(code="dibao")
    )
    services.resident_tag_add(
        actor=staff, resident=resident, category=TagCategory.objects.get(code="veteran")
    )
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    visible = ResidentTag.objects.visible_to(worker).values_list("category__code", flat=True)
    assert list(visible) == ["veteran"]
    assert resident_list(actor=worker, filters=ResidentFilters(tag="dibao")).count() == 0
    assert resident_list(actor=staff, filters=ResidentFilters(tag="dibao")).count() == 1
    with pytest.raises(PermissionDenied):
        services.resident_tag_add(
            actor=worker, resident=resident, category=TagCategory.objects.get(code="disability")
        )


def test_health_details_need_consent_and_withdrawal_erases_them(staff, household, resident_data):
    resident = services.resident_create(actor=staff, household=household, data=resident_data())
    disability = TagCategory.objects.get(code="disability")
    with pytest.raises(ValidationFailed) as exc:
        services.resident_tag_add(
            actor=staff, resident=resident, category=disability, detail="肢体二级"
        )
    assert exc.value.code == "consent_required"
    consent = services.consent_record(
        actor=staff, resident=resident, purpose="care_services", notice_version="v1", method="paper"
    )
    tag = services.resident_tag_add(
        actor=staff, resident=resident, category=disability, detail="肢体二级"
    )
    assert "肢体" not in tag.detail_encrypted
    services.consent_withdraw(actor=staff, consent=consent)
    tag.refresh_from_db()
    assert tag.detail_encrypted == ""


def test_derived_tags_cannot_be_typed(staff, household, resident_data):
    resident = services.resident_create(actor=staff, household=household, data=resident_data())
    with pytest.raises(ValidationFailed):
        services.resident_tag_add(
            actor=staff, resident=resident, category=TagCategory.objects.get(code="oldest_old")
        )


def test_search_by_pinyin_last4_age_and_tag(staff, household, resident_data, ids):
    zhang = services.resident_create(
        actor=staff, household=household, data=resident_data(name="张三")
    )
    old = ids(birth=date(1935, 3, 3), sex="F")
    services.resident_create(
        actor=staff,
        household=household,
        data=resident_data(name="李奶奶", id_number=old, relation="parent"),
    )

    def names(**f):
        return sorted(
            resident_list(actor=staff, filters=ResidentFilters(**f)).values_list("name", flat=True)
        )

    assert names(q="zs") == ["张三"]
    assert names(q="张") == ["张三"]
    assert names(q=zhang.id_last4) == ["张三"]
    assert names(q=zhang.phone_last4) == ["张三"]
    assert names(age="80+") == ["李奶奶"]
    assert names(tag="oldest_old") == ["李奶奶"]
    assert names(age="19-60") == ["张三"]
    assert names(address="1号楼") == ["张三", "李奶奶"]


def test_retention_anonymises_archived_residents(staff, household, resident_data):
    data = resident_data()
    resident = services.resident_create(actor=staff, household=household, data=data)
    services.resident_archive(actor=staff, resident=resident, reason="deceased", expected_version=1)
    assert services.residents_anonymise_expired() == 0
    with time_machine.travel(timezone.now() + timedelta(days=3 * 365 + 1), tick=False):
        assert services.residents_anonymise_expired() == 1
    resident.refresh_from_db()
    assert resident.name == "已匿名" and not resident.id_number_encrypted
    assert resident.id_number_index is None and resident.birth_date.month == 1
    assert not resident.history.exclude(changes={}).exists()


def test_key_rotation_re_encrypts_and_keeps_search(
    staff, household, resident_data, settings, tmp_path
):
    import json
    from pathlib import Path

    from gridgov.core import crypto
    from gridgov.people.keys import rotate_field_keys

    data = resident_data()
    resident = services.resident_create(actor=staff, household=household, data=data)
    ring = json.loads(Path(settings.FIELD_KEY_FILE).read_text())
    ring["keys"]["k2"] = {"sm4": "00112233445566778899aabbccddeeff", "hmac": "ab" * 32}
    ring["active"] = "k2"
    rotated_file = tmp_path / "keys.json"
    rotated_file.write_text(json.dumps(ring))
    settings.FIELD_KEY_FILE = rotated_file
    crypto.keyring.cache_clear()
    try:
        # Before rotation, duplicates are still found under the old key.
        with pytest.raises(ValidationFailed):
            services.resident_create(
                actor=staff, household=household, data=resident_data(id_number=data["id_number"])
            )
        assert rotate_field_keys(batch_size=1) == 1
        assert rotate_field_keys() == 0  # nothing left: resumable and idempotent
        resident.refresh_from_db()
        assert resident.id_number_encrypted.startswith("k2:")
        assert privacy.reveal_id_number(resident) == data["id_number"]
        assert resident.id_number_index == crypto.blind_index(
            data["id_number"], purpose="id_number"
        )
        assert AuditRecord.objects.filter(action="people.keys.rotate").exists()
    finally:
        crypto.keyring.cache_clear()


def test_duplicate_flags_stay_inside_one_community(
    org_tree, staff, household, other_household, make_user, resident_data, ids
):
    phone = ids.phone()
    services.resident_create(
        actor=make_user(Role.COMMUNITY_STAFF, org_tree["c2"]),
        household=other_household,
        data=resident_data(phone=phone),
    )
    services.resident_create(actor=staff, household=household, data=resident_data(phone=phone))
    assert not DuplicateCandidate.objects.exists()
