"""The review's "600 fast reads": one grid worker's script reads resident records as fast as
it can. Past the mass-access limit (policy ``accounts.mass_access``, default 500 residents
in 5 minutes) both the security and the audit administrator get an inbox notice, the audit
trail records the detection, and the account's further reads of residents are refused with
429 and Retry-After until the pause ends (SECURITY.md F10). Run with the database cache and
with Redis: the counters are shared by every app process."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

START = "2026-03-02 10:00 +08:00"


@pytest.fixture
def registry(org_tree, make_user):
    """Twenty residents in four households of grid g1a."""
    from gridgov.people.services import household_create, resident_create

    keeper = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    residents, households = [], []
    for h in range(4):
        household = household_create(
            actor=keeper, grid=org_tree["g1a"], number=f"F{h}", address=f"{h}号", kind="family"
        )
        households.append(household)
        for r in range(5):
            residents.append(
                resident_create(
                    actor=keeper,
                    household=household,
                    data={
                        "name": f"{'赵钱孙李'[h]}{'一二三四五'[r]}明",
                        "id_type": "none",
                        "sex": "F",
                        "birth_date": "1970-02-02",
                        "phone": f"139{h:04d}{r:04d}",
                        "relation": "head" if r == 0 else "other",
                        "registration": "permanent",
                    },
                )
            )
    return households, residents


@pytest.fixture
def admins(org_tree, make_user):
    return {
        "security": make_user(Role.SECURITY_ADMIN, org_tree["d1"], username="sec_d1"),
        "audit": make_user(Role.AUDIT_ADMIN, org_tree["d1"], username="aud_d1"),
        "other_district": make_user(Role.SECURITY_ADMIN, org_tree["d2"], username="sec_d2"),
    }


def _inbox(user) -> list[str]:
    from gridgov.core.models import Notification

    return list(
        Notification.objects.filter(recipient=user, kind="mass_access").values_list(
            "message", flat=True
        )
    )


def test_600_fast_reads_alert_both_admins_and_pause_the_account(
    shared_cache, registry, admins, org_tree, make_user, login_client, client
):
    from django.test import Client

    from gridgov.audit.models import AuditRecord

    households, residents = registry
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="fast_reader")
    colleague = make_user(Role.GRID_WORKER, org_tree["g1a"], username="colleague")
    with time_machine.travel(START, tick=False) as clock:
        login_client(worker)
        statuses = []
        for i in range(600):
            uid = residents[i % len(residents)].uid
            response = client.get(f"/api/v1/residents/{uid}")
            statuses.append(response.status_code)
        # Reads 1-500 are served; the 501st crosses the limit and everything after it waits.
        assert statuses[:500] == [200] * 500
        assert set(statuses[500:]) == {429}

        refused = client.get(f"/api/v1/residents/{residents[0].uid}")
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 30 * 60
        body = refused.json()
        assert set(body) == {"code", "message", "details"} and body["code"] == "access_paused"
        assert "paused" in body["message"]
        zh = client.get(
            f"/api/v1/residents/{residents[0].uid}", headers={"Accept-Language": "zh-hans"}
        ).json()["message"]
        assert zh != body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in zh)

        # Every way of reading residents is paused, not only the one the script used.
        assert client.get("/api/v1/residents?limit=5").status_code == 429
        assert client.get(f"/people/households/{households[0].uid}/").status_code == 429
        assert client.get("/people/residents/").status_code == 429
        # The account may still do other work; other accounts read as before.
        assert client.get("/api/v1/me").status_code == 200
        other = login_client(colleague, Client(HTTP_ACCEPT_LANGUAGE="en"))
        assert other.get(f"/api/v1/residents/{residents[0].uid}").status_code == 200

        # Both administrators over the worker's district are told, once; the other
        # district's security administrator is not.
        for role in ("security", "audit"):
            messages = _inbox(admins[role])
            assert len(messages) == 1 and "fast_reader" in messages[0], role
        assert _inbox(admins["other_district"]) == []

        # The audit trail holds the detection, with the numbers behind it.
        records = AuditRecord.objects.filter(action="accounts.access.mass_detected")
        assert records.count() == 1
        record = records.get()
        assert record.actor_name == "fast_reader" and record.outcome == "fail"
        assert record.changes["kind"] == "resident_reads"
        assert record.changes["count"] > record.changes["limit"] == 500
        assert record.changes["window_minutes"] == 5
        assert sorted(record.changes["alerted"]) == ["aud_d1", "sec_d1"]
        # …which the audit administrator reads like any other record.
        auditor = login_client(admins["audit"], Client(HTTP_ACCEPT_LANGUAGE="en"))
        listed = auditor.get("/api/v1/audit-records?action=accounts.access").json()
        assert [r["actor_name"] for r in listed["items"]] == ["fast_reader"]

        # The pause lasts 30 minutes (policy), then reads are served again.
        clock.shift(timedelta(minutes=29))
        login_client(worker)
        assert client.get(f"/api/v1/residents/{residents[0].uid}").status_code == 429
        clock.shift(timedelta(minutes=2))
        login_client(worker)
        assert client.get(f"/api/v1/residents/{residents[0].uid}").status_code == 200
        assert timezone.now() > record.created_at + timedelta(minutes=30)


def test_reads_spread_below_the_limit_are_never_paused(
    shared_cache, registry, org_tree, make_user, login_client, client
):
    """The window slides: 80 residents a minute (400 in any 5 minutes, below 500) for half an
    hour raise no alert."""
    from gridgov.audit.models import AuditRecord

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="steady_reader")
    with time_machine.travel(START, tick=False) as clock:
        for _minute in range(30):
            login_client(worker)
            for _i in range(4):
                response = client.get("/api/v1/residents?limit=20")
                assert response.status_code == 200, response.content
            clock.shift(timedelta(minutes=1))
    assert not AuditRecord.objects.filter(action="accounts.access.mass_detected").exists()


def test_straddling_the_window_boundary_does_not_double_the_limit(
    shared_cache, registry, org_tree, make_user, login_client, client
):
    """Reading 400 residents just before a window ends and 400 just after is 800 within a
    minute: detected, although each fixed window alone holds fewer than 500."""
    _, residents = registry
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="boundary_reader")
    with time_machine.travel("2026-03-02 10:04:50 +08:00", tick=False) as clock:
        login_client(worker)
        for _i in range(20):
            assert client.get("/api/v1/residents?limit=20").status_code == 200
        clock.shift(timedelta(seconds=20))
        statuses = [client.get("/api/v1/residents?limit=20").status_code for _i in range(20)]
    assert 429 in statuses


def test_mass_reveals_alert_and_pause_reads_and_exports(
    shared_cache, registry, admins, org_tree, make_user, login_client, client
):
    """Revealing more full values than the policy allows in its window (default 100 an
    hour) is mass access too; reveals are also limited to 10 a minute, so the script here
    reveals 10 every other minute."""
    from gridgov.audit.models import AuditRecord

    households, residents = registry
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="collector")
    statuses = []
    with time_machine.travel(START, tick=False) as clock:
        for minute in range(11):
            login_client(staff)
            for i in range(10):
                resident = residents[(minute * 10 + i) % len(residents)]
                response = client.post(
                    f"/api/v1/residents/{resident.uid}/reveal",
                    {"field": "phone", "reason": "电话回访"},
                    content_type="application/json",
                )
                statuses.append(response.status_code)
            clock.shift(timedelta(minutes=2))
        assert statuses[:100] == [200] * 100 and set(statuses[100:]) == {429}
        record = AuditRecord.objects.get(action="accounts.access.mass_detected")
        assert record.changes["kind"] == "reveals" and record.changes["limit"] == 100
        for role in ("security", "audit"):
            assert len(_inbox(admins[role])) == 1
        # Paused: no reading of residents, no export either.
        login_client(staff)
        assert client.get(f"/people/households/{households[0].uid}/").status_code == 429
        export = client.post("/people/residents/export/", {"format": "csv"})
        assert export.status_code == 429 and int(export["Retry-After"]) > 0
