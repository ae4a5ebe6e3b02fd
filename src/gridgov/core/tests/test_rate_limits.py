"""Rate limits on the API, reveals and exports (SECURITY.md G5): 429 with Retry-After and
the API's error body, per account and per token, shared by every process (the database or
Redis, never process memory)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

START = "2026-03-02 10:00:05 +08:00"


def _set_policy(org_tree, make_user, key: str, **values):
    from gridgov.core.policies import REGISTRY
    from gridgov.core.services import policy_update

    admin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    value = REGISTRY[key].schema().model_dump() | values
    policy_update(actor=admin, key=key, value=value, note="test")


def test_api_requests_per_account_are_limited(
    shared_cache, org_tree, make_user, login_client, client
):
    _set_policy(org_tree, make_user, "accounts.rate_limits", api_per_user_per_minute=10)
    user = make_user(Role.GRID_WORKER, org_tree["g1a"])
    with time_machine.travel(START, tick=False) as clock:
        login_client(user)
        assert [client.get("/api/v1/me").status_code for _ in range(10)] == [200] * 10
        refused = client.get("/api/v1/me", headers={"Accept-Language": "en"})
        assert refused.status_code == 429
        # The refused request counts too; the window slides, so the wait may pass its end.
        assert 1 <= int(refused["Retry-After"]) <= 120
        body = refused.json()
        assert set(body) == {"code", "message", "details"}
        assert body["code"] == "too_many_requests" and "try again in" in body["message"]
        zh = client.get("/api/v1/me", headers={"Accept-Language": "zh-hans"}).json()
        assert zh["code"] == "too_many_requests"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["message"])
        # Any operation counts, and any operation is refused while over the limit.
        last = client.get("/api/v1/org-units")
        assert last.status_code == 429
        clock.shift(timedelta(seconds=int(last["Retry-After"]) - 1))
        assert client.get("/api/v1/me").status_code == 429
        clock.shift(timedelta(seconds=int(last["Retry-After"]) + 1))
        login_client(user)
        assert client.get("/api/v1/me").status_code == 200


def test_api_requests_per_token_are_limited(shared_cache, org_tree, make_user, client):
    from gridgov.accounts.services import token_create

    _set_policy(
        org_tree,
        make_user,
        "accounts.rate_limits",
        api_per_token_per_minute=10,
        api_per_user_per_minute=15,
    )
    user = make_user(Role.GRID_WORKER, org_tree["g1a"])
    _, first = token_create(user=user, name="first")
    _, second = token_create(user=user, name="second")
    with time_machine.travel(START, tick=False):

        def call(token):
            return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

        assert [call(first).status_code for _ in range(10)] == [200] * 10
        refused = call(first)
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
        # Another token of the same account has its own budget…
        assert [call(second).status_code for _ in range(4)] == [200] * 4
        # …but the account's limit covers all its tokens together (11 + 4 = 15 so far).
        assert call(second).status_code == 429


def test_reveals_per_minute_are_limited(shared_cache, org_tree, make_user, login_client, client):
    from gridgov.people.services import household_create, resident_create

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    household = household_create(
        actor=staff, grid=org_tree["g1a"], number="R1", address="1号", kind="family"
    )
    resident = resident_create(
        actor=staff,
        household=household,
        data={
            "name": "王明",
            "id_type": "none",
            "sex": "M",
            "birth_date": "1980-01-01",
            "phone": "13912345678",
            "relation": "head",
            "registration": "permanent",
        },
    )
    with time_machine.travel(START, tick=False) as clock:
        login_client(staff)
        url = f"/api/v1/residents/{resident.uid}/reveal"
        payload = {"field": "phone", "reason": "回访"}
        for _ in range(10):
            assert client.post(url, payload, content_type="application/json").status_code == 200
        refused = client.post(url, payload, content_type="application/json")
        assert refused.status_code == 429 and refused.json()["code"] == "too_many_requests"
        # The web page's reveal button is the same service, under the same limit.
        page = client.post(f"/people/residents/{resident.uid}/reveal/", payload)
        assert page.status_code == 429 and int(page["Retry-After"]) >= 1
        clock.shift(timedelta(minutes=2))
        login_client(staff)
        assert client.post(url, payload, content_type="application/json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted(shared_cache):
    """Four threads, each with its own database connection (as separate processes would
    have), hit one counter at once: no hit is lost, on the database and on Redis."""
    from django.db import connection

    from gridgov.core.ratelimit import rate_hit, rate_usage

    if shared_cache == "database" and connection.vendor == "sqlite":
        # The in-memory test database locks whole tables across connections; a SQLite file
        # serialises writers with IMMEDIATE transactions, so one UPDATE is atomic there.
        pytest.skip("concurrent writers: PostgreSQL (and Redis)")
    errors = []

    def worker():
        try:
            for _ in range(25):
                rate_hit("test:concurrent", limit=1000, window_seconds=3600)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel("2026-03-02 10:00:00 +08:00", tick=False):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert rate_usage("test:concurrent", limit=1000, window_seconds=3600).count == 100


def test_the_window_slides(shared_cache):
    """Half a window after a full window of hits, half of them still count."""
    from gridgov.core.ratelimit import rate_hit, rate_usage

    with time_machine.travel("2026-03-02 10:00:00 +08:00", tick=False) as clock:
        usage = rate_hit("test:slide", limit=10, window_seconds=60, amount=10)
        assert usage.count == 10 and not usage.exceeded and usage.retry_after > 0
        assert rate_hit("test:slide", limit=10, window_seconds=60).exceeded
        clock.shift(timedelta(seconds=90))  # half-way through the next window
        usage = rate_usage("test:slide", limit=10, window_seconds=60)
        assert usage.count == pytest.approx(5.5)
        clock.shift(timedelta(seconds=30))
        assert rate_usage("test:slide", limit=10, window_seconds=60).count == 0


def test_exports_per_hour_are_limited(shared_cache, org_tree, make_user, login_client, client):
    _set_policy(org_tree, make_user, "accounts.rate_limits", exports_per_hour=2)
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    with time_machine.travel(START, tick=False) as clock:
        login_client(staff)
        for _ in range(2):
            response = client.post("/people/residents/export/", {"format": "csv"})
            assert response.status_code == 200
        refused = client.post("/people/residents/export/", {"format": "csv"})
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 60
        assert "Too many requests" in refused.content.decode()
        clock.shift(timedelta(hours=2))
        login_client(staff)
        assert client.post("/people/residents/export/", {"format": "csv"}).status_code == 200
