from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import ADMIN_ROLES, Role
from gridgov.accounts.services import (
    membership_grant,
    membership_revoke,
    token_authenticate,
    token_create,
    token_revoke,
    user_create,
    user_set_active,
    users_disable_inactive,
)
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(org_tree, make_user):
    return {
        "sys": make_user(Role.SYSTEM_ADMIN, org_tree["d1"], username="sys"),
        "sec": make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="sec"),
        "aud": make_user(Role.AUDIT_ADMIN, org_tree["d1"], username="aud"),
    }


def test_only_the_security_admin_grants(org_tree, admins, make_user):
    target = make_user()
    membership_grant(
        actor=admins["sec"], user=target, role=Role.GRID_WORKER, org_unit=org_tree["g1a"]
    )
    assert target.roles == {Role.GRID_WORKER}
    for who in ("sys", "aud"):
        with pytest.raises(PermissionDenied):
            membership_grant(
                actor=admins[who], user=target, role=Role.GRID_LEADER, org_unit=org_tree["c1"]
            )
    street = make_user(Role.STREET_STAFF, org_tree["s1"])
    with pytest.raises(PermissionDenied):
        membership_grant(actor=street, user=target, role=Role.GRID_LEADER, org_unit=org_tree["c1"])
    record = AuditRecord.objects.get(action="accounts.role.grant", outcome="success")
    assert record.changes == {"role": "grid_worker", "org_unit": "310104003001001"}


@pytest.mark.parametrize(
    "first,second",
    [
        (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN),
        (Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN),
        (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN),
        (Role.AUDIT_ADMIN, Role.DISTRICT_STAFF),
        (Role.DISTRICT_STAFF, Role.SYSTEM_ADMIN),
    ],
)
def test_separation_of_duties(org_tree, admins, make_user, first, second):
    target = make_user()
    membership_grant(actor=admins["sec"], user=target, role=first, org_unit=org_tree["d1"])
    with pytest.raises(ValidationFailed, match="三员分立"):
        membership_grant(actor=admins["sec"], user=target, role=second, org_unit=org_tree["d1"])
    assert set(target.memberships.values_list("role", flat=True)) == {first}


def test_no_one_changes_their_own_roles(org_tree, admins):
    with pytest.raises(PermissionDenied):
        membership_grant(
            actor=admins["sec"],
            user=admins["sec"],
            role=Role.SECURITY_ADMIN,
            org_unit=org_tree["c1"],
        )


def test_role_level_must_fit(org_tree, admins, make_user):
    with pytest.raises(ValidationFailed):
        membership_grant(
            actor=admins["sec"], user=make_user(), role=Role.GRID_WORKER, org_unit=org_tree["d1"]
        )


def test_revoke_takes_effect_on_the_next_request(org_tree, admins, make_user, login_client):
    target = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    client = login_client(target)
    assert client.get(f"/org/units/{org_tree['c1'].code}/").status_code == 200
    membership_revoke(actor=admins["sec"], membership=Membership.objects.get(user=target))
    assert client.get(f"/org/units/{org_tree['c1'].code}/").status_code == 403


def test_admin_roles_read_no_business_data(org_tree, admins):
    from gridgov.accounts.roles import PERMISSIONS

    for role in ADMIN_ROLES:
        assert not any(p.startswith(("people.", "events.")) for p in PERMISSIONS[role])
    assert PERMISSIONS[Role.AUDIT_ADMIN] == {"audit.view", "audit.export"}
    assert not any(
        p.startswith("audit.") for r, ps in PERMISSIONS.items() if r != Role.AUDIT_ADMIN for p in ps
    )


def test_user_create_gives_a_one_time_password(admins):
    user, password = user_create(actor=admins["sys"], username="liu", display_name="刘")
    assert user.must_change_password and user.check_password(password)
    with pytest.raises(ValidationFailed):
        user_create(actor=admins["sys"], username="LIU", display_name="dup")
    for name in ("admin", "root", "test"):
        with pytest.raises(ValidationFailed):
            user_create(actor=admins["sys"], username=name, display_name="")
    with pytest.raises(PermissionDenied):
        user_create(actor=admins["sec"], username="x1", display_name="")


def test_disabling_an_account_ends_its_sessions(org_tree, admins, make_user, login_client):
    target = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    client = login_client(target)
    assert client.get("/api/v1/me").status_code == 200
    user_set_active(actor=admins["sys"], user=target, active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_inactive_accounts_are_disabled_after_90_days(org_tree, make_user):
    stale = make_user(Role.GRID_WORKER, org_tree["g1a"])
    fresh = make_user(Role.GRID_WORKER, org_tree["g1a"])
    now = timezone.now()
    User.objects.filter(pk=stale.pk).update(last_login=now - timedelta(days=100))
    User.objects.filter(pk=fresh.pk).update(last_login=now - timedelta(days=10))
    assert users_disable_inactive(now=now) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert not stale.is_active and fresh.is_active


def test_seed_data_has_no_shared_account_names():
    from gridgov.demo.seed import DEMO_USERS

    for username, *_rest in DEMO_USERS:
        assert username not in {"admin", "root", "test", "administrator"}


class TestApiTokens:
    def test_shown_once_stored_hashed_and_scoped(self, org_tree, make_user, client):
        user = make_user(Role.GRID_WORKER, org_tree["g1a"])
        token, raw = token_create(user=user, name="phone")
        assert raw.startswith("gg_") and raw not in token.token_hash
        assert token_authenticate(raw) == user
        headers = {"Authorization": f"Bearer {raw}"}
        units = client.get("/api/v1/org-units", headers=headers).json()
        assert [u["code"] for u in units["items"]] == ["310104003001001"]
        assert (
            client.get(f"/api/v1/org-units/{org_tree['g2a'].code}", headers=headers).status_code
            == 404
        )

    def test_revoked_and_expired_tokens_fail(self, org_tree, make_user, client):
        user = make_user(Role.GRID_WORKER, org_tree["g1a"])
        token, raw = token_create(user=user, name="phone", days=1)
        with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
            assert (
                client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code
                == 401
            )
        token_revoke(user=user, token=token)
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
        )
        assert token_authenticate("gg_forged") is None

    def test_lifetime_is_capped_by_policy(self, org_tree, make_user):
        user = make_user(Role.GRID_WORKER, org_tree["g1a"])
        token, _raw = token_create(user=user, name="long", days=5000)
        assert (token.expires_at - timezone.now()).days <= 90

    def test_token_api_create_list_revoke(self, org_tree, make_user, login_client):
        user = make_user(Role.GRID_WORKER, org_tree["g1a"])
        client = login_client(user)
        created = client.post("/api/v1/me/tokens", {"name": "cli"}, content_type="application/json")
        assert created.status_code == 201
        raw = created.json()["token"]
        listed = client.get("/api/v1/me/tokens").json()
        assert "token" not in listed[0] and listed[0]["prefix"] == raw[:9]
        assert client.delete(f"/api/v1/me/tokens/{listed[0]['id']}").status_code == 204
        assert token_authenticate(raw) is None
        bad = client.post("/api/v1/me/tokens", {"name": ""}, content_type="application/json")
        assert bad.status_code == 422

    def test_token_of_a_disabled_user_fails(self, org_tree, make_user):
        user = make_user(Role.GRID_WORKER, org_tree["g1a"])
        _token, raw = token_create(user=user, name="x")
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert token_authenticate(raw) is None
