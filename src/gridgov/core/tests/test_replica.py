"""Dashboards and KPI reads go to a real PostgreSQL streaming replica (started by
``scripts/pg-replica``), writes go to the primary, and a dead replica falls back to the
primary without an error."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from gridgov.accounts.roles import Role
from gridgov.core.replica import REPLICA, reading_from_replica, replica_retry_now
from gridgov.org.models import OrgUnit

ROOT = Path(__file__).resolve().parents[4]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="streaming replication: PostgreSQL"
    ),
]


@pytest.fixture(scope="module")
def replica_port():
    port = os.environ.get("GRIDGOV_TEST_REPLICA_PORT", "5433")
    primary = connection.settings_dict
    env = {
        **os.environ,
        "PGREPLICA_PRIMARY_HOST": primary["HOST"] or "127.0.0.1",
        "PGREPLICA_PRIMARY_PORT": str(primary["PORT"] or 5432),
        "PGREPLICA_USER": primary["USER"] or "postgres",
    }
    started = subprocess.run(
        [str(ROOT / "scripts" / "pg-replica"), "start", port],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert started.returncode == 0, started.stderr
    return int(port)


def _allow_alias_in_this_test(alias: str) -> None:
    """The alias exists only inside this test: let Django's test case open it (the case
    class is the one its connection guard closes over)."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    guard = BaseDatabaseWrapper.ensure_connection
    names = guard.__code__.co_freevars
    case = dict(zip(names, (c.cell_contents for c in guard.__closure__ or ()), strict=True))
    if "cls" in case:
        case["cls"].databases = frozenset(case["cls"].databases) | {alias}


@contextmanager
def replica_at(port: int):
    """The ``replica`` alias, pointing at ``port``, for the duration of the block."""
    _allow_alias_in_this_test(REPLICA)
    settings = dict(connections["default"].settings_dict)
    settings.update(HOST="127.0.0.1", PORT=port)
    settings["OPTIONS"] = {**settings.get("OPTIONS", {}), "connect_timeout": 2}
    connections.settings[REPLICA] = settings
    replica_retry_now()
    try:
        yield
    finally:
        try:
            connections[REPLICA].close()
            del connections[REPLICA]
        except AttributeError:
            pass
        del connections.settings[REPLICA]
        replica_retry_now()


def wait_for_replay(timeout: float = 30.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("select pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


def tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def test_dashboard_reads_hit_the_replica_and_writes_the_primary(
    replica_port, org_tree, make_user, login_client, client
):
    staff = make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="replica_reader")
    login_client(staff)
    with replica_at(replica_port):
        wait_for_replay()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("select pg_is_in_recovery(), current_setting('port')")
            assert cursor.fetchone() == (True, str(replica_port))
        with (
            CaptureQueriesContext(connections[REPLICA]) as on_replica,
            CaptureQueriesContext(connection) as on_primary,
        ):
            page = client.get(f"/kpis/dashboard/?unit={org_tree['d1'].code}")
            api = client.get(
                "/api/v1/kpis/events.closure_rate/values",
                {"unit": org_tree["d1"].code, "level": "grid"},
            )
        assert page.status_code == 200 and api.status_code == 200
        # KPI views read the daily figures and their as-of time, never the events.
        assert "kpis_kpidaily" in tables(on_replica) and "kpis_kpirefresh" in tables(on_replica)
        assert "events_event" not in tables(on_replica) + tables(on_primary)
        # The primary served the session and the permission check, not the KPI reads.
        assert "kpis_kpidaily" not in tables(on_primary)
        assert "kpis_kpirefresh" not in tables(on_primary)
        assert "accounts_membership" in tables(on_primary)

        grid = org_tree["g1a"]
        with reading_from_replica() as alias:
            assert alias == REPLICA
            # A write inside the block goes to the primary (the replica is read-only and
            # would refuse it); the replica shows it once replayed.
            OrgUnit.objects.filter(pk=grid.pk).update(name="改名网格")
            with connection.cursor() as cursor:
                cursor.execute("select name from org_orgunit where id = %s", [grid.pk])
                assert cursor.fetchone() == ("改名网格",)
            wait_for_replay()
            assert OrgUnit.objects.get(pk=grid.pk).name == "改名网格"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_dead_replica_falls_back_to_the_primary(
    replica_port, org_tree, make_user, login_client, client, caplog
):
    staff = make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="fallback_reader")
    login_client(staff)
    with replica_at(_closed_port()):
        with CaptureQueriesContext(connection) as on_primary:
            page = client.get(f"/kpis/dashboard/?unit={org_tree['d1'].code}")
        assert page.status_code == 200
        assert "kpis_kpidaily" in tables(on_primary)
        assert "read replica unreachable" in caplog.text
        with reading_from_replica() as alias:
            assert alias == "default"  # not retried until RETRY_SECONDS have passed
