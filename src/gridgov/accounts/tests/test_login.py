from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.utils import timezone

from conftest import TEST_PASSWORD
from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def post_login(client, username, password=TEST_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_success_is_audited_and_rotates_the_session(org_tree, make_user, client):
    user = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="wang")
    client.get(LOGIN)
    before = client.cookies.get("gridgov_session")
    response = post_login(client, "wang")
    assert response.status_code == 302
    assert client.cookies["gridgov_session"].value != (before.value if before else None)
    record = AuditRecord.objects.get(action="accounts.login.success")
    assert record.actor_id == user.pk and record.org_unit_path == org_tree["c1"].path


def test_unknown_user_and_wrong_password_look_identical(org_tree, make_user, client):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="wang")
    wrong = post_login(client, "wang", "nope")
    unknown = post_login(client, "nobody", "nope")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.context["error"] == unknown.context["error"]
    assert AuditRecord.objects.filter(action="accounts.login.fail", outcome="fail").count() == 2


def test_five_failures_lock_for_thirty_minutes(org_tree, make_user, client):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="wang")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert post_login(client, "wang", "bad").status_code == 400
        fifth = post_login(client, "wang", "bad")
        assert "locked" in fifth.context["error"] and "30" in fifth.context["error"]
        right = post_login(client, "wang")
        assert right.status_code == 400 and "locked" in right.context["error"]
    actions = list(
        AuditRecord.objects.filter(action__startswith="accounts.login")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions.count("accounts.login.fail") == 6  # 5 wrong + 1 refused while locked
    assert actions.count("accounts.login.locked") == 1
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert post_login(client, "wang").status_code == 302


def test_unknown_names_lock_too_so_nothing_is_revealed(db, client):
    for _ in range(5):
        post_login(client, "ghost", "bad")
    assert "locked" in post_login(client, "ghost", "bad").context["error"]


def test_per_ip_throttle(org_tree, make_user, client):
    from gridgov.core.services import policy_update

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    policy_update(
        actor=secadmin, key="accounts.login_lockout", value={"ip_max_failures": 10}, note="test"
    )
    for i in range(10):
        post_login(client, f"user{i}", "bad")
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="victim")
    response = post_login(client, "victim")
    assert response.status_code == 400 and "network" in response.context["error"]


def test_spoofed_forwarded_for_is_ignored(org_tree, make_user, client):
    for i in range(3):
        client.post(
            LOGIN, {"username": f"u{i}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        )
    ips = set(AuditRecord.objects.filter(action="accounts.login.fail").values_list("ip", flat=True))
    assert ips == {"127.0.0.1"}


def test_disabled_account_cannot_sign_in_and_says_the_same(org_tree, make_user, client):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="gone", is_active=False)
    response = post_login(client, "gone")
    assert response.status_code == 400
    assert response.context["error"] == post_login(client, "nobody").context["error"]


def test_first_login_forces_a_password_change_everywhere(org_tree, make_user, client):
    user = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="newbie")
    user.must_change_password = True
    user.save()
    post_login(client, "newbie")
    for url in ["/", "/org/units/", "/org/grids/map/", "/accounts/me/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url == "/accounts/password/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    response = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password": "Gr1d-New-Passw0rd?",
            "new_password2": "Gr1d-New-Passw0rd?",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_password_max_age_forces_change(org_tree, make_user, client):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="old")
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        post_login(client, "old")
        assert client.get("/").url == "/accounts/password/"


def test_password_change_ends_other_sessions(org_tree, make_user, client):
    from django.test import Client

    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="li")
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    post_login(other, "li")
    assert other.get("/api/v1/me").status_code == 200
    post_login(client, "li")
    client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password": "Gr1d-New-Passw0rd?",
            "new_password2": "Gr1d-New-Passw0rd?",
        },
    )
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert AuditRecord.objects.filter(action="accounts.password.change").count() == 1


def test_wrong_current_password_and_weak_new_password(org_tree, make_user, login_client):
    user = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="zhao")
    client = login_client(user)
    bad_old = client.post(
        "/accounts/password/",
        {
            "old_password": "x",
            "new_password": "Gr1d-New-Passw0rd?",
            "new_password2": "Gr1d-New-Passw0rd?",
        },
    )
    assert bad_old.status_code == 400 and "old_password" in bad_old.context["errors"]
    weak = client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert weak.status_code == 400 and "new_password" in weak.context["errors"]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_idle_timeout(org_tree, make_user, login_client):
    user = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = login_client(user)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/org/units/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
        assert client.get("/api/v1/me").status_code == 401
    assert AuditRecord.objects.filter(action="accounts.session.expired").exists()


def test_idle_timeout_api_answers_401(org_tree, make_user, login_client):
    user = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = login_client(user)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"


def test_absolute_lifetime(org_tree, make_user, login_client):
    user = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = login_client(user)
    # Active every 20 minutes: never idle, but the 12-hour limit still ends the session.
    for step in range(1, 37):
        with time_machine.travel(start + timedelta(minutes=20 * step), tick=False):
            status = client.get("/").status_code
            if step * 20 <= 12 * 60:
                assert status == 200, step
            else:
                assert status == 302
                break


def test_logout_deletes_the_server_side_session(org_tree, make_user, client):
    from django.contrib.sessions.models import Session

    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="sun")
    post_login(client, "sun")
    key = client.cookies["gridgov_session"].value
    assert Session.objects.filter(session_key=key).exists()
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and "cache" in response["Clear-Site-Data"]
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/api/v1/me").status_code == 401


def test_logout_requires_post(client):
    assert client.get("/accounts/logout/").status_code == 405


class TestTwoFactor:
    def _admin(self, org_tree, make_user, username="sec1"):
        return make_user(Role.SECURITY_ADMIN, org_tree["d1"], username=username)

    def test_admin_without_totp_must_enrol_before_a_session(self, org_tree, make_user, client):
        self._admin(org_tree, make_user)
        response = post_login(client, "sec1")
        assert response.url == "/accounts/login/enrol/"
        assert client.get("/api/v1/me").status_code == 401  # no session yet
        page = client.get("/accounts/login/enrol/")
        assert page.status_code == 200 and "<svg" in page.content.decode()
        secret = page.context["secret"]
        wrong = client.post("/accounts/login/enrol/", {"code": "000000"})
        assert wrong.status_code == 400
        code = pyotp.TOTP(secret).now()
        assert client.post("/accounts/login/enrol/", {"code": code}).status_code == 302
        assert client.get("/api/v1/me").status_code == 200
        assert User.objects.get(username="sec1").totp_confirmed
        assert AuditRecord.objects.filter(action="accounts.otp.enrol").exists()

    def _enrolled(self, org_tree, make_user, username="sec1"):
        from gridgov.accounts.services import otp_begin_enrolment

        user = self._admin(org_tree, make_user, username)
        secret = otp_begin_enrolment(user)
        user.totp_confirmed = True
        user.save()
        return user, secret

    def test_password_alone_gives_no_session(self, org_tree, make_user, client):
        _user, secret = self._enrolled(org_tree, make_user)
        assert post_login(client, "sec1").url == "/accounts/login/verify/"
        assert client.get("/").status_code == 302
        assert client.get("/api/v1/me").status_code == 401
        code = pyotp.TOTP(secret).now()
        assert client.post("/accounts/login/verify/", {"code": code}).status_code == 302
        assert client.get("/api/v1/me").json()["username"] == "sec1"

    def test_replayed_code_is_rejected(self, org_tree, make_user, client):
        from django.test import Client

        _user, secret = self._enrolled(org_tree, make_user)
        code = pyotp.TOTP(secret).now()
        post_login(client, "sec1")
        assert client.post("/accounts/login/verify/", {"code": code}).status_code == 302
        second = Client(HTTP_ACCEPT_LANGUAGE="en")
        post_login(second, "sec1")
        replay = second.post("/accounts/login/verify/", {"code": code})
        assert replay.status_code == 400
        assert second.get("/api/v1/me").status_code == 401

    def test_expired_code_is_rejected(self, org_tree, make_user, client):
        _user, secret = self._enrolled(org_tree, make_user)
        old = pyotp.TOTP(secret).at(timezone.now() - timedelta(minutes=5))
        post_login(client, "sec1")
        assert client.post("/accounts/login/verify/", {"code": old}).status_code == 400

    def test_otp_failures_count_toward_the_lock(self, org_tree, make_user, client):
        self._enrolled(org_tree, make_user)
        post_login(client, "sec1")
        for _ in range(4):
            client.post("/accounts/login/verify/", {"code": "000000"})
        locked = client.post("/accounts/login/verify/", {"code": "000000"})
        assert locked.status_code == 423

    def test_pending_second_step_expires(self, org_tree, make_user, client):
        _user, secret = self._enrolled(org_tree, make_user)
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            post_login(client, "sec1")
        with time_machine.travel(start + timedelta(minutes=6), tick=False):
            code = pyotp.TOTP(secret).now()
            response = client.post("/accounts/login/verify/", {"code": code})
            assert response.status_code == 302 and response.url == "/accounts/login/"

    def test_pending_second_step_lifetime_is_a_policy(self, org_tree, make_user, client):
        from gridgov.core.services import policy_update

        _user, secret = self._enrolled(org_tree, make_user)
        other = make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="sec2")
        policy_update(
            actor=other, key="accounts.two_factor", value={"pending_minutes": 2}, note="test"
        )
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            post_login(client, "sec1")
        with time_machine.travel(start + timedelta(minutes=3), tick=False):
            code = pyotp.TOTP(secret).now()
            response = client.post("/accounts/login/verify/", {"code": code})
            assert response.status_code == 302 and response.url == "/accounts/login/"
            assert client.get("/api/v1/me").status_code == 401

    def test_the_verify_step_does_not_accept_a_pending_secret(self, org_tree, make_user, client):
        """A secret not yet confirmed is no second factor: only enrolment confirms it."""
        self._admin(org_tree, make_user)
        post_login(client, "sec1")
        secret = client.get("/accounts/login/enrol/").context["secret"]
        response = client.post("/accounts/login/verify/", {"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302 and response.url == "/accounts/login/"
        assert client.get("/api/v1/me").status_code == 401

    def test_a_new_sign_in_starts_a_new_pending_secret(self, org_tree, make_user, client):
        from django.test import Client

        self._admin(org_tree, make_user)
        post_login(client, "sec1")
        seen_by_first = client.get("/accounts/login/enrol/").context["secret"]
        second = Client(HTTP_ACCEPT_LANGUAGE="en")
        post_login(second, "sec1")
        assert second.get("/accounts/login/enrol/").context["secret"] != seen_by_first
        assert (
            client.post(
                "/accounts/login/enrol/", {"code": pyotp.TOTP(seen_by_first).now()}
            ).status_code
            == 400
        )

    def test_reset_through_the_api_ends_sessions_and_is_audited(
        self, org_tree, make_user, client, login_client
    ):
        from django.test import Client

        user, _secret = self._enrolled(org_tree, make_user)
        target_session = login_client(user, Client(HTTP_ACCEPT_LANGUAGE="en"))
        secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="sec_api")
        api = login_client(secadmin)
        response = api.delete(f"/api/v1/users/{user.pk}/two-factor")
        assert response.status_code == 204
        user.refresh_from_db()
        assert not user.totp_confirmed and not user.totp_secret_encrypted
        assert target_session.get("/api/v1/me").status_code == 401
        record = AuditRecord.objects.get(action="accounts.otp.reset")
        assert record.changes == {"was_enrolled": True} and record.actor_id == secadmin.pk
        elsewhere = make_user(Role.DISTRICT_STAFF, org_tree["d2"])
        assert api.delete(f"/api/v1/users/{elsewhere.pk}/two-factor").status_code == 404
