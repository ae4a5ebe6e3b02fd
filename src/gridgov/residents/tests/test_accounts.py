"""Binding an account to its resident: staff who keep the resident's registry, once per
account and once per resident, never an administrator's account, audited; an unbound or
archived resident's account is nobody."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.residents.models import ResidentAccount
from gridgov.residents.selectors import require_resident, resident_for
from gridgov.residents.services import bind_account, unbind_account


def _resident(staff, grid, number, name="居甲"):
    from gridgov.people import services as people

    household = people.household_create(
        actor=staff, grid=grid, number=number, address=f"{number}号", kind="family"
    )
    return people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": name,
            "id_type": "none",
            "sex": "F",
            "birth_date": "1970-02-02",
            "relation": "head",
            "registration": "permanent",
        },
    )


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    return {
        "staff": staff,
        "tree": org_tree,
        "resident": _resident(staff, org_tree["g1a"], "R1"),
        "user": make_user(Role.RESIDENT, org_tree["g1a"]),
        "make_user": make_user,
    }


def test_staff_bind_and_the_account_is_the_resident(world):
    assert resident_for(world["user"]) is None
    with pytest.raises(PermissionDenied) as refused:
        require_resident(world["user"])
    assert refused.value.code == "not_a_verified_resident"
    bind_account(world["staff"], user=world["user"], resident=world["resident"])
    assert resident_for(world["user"]) == world["resident"]
    record = AuditRecord.objects.get(action="residents.account.bind")
    assert record.target_id == str(ResidentAccount.objects.get().pk)


def test_one_account_per_resident_and_one_resident_per_account(world):
    bind_account(world["staff"], user=world["user"], resident=world["resident"])
    other_user = world["make_user"](Role.RESIDENT, world["tree"]["g1a"])
    with pytest.raises(Conflict):
        bind_account(world["staff"], user=other_user, resident=world["resident"])
    other = _resident(world["staff"], world["tree"]["g1a"], "R2", "居乙")
    with pytest.raises(Conflict):
        bind_account(world["staff"], user=world["user"], resident=other)
    assert ResidentAccount.objects.count() == 1


def test_out_of_scope_staff_and_admin_accounts_are_refused(world):
    outside = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    with pytest.raises(PermissionDenied):
        bind_account(outside, user=world["user"], resident=world["resident"])
    admin = world["make_user"](Role.SYSTEM_ADMIN, world["tree"]["d1"])
    with pytest.raises(ValidationFailed):
        bind_account(world["staff"], user=admin, resident=world["resident"])
    assert not ResidentAccount.objects.exists()


def test_archived_resident_is_nobody_and_unbind_is_audited(world):
    from django.utils import timezone

    account = bind_account(world["staff"], user=world["user"], resident=world["resident"])
    type(world["resident"]).objects.filter(pk=world["resident"].pk).update(
        archived_at=timezone.now()
    )
    assert resident_for(world["user"]) is None
    unbind_account(world["staff"], account)
    assert not ResidentAccount.objects.exists()
    assert AuditRecord.objects.filter(action="residents.account.unbind").count() == 1
