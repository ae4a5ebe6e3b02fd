"""Event benchmarks: creation over HTTP under concurrent load, and the deadline scan over
a large event table — each next to a baseline measured in the same run."""

from __future__ import annotations

import time
from datetime import timedelta


def _raw_scan_seconds() -> float:
    """The same candidate queries as the scan, as raw SQL: what any scan must at least read."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    active = ["classified", "dispatched", "handling", "handled"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM events_event WHERE due_soon_notified = false AND due_soon_at <= %s "
            "AND handle_due > %s AND state = ANY(%s) AND paused_at IS NULL ORDER BY due_soon_at "
            "LIMIT 500",
            [now, now, active],
        )
        cursor.fetchall()
        for rung, hours in enumerate([72, 24, 0][::-1], start=1):
            cursor.execute(
                "SELECT id FROM events_event WHERE state = ANY(%s) AND paused_at IS NULL "
                "AND handle_due < %s AND overdue_level < %s ORDER BY handle_due LIMIT 500",
                [active, now - timedelta(hours=hours), rung],
            )
            cursor.fetchall()
        cursor.execute(
            "SELECT id FROM events_event WHERE state = 'reported' "
            "AND accept_late_notified = false AND accept_due < %s ORDER BY accept_due LIMIT 500",
            [now],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT id FROM events_event WHERE state = 'closed' AND rated_at IS NULL "
            "AND rating_followup_sent = false AND closed_at < %s ORDER BY closed_at LIMIT 500",
            [now - timedelta(hours=48)],
        )
        cursor.fetchall()
    return time.perf_counter() - started


def bench_scan(total: int) -> dict:
    from gridgov.events.scan import scan

    started = time.perf_counter()
    first = scan()
    first_s = time.perf_counter() - started
    steady, raw = [], []
    for _ in range(5):
        started = time.perf_counter()
        again = scan()
        steady.append(time.perf_counter() - started)
        raw.append(_raw_scan_seconds())
    return {
        "events": total,
        "first_s": first_s,
        "escalated": first.escalated,
        "notified": first.due_soon + first.late_acceptance + first.rating_followups,
        "steady_s": sorted(steady)[len(steady) // 2],
        "raw_s": sorted(raw)[len(raw) // 2],
        "again_escalated": again.escalated,
    }


def bench_http(database_url: str, district, *, workers: int, seconds: int, concurrency: int):
    """Event creation (routing, suggestion, audit, inbox) against GET /api/v1/me, each
    under the same concurrent load from a separate process, on ``workers`` processes."""
    from django.utils import timezone

    from bench.server import generate, gunicorn, lift_api_rate_limits
    from gridgov.accounts.services import token_create
    from gridgov.org.models import Grid, OrgUnit

    operator = district.importer  # community staff of every community: records hotline calls
    operator.password_changed_at = timezone.now()
    operator.save(update_fields=["password_changed_at"])
    _, token = token_create(user=operator, name="bench")
    lift_api_rate_limits(OrgUnit.objects.get(code=district.code))
    boxes = [(g.min_lon, g.min_lat, g.max_lon, g.max_lat) for g in Grid.objects.all()[:500]]
    results = {}
    with gunicorn(database_url, workers=workers) as url:
        for kind in ("baseline", "events"):
            results[kind] = generate(
                "bench.load",
                {
                    "url": url,
                    "token": token,
                    "kind": kind,
                    "seconds": seconds,
                    "concurrency": concurrency,
                    "boxes": boxes,
                },
            )
    return results
