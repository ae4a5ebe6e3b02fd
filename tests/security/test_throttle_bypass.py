"""The review's sign-in throttling bypass (SECURITY.md A4), replayed from one address.

Locking an account used to delete the failure rows the per-address counter counts, so a
single address could lock every account of the platform without ever being throttled.
"""

from __future__ import annotations

import pytest

from conftest import TEST_PASSWORD
from gridgov.accounts.models import LoginLock
from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.policies import policy_get

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


def _attempt(client, username, password="wrong-password", ip=ATTACKER):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _throttled(response) -> bool:
    return response.status_code == 400 and "network" in response.content.decode()


def _locked_names() -> set[str]:
    return set(LoginLock.objects.values_list("username", flat=True))


@pytest.fixture
def victims(org_tree, make_user):
    return [
        make_user(Role.GRID_WORKER, org_tree["g1a"], username=f"victim{i}").username
        for i in range(12)
    ]


def test_one_address_cannot_lock_account_after_account(victims, org_tree, make_user, client):
    from gridgov.core.models import Notification

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="flood_sec")
    policy = policy_get("accounts.login_lockout")
    for name in victims:
        for _ in range(policy.max_failures):
            _attempt(client, name)
    locked = _locked_names()
    assert 1 <= len(locked) <= policy.ip_max_lockouts
    assert _throttled(_attempt(client, victims[-1]))

    # Alerted: one audit record and a notice in the security administrator's inbox.
    alert = AuditRecord.objects.get(action="accounts.login.ip_throttled")
    assert alert.outcome == "fail" and alert.changes["ip"] == ATTACKER
    notice = Notification.objects.get(recipient=secadmin)
    assert ATTACKER in notice.message

    # A colleague elsewhere still signs in to an account the flood did not lock.
    spared = next(name for name in victims if name not in locked)
    assert _attempt(client, spared, TEST_PASSWORD, ip=COLLEAGUE).status_code == 302


def test_the_address_counter_survives_the_locks_it_causes(victims, org_tree, make_user, client):
    from gridgov.core.services import policy_update

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="flood_sec")
    policy_update(
        actor=secadmin, key="accounts.login_lockout", value={"ip_max_failures": 10}, note="test"
    )
    for name in victims[:2]:
        for _ in range(5):
            _attempt(client, name)
    assert _locked_names() == set(victims[:2])
    # Ten failures from this address in the window, even though both accounts locked.
    assert _throttled(_attempt(client, victims[2]))
    assert victims[2] not in _locked_names()


def test_a_success_on_ones_own_account_does_not_reset_the_address(org_tree, make_user, client):
    from gridgov.core.services import policy_update

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="flood_sec")
    policy_update(
        actor=secadmin, key="accounts.login_lockout", value={"ip_max_failures": 10}, note="test"
    )
    make_user(Role.VOLUNTEER, org_tree["c1"], username="mallory")
    for _round in range(2):
        for _ in range(4):
            _attempt(client, "mallory")
        assert _attempt(client, "mallory", TEST_PASSWORD).status_code == 302
        client.post("/accounts/logout/")
    _attempt(client, "mallory")
    _attempt(client, "mallory")  # ten failures from this address, none consecutive beyond 4
    assert _throttled(_attempt(client, "mallory", TEST_PASSWORD))
