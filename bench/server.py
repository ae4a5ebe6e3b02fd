"""The HTTP benchmarks' two processes: gunicorn serving GridGov, and a load generator in a
process of its own. On a machine with several CPUs they are kept apart (the generator on the
last CPU, the server on the others) so the generator does not compete for the CPU it
measures; both the benchmark and its baseline run under the same arrangement."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpus() -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, generator CPUs), or (None, None) where they cannot be kept apart."""
    try:
        available = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None
    if len(available) < 2:
        return None, None
    return set(available[:-1]), {available[-1]}


def _pinned(cpus: set[int] | None):
    if cpus is None:
        return None
    return lambda: (os.setsid(), os.sched_setaffinity(0, cpus))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@contextmanager
def gunicorn(database_url: str, *, workers: int) -> Iterator[str]:
    """GridGov under gunicorn with ``workers`` processes; yields its base URL."""
    server_cpus, _ = _cpus()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "gridgov.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "3",
        ],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=ROOT / "src",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_pinned(server_cpus),  # noqa: PLW1509 - no threads started yet
        start_new_session=server_cpus is None,
    )
    try:
        wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def generate(module: str, spec: dict, *, errors_fatal: bool = True) -> dict:
    """Run ``python -m <module>`` with ``spec`` as JSON on stdin; its JSON result. Refused
    requests are fast: counted as throughput they would measure nothing, so any is fatal
    (unless the caller checks them itself)."""
    _, generator_cpus = _cpus()
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", module],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        preexec_fn=_pinned(generator_cpus),  # noqa: PLW1509
    )
    if out.returncode:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout)
    if errors_fatal and result["errors"]:
        raise RuntimeError(
            f"{spec.get('kind')}: {result['errors']} of {result['requests']} requests failed "
            f"(by status: {result.get('refused')})"
        )
    return result


def kept_apart() -> bool:
    return _cpus()[0] is not None


def affinity_note() -> str:
    server_cpus, generator_cpus = _cpus()
    if server_cpus is None:
        return "server and load generator share the CPUs"
    return f"server on CPU {sorted(server_cpus)}, load generator on CPU {sorted(generator_cpus)}"


def lift_api_rate_limits(unit) -> None:
    """The load is one account's token from many threads: far above the per-account and
    per-token API limits (policy accounts.rate_limits), which would answer 429 — fast
    refusals that measure nothing. The benchmark raises them, as a security admin would for
    a trusted integration, through the policy service."""
    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.core.services import policy_update

    admin, _ = User.objects.get_or_create(username="bench_secadmin")
    Membership.objects.get_or_create(user=admin, role=Role.SECURITY_ADMIN, org_unit=unit)
    policy_update(
        actor=admin,
        key="accounts.rate_limits",
        value={"api_per_user_per_minute": 100_000, "api_per_token_per_minute": 100_000},
        note="benchmark load from one token",
    )


def drive(items: list, concurrency: int, send) -> dict:
    """The load generator's loop: ``concurrency`` threads take the items one at a time and
    call ``send(session, item)`` → (HTTP status, ok); throughput, p95 latency and errors."""
    import threading

    import requests

    queue = list(items)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            begun = time.perf_counter()
            status, ok = send(session, item)
            elapsed = (time.perf_counter() - begun) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    began = time.time()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds if seconds else 0,
        "p95_ms": p95,
        "errors": sum(errors.values()),
        "refused": errors,
        "began": began,
    }
