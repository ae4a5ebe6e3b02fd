"""The review's two-factor bypass (SECURITY.md A5), replayed as an attacker who knows an
administrator's password and nothing else.

The attack: after the password step, open the enrolment page of an already enrolled
administrator, read the TOTP secret off it and type its current code. Every page of the
sign-in flow is collected and anything shaped like a TOTP secret is tried as one.
"""

from __future__ import annotations

import re

import pyotp
import pytest

from conftest import TEST_PASSWORD
from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
ENROL = "/accounts/login/enrol/"
ADMIN_ROLES = [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]
# pyotp's secrets are 32 base32 characters; the page may also group them by four.
SECRET_SHAPED = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z2-7]{4} ?){8}(?![A-Za-z0-9])")


def _enrolled_admin(make_user, org_tree, role) -> tuple[User, str]:
    from gridgov.accounts.services import otp_begin_enrolment

    user = make_user(role, org_tree["d1"], username=f"adm_{role}")
    secret = otp_begin_enrolment(user)
    user.totp_confirmed = True
    user.save(update_fields=["totp_confirmed"])
    return user, secret


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session or client.get("/api/v1/me").status_code == 200


def _body(response) -> str:
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_password_alone_reveals_no_secret_and_gives_no_session(role, org_tree, make_user, client):
    user, secret = _enrolled_admin(make_user, org_tree, role)
    pages = [client.post(LOGIN, {"username": user.username, "password": TEST_PASSWORD})]
    for url in (ENROL, VERIFY, ENROL):
        pages.append(client.get(url))
        pages.append(client.get(url, follow=True))
    pages.append(client.post(ENROL, {"code": ""}))
    seen = "\n".join(_body(p) for p in pages)

    # Whatever looks like a secret is tried, on both steps, as an authenticator app would.
    for candidate in {s.replace(" ", "") for s in SECRET_SHAPED.findall(seen)}:
        code = pyotp.TOTP(candidate).now()
        client.post(ENROL, {"code": code})
        client.post(VERIFY, {"code": code})

    assert not _signed_in(client)
    assert not AuditRecord.objects.filter(action="accounts.login.success").exists()
    assert secret not in seen.replace(" ", "")
    assert "otpauth://" not in seen
    user.refresh_from_db()
    assert user.totp_confirmed  # the enrolled factor was not replaced either


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_enrolment_cannot_be_restarted_for_an_enrolled_admin(role, org_tree, make_user, client):
    """A second password step does not start a new enrolment that the attacker could own."""
    user, secret = _enrolled_admin(make_user, org_tree, role)
    for _ in range(2):
        client.post(LOGIN, {"username": user.username, "password": TEST_PASSWORD})
        page = client.get(ENROL)
        assert page.status_code == 302 and page.url != ENROL
    from gridgov.accounts.services import otp_secret

    user.refresh_from_db()
    assert otp_secret(user) == secret
    # The owner still signs in with the factor they enrolled.
    client.post(LOGIN, {"username": user.username, "password": TEST_PASSWORD})
    assert client.post(VERIFY, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert _signed_in(client)


def test_the_secret_is_not_shown_again_after_confirmation(org_tree, make_user, client):
    make_user(Role.AUDIT_ADMIN, org_tree["d1"], username="new_auditor")
    client.post(LOGIN, {"username": "new_auditor", "password": TEST_PASSWORD})
    secret = client.get(ENROL).context["secret"]
    assert client.post(ENROL, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    again = client.get(ENROL, follow=True)
    assert secret not in _body(again) and "otpauth://" not in _body(again)


def test_reenrolment_only_after_the_security_admins_audited_reset(org_tree, make_user, client):
    from django.test import Client

    sysadmin, old_secret = _enrolled_admin(make_user, org_tree, Role.SYSTEM_ADMIN)
    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="sec_reset")
    security = Client(HTTP_ACCEPT_LANGUAGE="en")
    security.force_login(secadmin)
    response = security.post(
        f"/accounts/users/{sysadmin.pk}/", {"action": "reset_two_factor"}, follow=True
    )
    assert response.status_code == 200
    record = AuditRecord.objects.get(action="accounts.otp.reset")
    assert record.actor_id == secadmin.pk and record.target_id == str(sysadmin.pk)
    assert record.outcome == "success"

    client.post(LOGIN, {"username": sysadmin.username, "password": TEST_PASSWORD})
    new_secret = client.get(ENROL).context["secret"]
    assert new_secret != old_secret
    assert client.post(ENROL, {"code": pyotp.TOTP(old_secret).now()}).status_code == 400
    assert client.post(ENROL, {"code": pyotp.TOTP(new_secret).now()}).status_code == 302
    assert _signed_in(client)
