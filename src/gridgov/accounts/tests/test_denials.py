"""Refused privileged actions leave a trace (SECURITY.md D1, D2): each refusal is an audit
record of the attempted action with outcome=fail and the reason, and nothing changed."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import GridGovError

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org_tree, make_user):
    return {
        "sys": make_user(Role.SYSTEM_ADMIN, org_tree["d1"], username="d_sys"),
        "sec": make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="d_sec"),
        "aud": make_user(Role.AUDIT_ADMIN, org_tree["d1"], username="d_aud"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="d_worker"),
        "admin_target": make_user(Role.AUDIT_ADMIN, org_tree["d1"], username="d_aud2"),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"], username="d_street"),
        "new": make_user(username="d_new"),
    }


def _refusal(action: str, actor) -> AuditRecord:
    records = AuditRecord.objects.filter(action=action, outcome="fail", actor_id=actor.pk)
    assert records.count() == 1, list(records.values("action", "changes"))
    return records.get()


def _grant(people, org_tree, actor, user, role, unit):
    from gridgov.accounts.services import membership_grant

    return membership_grant(
        actor=people[actor], user=people[user], role=role, org_unit=org_tree[unit]
    )


@pytest.mark.parametrize(
    "actor,user,role,unit,reason",
    [
        ("sec", "worker", Role.SYSTEM_ADMIN, "d1", "separation_of_duties"),
        ("sec", "admin_target", Role.DISTRICT_STAFF, "d1", "separation_of_duties"),
        ("sec", "sec", Role.SECURITY_ADMIN, "d1", "self"),
        ("sec", "new", Role.DISTRICT_STAFF, "d2", "out_of_scope"),
        ("sys", "new", Role.GRID_WORKER, "g1a", "no_permission"),
        ("aud", "new", Role.GRID_WORKER, "g1a", "no_permission"),
        ("street", "new", Role.GRID_WORKER, "g1a", "no_permission"),
        ("sec", "new", Role.GRID_WORKER, "d1", "role_level"),
        ("sec", "new", "", "g1a", "no_role"),
        ("sec", "new", "emperor", "g1a", "unknown_role"),
    ],
)
def test_refused_grants_are_audited_with_the_reason(
    people, org_tree, actor, user, role, unit, reason
):
    before = set(Membership.objects.values_list("pk", flat=True))
    with pytest.raises(GridGovError):
        _grant(people, org_tree, actor, user, role, unit)
    assert set(Membership.objects.values_list("pk", flat=True)) == before
    record = _refusal("accounts.role.grant", people[actor])
    assert record.changes["reason"] == reason
    assert record.target_id == str(people[user].pk)
    assert record.changes["role"] == role and record.changes["org_unit"] == org_tree[unit].code
    assert not AuditRecord.objects.filter(action="accounts.role.grant", outcome="success").exists()


def test_refused_revokes_are_audited(people, org_tree):
    from gridgov.accounts.services import membership_revoke

    own = Membership.objects.get(user=people["sec"])
    with pytest.raises(GridGovError):
        membership_revoke(actor=people["sec"], membership=own)
    assert _refusal("accounts.role.revoke", people["sec"]).changes["reason"] == "self"
    theirs = Membership.objects.get(user=people["worker"])
    with pytest.raises(GridGovError):
        membership_revoke(actor=people["sys"], membership=theirs)
    assert _refusal("accounts.role.revoke", people["sys"]).changes["reason"] == "no_permission"
    assert Membership.objects.filter(pk__in=[own.pk, theirs.pk]).count() == 2


def test_refused_user_administration_is_audited(people):
    from gridgov.accounts.services import user_create, user_set_active, user_unlock

    with pytest.raises(GridGovError):
        user_create(actor=people["sec"], username="d_x", display_name="")
    assert _refusal("accounts.user.create", people["sec"]).changes["reason"] == "no_permission"
    with pytest.raises(GridGovError):
        user_set_active(actor=people["sec"], user=people["worker"], active=False)
    assert _refusal("accounts.user.disable", people["sec"]).changes["reason"] == "no_permission"
    with pytest.raises(GridGovError):
        user_set_active(actor=people["sys"], user=people["sys"], active=False)
    assert _refusal("accounts.user.disable", people["sys"]).changes["reason"] == "self"
    with pytest.raises(GridGovError):
        user_unlock(actor=people["aud"], user=people["worker"])
    assert _refusal("accounts.user.unlock", people["aud"]).changes["reason"] == "no_permission"
    people["worker"].refresh_from_db()
    assert people["worker"].is_active


def test_refused_two_factor_resets_are_audited(people, org_tree, make_user):
    from gridgov.accounts.services import user_two_factor_reset

    for actor, user, reason in [
        ("sys", "admin_target", "no_permission"),
        ("sec", "sec", "self"),
    ]:
        with pytest.raises(GridGovError):
            user_two_factor_reset(actor=people[actor], user=people[user])
        assert _refusal("accounts.otp.reset", people[actor]).changes["reason"] == reason
    elsewhere = make_user(Role.DISTRICT_STAFF, org_tree["d2"])
    with pytest.raises(GridGovError):
        user_two_factor_reset(actor=people["sec"], user=elsewhere)
    records = AuditRecord.objects.filter(action="accounts.otp.reset", actor_id=people["sec"].pk)
    assert [r.changes["reason"] for r in records.order_by("id")] == ["self", "out_of_scope"]


def test_refused_pages_and_api_calls_are_audited(people, login_client):
    """A privileged write refused at the door (no permission) is recorded too."""
    client = login_client(people["sec"])
    assert client.post("/accounts/users/new/", {"username": "d_y"}).status_code == 403
    record = AuditRecord.objects.get(action="access.denied", actor_id=people["sec"].pk)
    assert record.outcome == "fail"
    assert record.changes == {
        "reason": "no_permission",
        "permission": "accounts.manage_users",
        "method": "POST",
        "path": "/accounts/users/new/",
    }
    api = login_client(people["aud"])
    response = api.put(
        "/api/v1/policies/org.grid_size",
        {"value": {"min_households": 1}, "note": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert AuditRecord.objects.filter(
        action="access.denied", actor_id=people["aud"].pk, changes__permission="policy.view"
    ).exists()


def test_the_grant_form_has_no_default_role(people, login_client):
    import re

    client = login_client(people["sec"])
    page = client.get(f"/accounts/users/{people['new'].pk}/").content.decode()
    select = re.search(r'<select[^>]*name="role"[^>]*>(.*?)</select>', page, re.S)
    assert select and "required" in select.group(0)
    options = re.findall(r"<option([^>]*)>", select.group(1))
    assert 'value=""' in options[0] and all("selected" not in o for o in options[1:])
    response = client.post(
        f"/accounts/users/{people['new'].pk}/", {"action": "grant", "org_unit": "310104003001001"}
    )
    assert response.status_code == 400 and "Choose a role" in response.context["error"]
    assert not Membership.objects.filter(user=people["new"]).exists()
