"""Dashboard benchmark: the district dashboard page (pre-aggregated KPIs) against the raw
SQL aggregates of the same numbers, measured in the same run."""

from __future__ import annotations

import gc
import statistics
import time
from datetime import timedelta


def _staff(district_code: str):
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.org.models import OrgUnit

    unit = OrgUnit.objects.get(code=district_code)
    user, created = User.objects.get_or_create(
        username="bench_district",
        defaults={"must_change_password": False, "password_changed_at": timezone.now()},
    )
    if created:
        Membership.objects.create(user=user, role=Role.DISTRICT_STAFF, org_unit=unit)
    return user, unit


def _client(user):
    from django.test import Client

    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()
    session.save()
    return client


def bench_dashboard(district_code: str, repeats: int = 30) -> dict:
    from django.conf import settings
    from django.utils import timezone

    from gridgov.kpis import daily, services
    from gridgov.kpis.registry import REGISTRY

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user, unit = _staff(district_code)
    today = timezone.localdate()
    started = time.perf_counter()
    buckets = daily.refresh(today - timedelta(days=400), today + timedelta(days=60))
    rebuild_s = time.perf_counter() - started
    started = time.perf_counter()
    daily.refresh_recent()
    recent_s = time.perf_counter() - started
    client = _client(user)
    # As a WSGI worker does after loading the app (gridgov/wsgi.py).
    gc.collect()
    gc.freeze()
    url = f"/kpis/dashboard/?unit={unit.code}&kpi=events.on_time_closure"
    assert client.get(url).status_code == 200  # warm-up
    page = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        page.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    period = services.parse_period("month")
    kpi = REGISTRY["events.on_time_closure"]
    raw = []
    for _ in range(max(3, repeats // 3)):
        started = time.perf_counter()
        services.dashboard_tiles(actor=user, unit=unit, period=period, live=True)
        services.breakdown(actor=user, kpi=kpi, unit=unit, level="street", period=period, live=True)
        services.breakdown(actor=user, kpi=kpi, unit=unit, level="grid", period=period, live=True)
        raw.append((time.perf_counter() - started) * 1000)
    return {
        "buckets": buckets,
        "rebuild_s": rebuild_s,
        "recent_s": recent_s,
        "p50": statistics.median(page),
        "p95": sorted(page)[min(len(page) - 1, int(0.95 * (len(page) - 1)))],
        "raw_p50": statistics.median(raw),
    }


def dashboard_lines(result: dict, events: int, residents: int) -> list[str]:
    ratio = result["p50"] / max(result["raw_p50"], 1e-6)
    return [
        f"| district dashboard, warm ({events:,} events, {residents:,} residents; daily "
        f"pre-aggregates: {result['buckets']:,} buckets rebuilt in {result['rebuild_s']:.1f} s, "
        f"recent 80 days refreshed in {result['recent_s']:.1f} s) | p50 {result['p50']:.0f} ms, "
        f"p95 {result['p95']:.0f} ms | raw SQL aggregates of the same numbers "
        f"{result['raw_p50']:.0f} ms | {ratio:.2f}× | ≤ 300 ms |",
    ]
