"""Run a set of child processes as one service: `gridgov start`'s web server, task workers
and periodic jobs.

A stop signal (SIGTERM from a service manager or ``kill PID``, SIGINT from Ctrl+C) is
forwarded to every child; the supervisor waits for them to finish, kills what is still
running after the stop timeout, and only then exits, so no child outlives it. Each child
runs in its own process group: the final kill reaches a child's own children too (gunicorn's
workers), and a terminal's Ctrl+C reaches the children once, through the supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# An auxiliary child that exits on its own is started again, at most this often.
RESTART_INTERVAL_SECONDS = 10.0
_POLL_SECONDS = 0.2


@dataclass
class Child:
    name: str
    argv: list[str]
    # The service ends when its main child ends; the others are restarted.
    main: bool
    popen_options: dict
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = field(default=0)


class ProcessSupervisor:
    """``with ProcessSupervisor(stop_timeout=…) as s: s.spawn(…); code = s.run()``.

    Stop signals are caught from ``__enter__`` on, so a signal that arrives while the
    children are being started still stops them all.
    """

    def __init__(self, *, stop_timeout: float) -> None:
        self.stop_timeout = stop_timeout
        self.children: list[Child] = []
        self.stop_signal: int | None = None
        self._previous_handlers: dict[int, object] = {}

    def __enter__(self) -> ProcessSupervisor:
        for signum in STOP_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_stop_signal)
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.stop(signal.SIGTERM if self.stop_signal is None else self.stop_signal)
        finally:
            for signum, handler in self._previous_handlers.items():
                signal.signal(signum, handler)

    def _on_stop_signal(self, signum, _frame) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum

    def spawn(self, name: str, argv: list[str], *, main: bool = False, **popen_options) -> Child:
        child = Child(name=name, argv=argv, main=main, popen_options=popen_options)
        self.children.append(child)
        if self.stop_signal is None:
            self._start(child)
        return child

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and commands
            child.argv, process_group=0, **child.popen_options
        )
        child.started_at = time.monotonic()

    def run(self) -> int:
        """Block until a stop signal or the main child's exit; stop everything; return the
        exit status of the service (0 after a stop signal, else the main child's)."""
        while self.stop_signal is None:
            for child in self.children:
                code = child.process.poll() if child.process else None
                if code is None:
                    continue
                if child.main:
                    logger.warning("%s exited with status %s: stopping", child.name, code)
                    self.stop(signal.SIGTERM)
                    return code or 1
                self._restart_later(child, code)
            time.sleep(_POLL_SECONDS)
        self.stop(self.stop_signal)
        return 0

    def _restart_later(self, child: Child, code: int) -> None:
        if time.monotonic() - child.started_at < RESTART_INTERVAL_SECONDS:
            return  # a crash loop is slowed down, not spun
        logger.warning("%s exited with status %s: starting it again", child.name, code)
        child.restarts += 1
        self._start(child)

    def stop(self, signum: int) -> None:
        """Forward ``signum`` to every running child, wait up to the stop timeout, then kill
        whatever is left (the child's whole process group)."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            _signal_process(process.pid, signum)
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("pid %s did not stop in time: killed", process.pid)
                # The whole group: a gunicorn master's workers die with it.
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()


def _signal_process(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
