"""The process supervisor behind `gridgov start`: a child that ignores the stop signal is
killed after the timeout together with its own children; the main child's exit stops the
rest. (The signal path end to end: demo/tests/test_start.py.)"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from gridgov.core.supervisor import ProcessSupervisor

# A child that ignores SIGTERM and starts a grandchild that ignores it too.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
print(grandchild.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_child_that_ignores_the_stop_signal_is_killed_with_its_children(tmp_path):
    out = (tmp_path / "grandchild.pid").open("w")
    with ProcessSupervisor(stop_timeout=1) as supervisor:
        child = supervisor.spawn("stubborn", [sys.executable, "-c", STUBBORN], stdout=out)
        deadline = time.monotonic() + 30
        while not (tmp_path / "grandchild.pid").read_text().strip():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        grandchild = int((tmp_path / "grandchild.pid").read_text())
        started = time.monotonic()
        supervisor.stop(signal.SIGTERM)
        assert 1 <= time.monotonic() - started < 10
    out.close()
    assert child.process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_the_main_child_exiting_stops_the_others():
    with ProcessSupervisor(stop_timeout=5) as supervisor:
        helper = supervisor.spawn("helper", [sys.executable, "-c", "import time; time.sleep(600)"])
        supervisor.spawn("main", [sys.executable, "-c", "import sys; sys.exit(3)"], main=True)
        assert supervisor.run() == 3
    assert helper.process.returncode == -signal.SIGTERM
    assert not _alive(helper.process.pid)


def test_a_stop_signal_to_the_supervisor_is_forwarded():
    with ProcessSupervisor(stop_timeout=5) as supervisor:
        helper = supervisor.spawn("helper", [sys.executable, "-c", "import time; time.sleep(600)"])
        supervisor.spawn("main", [sys.executable, "-c", "import time; time.sleep(600)"], main=True)
        os.kill(os.getpid(), signal.SIGTERM)
        assert supervisor.run() == 0
    assert helper.process.returncode == -signal.SIGTERM
    assert all(c.process.poll() is not None for c in supervisor.children)
