"""The review's token findings (SECURITY.md A5, A7), replayed.

Bearer tokens skipped the administrators' second factor, a token could mint its successor
before it expired, tokens outlived password changes, role changes and disabled accounts,
and the Open311 ``api_key`` was a full personal token of its owner.
"""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import TEST_PASSWORD
from gridgov.accounts.models import ApiToken, Membership, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord

pytestmark = pytest.mark.django_db

ADMIN_ROLES = [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]
NEW_PASSWORD = "Gr1d-New-Passw0rd?"


def _bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def _works(raw: str) -> bool:
    return Client().get("/api/v1/me", headers=_bearer(raw)).status_code == 200


def _personal_token(user) -> str:
    from gridgov.accounts.services import token_create

    return token_create(user=user, name="phone")[1]


@pytest.fixture
def security_admin(org_tree, make_user):
    return make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="tok_sec")


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admin_roles_get_no_bearer_tokens(role, org_tree, make_user, login_client):
    admin = make_user(role, org_tree["d1"])
    client = login_client(admin)
    api = client.post("/api/v1/me/tokens", {"name": "cli"}, content_type="application/json")
    assert api.status_code == 403
    page = client.post("/accounts/me/", {"name": "cli", "days": "30"})
    assert page.status_code in (200, 403) and "gg_" not in page.content.decode()
    assert not ApiToken.objects.filter(user=admin).exists()
    denied = AuditRecord.objects.filter(actor_id=admin.pk, outcome="fail")
    assert denied.exists()


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_a_token_from_before_an_admin_grant_stops_working(
    role, org_tree, make_user, security_admin
):
    from gridgov.accounts.services import membership_grant, membership_revoke

    user = make_user(Role.DISTRICT_STAFF, org_tree["d1"])
    raw = _personal_token(user)
    assert _works(raw)
    membership_revoke(actor=security_admin, membership=Membership.objects.get(user=user))
    membership_grant(actor=security_admin, user=user, role=role, org_unit=org_tree["d1"])
    assert not _works(raw)


def test_a_token_cannot_create_tokens(org_tree, make_user):
    user = make_user(Role.GRID_WORKER, org_tree["g1a"])
    raw = _personal_token(user)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    renewed = client.post(
        "/api/v1/me/tokens", {"name": "next"}, content_type="application/json", headers=_bearer(raw)
    )
    assert renewed.status_code == 403
    assert ApiToken.objects.filter(user=user).count() == 1
    assert AuditRecord.objects.filter(
        action="accounts.token.create", outcome="fail", actor_id=user.pk
    ).exists()


def test_password_change_revokes_tokens(org_tree, make_user, login_client):
    user = make_user(Role.GRID_WORKER, org_tree["g1a"], username="tok_pw")
    raw = _personal_token(user)
    client = login_client(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert not _works(raw)


def test_role_grant_and_revoke_revoke_tokens(org_tree, make_user, security_admin):
    from gridgov.accounts.services import membership_grant, membership_revoke

    user = make_user(Role.GRID_WORKER, org_tree["g1a"])
    raw = _personal_token(user)
    membership_grant(
        actor=security_admin, user=user, role=Role.GRID_LEADER, org_unit=org_tree["c1"]
    )
    assert not _works(raw)
    raw = _personal_token(user)
    membership_revoke(
        actor=security_admin,
        membership=Membership.objects.get(user=user, role=Role.GRID_LEADER),
    )
    assert not _works(raw)


def test_disabling_revokes_and_enabling_does_not_revive(org_tree, make_user):
    from gridgov.accounts.services import user_set_active

    sysadmin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    user = make_user(Role.GRID_WORKER, org_tree["g1a"])
    raw = _personal_token(user)
    user_set_active(actor=sysadmin, user=user, active=False)
    user_set_active(actor=sysadmin, user=user, active=True)
    assert User.objects.get(pk=user.pk).is_active
    assert not _works(raw)


def test_disabling_unused_accounts_revokes_their_tokens(org_tree, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.accounts.services import users_disable_inactive

    user = make_user(Role.GRID_WORKER, org_tree["g1a"])
    raw = _personal_token(user)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=120))
    users_disable_inactive()
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert not _works(raw)


class TestOpen311Key:
    """The Open311 ``api_key`` only reports (and reads) requests of its one jurisdiction."""

    @pytest.fixture
    def district_staff(self, org_tree, make_user):
        return make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="open311_owner")

    def _post(self, api_key, lon="121.405", **extra):
        return Client().post(
            "/open311/v2/requests.json",
            {
                "api_key": api_key,
                "service_code": "06010",
                "lat": "31.205",
                "long": lon,
                "description": "小区门口暴露垃圾",
                **extra,
            },
        )

    def test_a_personal_token_is_not_an_open311_key(self, district_staff):
        raw = _personal_token(district_staff)
        assert self._post(raw).status_code == 403

    def test_the_key_reports_in_its_jurisdiction_only(self, district_staff, org_tree):
        from gridgov.accounts.services import token_create

        _key, raw = token_create(
            user=district_staff, name="12345热线", kind="open311", jurisdiction=org_tree["d1"]
        )
        assert self._post(raw).status_code == 201
        assert self._post(raw, lon="121.505").status_code == 403  # the other district
        assert self._post(raw, jurisdiction_id="310105").status_code == 403

    def test_the_key_carries_none_of_its_owners_other_permissions(self, district_staff, org_tree):
        from gridgov.accounts.services import token_create

        _key, raw = token_create(
            user=district_staff, name="12345热线", kind="open311", jurisdiction=org_tree["d1"]
        )
        client = Client()
        for url in ("/api/v1/me", "/api/v1/residents", "/api/v1/events", "/api/v1/me/tokens"):
            assert client.get(url, headers=_bearer(raw)).status_code == 401, url
        created = client.post(
            "/api/v1/me/tokens",
            {"name": "x"},
            content_type="application/json",
            headers=_bearer(raw),
        )
        assert created.status_code == 401
        assert ApiToken.objects.filter(user=district_staff).count() == 1

    def test_the_key_needs_report_rights_in_the_jurisdiction(self, org_tree, make_user):
        from gridgov.accounts.services import token_create
        from gridgov.core.errors import ValidationFailed

        worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
        with pytest.raises(ValidationFailed):
            token_create(user=worker, name="x", kind="open311", jurisdiction=org_tree["d2"])
        _key, raw = token_create(user=worker, name="x", kind="open311", jurisdiction=org_tree["d1"])
        assert self._post(raw).status_code == 201  # g1a is the worker's own grid
        assert self._post(raw, lon="121.415").status_code == 403  # g1b: same district, not theirs
