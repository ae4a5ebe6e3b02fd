"""Background tasks on the Redis (RQ) backend, worked by two worker processes at once: the
same task given to both has one effect."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.kpis.models import KpiReport
from gridgov.kpis.reports import report_create

REDIS_URL = os.environ.get("GRIDGOV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="worker processes share the test database: PostgreSQL",
    ),
]


@pytest.fixture
def redis_queue():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    from rq import Queue

    redis = Redis.from_url(REDIS_URL)
    try:
        redis.flushdb()
    except RedisDown:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield Queue("default", connection=redis)
    redis.flushdb()


def _env() -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "GRIDGOV_DATA_DIR": str(settings.DATA_DIR),
        "GRIDGOV_TASKS_IMMEDIATE": "",
    }


def _gridgov(*args: str) -> list[str]:
    return [sys.executable, "-m", "gridgov.manage", *args]


def _enqueue_twice(report_id: int) -> None:
    code = (
        "from gridgov.kpis.tasks import generate_report\n"
        f"for _ in range(2): generate_report.enqueue(report_id={report_id})\n"
    )
    subprocess.run(_gridgov("shell", "-c", code), env=_env(), check=True, timeout=120)


def _two_workers() -> None:
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and command
            _gridgov("rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default"),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-2000:]


def test_the_same_task_on_two_workers_has_one_effect(redis_queue, org_tree, make_user):
    staff = make_user(Role.STREET_STAFF, org_tree["s1"], username="tasks_staff")
    report = report_create(actor=staff, unit=org_tree["c1"], period_date=date(2025, 10, 1))

    _enqueue_twice(report.pk)
    assert redis_queue.count == 2  # both copies wait in Redis, not in the database
    _two_workers()

    assert redis_queue.finished_job_registry.count == 2
    assert redis_queue.failed_job_registry.count == 0
    report.refresh_from_db()
    assert report.status == KpiReport.Status.DONE
    assert AuditRecord.objects.filter(action="kpis.report.generate").count() == 1
    # Given again later, the task still changes nothing.
    _enqueue_twice(report.pk)
    _two_workers()
    assert AuditRecord.objects.filter(action="kpis.report.generate").count() == 1


def test_two_simultaneous_generations_one_wins(org_tree, make_user):
    """The claim itself, with both runs released at the same instant."""
    import threading

    from django.db import connections

    from gridgov.kpis.reports import report_generate

    staff = make_user(Role.STREET_STAFF, org_tree["s1"], username="claim_staff")
    report = report_create(actor=staff, unit=org_tree["c1"], period_date=date(2025, 10, 1))
    barrier = threading.Barrier(2)
    statuses = []

    def run():
        try:
            barrier.wait(timeout=10)
            statuses.append(report_generate(KpiReport.objects.get(pk=report.pk)).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 2 and "done" in statuses
    assert AuditRecord.objects.filter(action="kpis.report.generate").count() == 1
