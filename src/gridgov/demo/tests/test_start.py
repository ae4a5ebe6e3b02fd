"""`gridgov start` as an operator runs it: stopped by its PID with SIGTERM (or Ctrl+C), it
stops every process it started, frees its port and exits.

The server under test always uses SQLite in a temporary data directory: what is tested is
process supervision, which does not depend on the database of the test run."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
# The processes `gridgov start` is expected to run next to itself.
EXPECTED_CHILDREN = (
    "gunicorn",
    "db_worker",
    "events_scan",
    "kpis_check_alerts",
    "backup --schedule",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _port_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _session_processes(session_id: int) -> dict[int, str]:
    """Live processes (not zombies) of a session, read from /proc: pid → command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue  # gone meanwhile
        # Fields after the command name in parentheses: state, ppid, pgrp, session, …
        state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == session_id and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def _kill_leftovers(session_id: int) -> None:
    for pid in _session_processes(session_id):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _environment(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "GRIDGOV_REPLICA_URL", "GRIDGOV_MODE"}
    }
    env["GRIDGOV_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture(scope="module")
def prepared_data_dir(tmp_path_factory) -> Path:
    """A data directory `gridgov start --no-serve` has prepared (migrated, static files
    collected, demo seeded), copied by each test so that its start is quick."""
    data_dir = tmp_path_factory.mktemp("prepared") / "data"
    subprocess.run(
        [sys.executable, "-m", "gridgov.manage", "start", "--no-serve"],
        env=_environment(data_dir),
        check=True,
        capture_output=True,
        timeout=1500,  # the demo seed, beside the other database's run on a busy machine
    )
    return data_dir


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_every_child_and_frees_the_port(
    tmp_path, prepared_data_dir, stop_signal
):
    port = _free_port()
    shutil.copytree(prepared_data_dir, tmp_path / "data")
    env = _environment(tmp_path / "data")
    log = (tmp_path / "start.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gridgov.manage",
            "start",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--task-workers",
            "1",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own session, so everything it starts can be found (and cleaned up) by session.
        start_new_session=True,
    )
    session_id = server.pid
    try:
        deadline = time.monotonic() + 240
        children: dict[int, str] = {}
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "start.log").read_text()[-3000:]
            children = {
                pid: cmd for pid, cmd in _session_processes(session_id).items() if pid != server.pid
            }
            started = all(
                any(name in cmd for cmd in children.values()) for name in EXPECTED_CHILDREN
            )
            # gunicorn listens before it forks its worker: wait for the worker too.
            gunicorns = sum("gunicorn" in cmd for cmd in children.values())
            if started and gunicorns >= 2 and _port_answers(port):
                break
            time.sleep(0.5)
        else:
            pytest.fail("gridgov start did not come up: " + (tmp_path / "start.log").read_text())

        server.send_signal(stop_signal)
        status = server.wait(timeout=60)

        remaining = _session_processes(session_id)
        assert remaining == {}, f"left running after {stop_signal.name}: {remaining}"
        assert status == 0, (tmp_path / "start.log").read_text()[-3000:]
        assert _port_is_free(port)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        _kill_leftovers(session_id)
        log.close()
