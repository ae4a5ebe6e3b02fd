"""Visit benchmarks, each next to a baseline measured in the same run:

- task generation for the whole district (the hourly job, ``tasks_generate_all``) against
  one hand-written SQL query that finds the same due households, after checking that both
  find the same households for the same reasons;
- a phone's outbox of queued visit records sent to ``/api/v1/visits/sync`` in the batches
  the outbox sends (``static/gridgov/outbox.js``: 50 a request) against the same number of
  records sent one by one to the plain create endpoint ``/api/v1/visits``, from a load
  generator in its own process, pinned to another CPU than the server when it can be.

The district's visit history is seeded in bulk SQL (no product path reads how it got
there): most households visited recently, some long ago, some visited with a yearly
indicator left unverified, some with only a returned record, some never; a few already have
an open task and a few have moved out, so the job has something to skip."""

from __future__ import annotations

import random
import time
import uuid
from datetime import timedelta

OUTBOX_BATCH = 50  # static/gridgov/outbox.js sends the waiting records 50 a request
SEEDED_BY = "bench"

# Households by ``id % 20``: 0–9 visited 1–25 days ago (nothing due), 10–13 35–79 days ago
# (monthly indicators out of date), 14–15 100–299 days ago (out of the cycle too), 16
# visited recently but the yearly indicators never verified, 17 only a returned record,
# 18–19 never visited.
SEED_VISITS = """
WITH picked AS (
    SELECT h.id, h.scope_path, h.id %% 20 AS bucket, u.id AS collector_id
    FROM people_household h
    JOIN org_orgunit g ON g.id = h.grid_id
    JOIN accounts_user u ON u.username = 'bench_gw_' || g.code
    WHERE h.id %% 20 < 18
), inserted AS (
    INSERT INTO visits_visit (
        uid, client_uuid, body_hash, household_id, scope_path, collector_id, outcome,
        refusal_reason, note, purpose, channel, notice_given, commitment_signed, started_at,
        ended_at, location_flagged, versions_read, needs, state, round, submitted_at,
        reviewed_at, approved_at, spot_checked, version
    )
    SELECT gen_random_uuid(), gen_random_uuid(), encode(sha256(p.id::text::bytea), 'hex'),
        p.id, p.scope_path, p.collector_id, 'completed', '', '', 'visit', 'app', true, true,
        e.ended - interval '30 minutes', e.ended, false, '{}'::jsonb, '[]'::jsonb,
        CASE WHEN p.bucket = 17 THEN 'returned' ELSE 'approved' END, 1, e.ended,
        e.ended + interval '1 hour',
        CASE WHEN p.bucket = 17 THEN NULL ELSE e.ended + interval '1 hour' END, false, 1
    FROM picked p
    CROSS JOIN LATERAL (
        SELECT %(now)s::timestamptz - make_interval(
            days => CASE
                WHEN p.bucket < 10 THEN 1 + p.id %% 25
                WHEN p.bucket < 14 THEN 35 + p.id %% 45
                WHEN p.bucket < 16 THEN 100 + p.id %% 200
                ELSE 2 + p.id %% 20
            END::int,
            mins => (p.id %% 600)::int
        ) AS ended
    ) e
    RETURNING household_id, scope_path, ended_at, state
)
INSERT INTO visits_indicatorfreshness (household_id, indicator_id, scope_path, verified_at)
SELECT v.household_id, i.id, v.scope_path, v.ended_at
FROM inserted v
JOIN visits_indicator i ON i.is_active AND i.required
WHERE v.state = 'approved' AND NOT (v.household_id %% 20 = 16 AND i.frequency = 'yearly')
"""

SEED_OPEN_TASKS = """
INSERT INTO visits_visittask (
    uid, household_id, scope_path, reason, stale, note, due_date, attempts, status,
    created_by_name, created_at, version
)
SELECT gen_random_uuid(), h.id, h.scope_path, 'requested', '[]'::jsonb, '', %(due)s, 0, 'open',
    %(by)s, %(now)s, 1
FROM people_household h
WHERE h.id %% 50 = 7 AND h.status <> 'moved_out'
"""

# The due households without an open task, and why: what the job must find.
DUE_SQL = """
WITH required AS (
    SELECT id, code,
        CASE frequency WHEN 'weekly' THEN 7 WHEN 'monthly' THEN 30
            WHEN 'quarterly' THEN 90 ELSE 365 END AS days
    FROM visits_indicator WHERE is_active AND required
), households AS (
    SELECT h.id, h.scope_path
    FROM people_household h
    JOIN org_orgunit g ON g.path = h.scope_path AND g.level = 'grid' AND g.is_active
    WHERE h.status <> 'moved_out'
      AND NOT EXISTS (
        SELECT 1 FROM visits_visittask t
        WHERE t.household_id = h.id AND t.scope_path = h.scope_path AND t.status = 'open'
      )
), stale AS (
    SELECT h.id, array_agg(r.code ORDER BY r.code) AS codes
    FROM households h
    CROSS JOIN required r
    LEFT JOIN visits_indicatorfreshness f
        ON f.household_id = h.id AND f.indicator_id = r.id AND f.scope_path = h.scope_path
    WHERE f.verified_at IS NULL OR f.verified_at < %(now)s - make_interval(days => r.days)
    GROUP BY h.id
), visited AS (
    SELECT v.household_id, max(v.ended_at) AS last
    FROM visits_visit v
    JOIN households h ON h.id = v.household_id AND h.scope_path = v.scope_path
    WHERE v.outcome IN ('completed', 'partial') AND v.state <> 'returned'
    GROUP BY v.household_id
)
SELECT h.id, CASE WHEN s.codes IS NULL THEN 'cycle' ELSE 'stale' END, s.codes
FROM households h
LEFT JOIN stale s ON s.id = h.id
LEFT JOIN visited v ON v.household_id = h.id
WHERE s.codes IS NOT NULL OR v.last IS NULL
   OR v.last < %(now)s - make_interval(days => %(cycle)s::int)
"""


def seed_visit_history(now) -> dict:
    """The visit history of every household of the district, in bulk SQL."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gridgov.people.models import Household

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_household SET status = 'moved_out' WHERE mod(id, 97) = 3 "
            "AND status <> 'moved_out'"
        )
        cursor.execute(SEED_VISITS, {"now": now})
        cursor.execute(
            SEED_OPEN_TASKS,
            {"now": now, "due": timezone.localdate(now) + timedelta(days=7), "by": SEEDED_BY},
        )
    with connection.cursor() as cursor:
        for table in (
            "people_household",
            "visits_visit",
            "visits_indicatorfreshness",
            "visits_visittask",
        ):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - our own table names
    return {"households": Household.objects.count(), "seconds": time.perf_counter() - started}


def _raw_due(now, cycle: int) -> tuple[float, dict[int, tuple[str, tuple[str, ...]]]]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(DUE_SQL, {"now": now, "cycle": cycle})
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    return seconds, {hid: (reason, tuple(sorted(codes or ()))) for hid, reason, codes in rows}


def bench_task_generation(repeats: int = 3) -> dict:
    """The scheduled job over every grid, first run (opens the tasks) and steady state
    (finds the same households due and opens nothing), against the raw SQL of the due
    households; the job's tasks are checked against the query's rows."""
    from django.utils import timezone

    from gridgov.core.policies import policy_get
    from gridgov.visits.models import VisitTask
    from gridgov.visits.services import tasks_generate_all

    now = timezone.now()
    seeded = seed_visit_history(now)
    cycle = policy_get("visits.cycle").household_reverify_days
    raw_times, expected = [], None
    for _ in range(repeats):
        seconds, found = _raw_due(now, cycle)
        raw_times.append(seconds)
        assert expected is None or found == expected
        expected = found
    started = time.perf_counter()
    created = tasks_generate_all(now=now)
    first_s = time.perf_counter() - started
    made = {
        hid: (reason, tuple(sorted(stale)))
        for hid, reason, stale in VisitTask.objects.filter(
            status=VisitTask.Status.OPEN, created_by_name="system:visits.tasks"
        ).values_list("household_id", "reason", "stale")
    }
    assert created == len(expected) == len(made), (created, len(expected), len(made))
    assert made == expected, "the job and the raw SQL found different households or reasons"
    steady = []
    for _ in range(repeats):
        started = time.perf_counter()
        again = tasks_generate_all(now=now)
        steady.append(time.perf_counter() - started)
        assert again == 0, again
    _seconds, left = _raw_due(now, cycle)
    assert not left, len(left)  # every due household has its task now
    reasons = {}
    for reason, _codes in expected.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "households": seeded["households"],
        "seed_s": seeded["seconds"],
        "due": len(expected),
        "reasons": reasons,
        "first_s": first_s,
        "steady_s": sorted(steady)[len(steady) // 2],
        "raw_s": sorted(raw_times)[len(raw_times) // 2],
    }


# Sync over HTTP -------------------------------------------------------------------------------


def _value(indicator, rng: random.Random):
    from gridgov.demo.visits import _value

    return _value(indicator, rng)


def _phone_user(grids):
    """A grid worker of the given grids, with an API token (the phone's credentials)."""
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.accounts.services import token_create

    user = User.objects.create(
        username="bench_phone", must_change_password=False, password_changed_at=timezone.now()
    )
    Membership.objects.bulk_create(
        [Membership(user=user, role=Role.GRID_WORKER, org_unit=g) for g in grids]
    )
    _, token = token_create(user=user, name="bench phone")
    return user, token


def _records(households, rng: random.Random) -> list[dict]:
    """What the phone's visit form puts in the outbox (visit_outbox.js): a completed visit
    with the required indicators and some optional ones answered, the members confirmed,
    the versions read and the phone's position."""
    from django.utils import timezone

    from gridgov.people.models import Resident
    from gridgov.visits.models import Indicator

    required = list(Indicator.objects.filter(is_active=True, required=True, sensitivity="normal"))
    optional = list(Indicator.objects.filter(is_active=True, required=False, sensitivity="normal"))
    members: dict[int, list[tuple[str, int]]] = {}
    for hid, uid, version in Resident.objects.filter(
        household__in=[h.pk for h in households], archived_at__isnull=True
    ).values_list("household_id", "uid", "version"):
        members.setdefault(hid, []).append((str(uid), version))
    now = timezone.now()
    records = []
    for household in households:
        mine = members.get(household.pk, [])
        ended = now - timedelta(hours=rng.randint(1, 48), minutes=rng.randint(0, 59))
        building = household.room.building if household.room_id else None
        answers = {i.code: _value(i, rng) for i in required}
        answers |= {i.code: _value(i, rng) for i in rng.sample(optional, min(8, len(optional)))}
        record = {
            "client_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "household": str(household.uid),
            "outcome": "completed",
            "started_at": (ended - timedelta(minutes=rng.randint(10, 40))).isoformat(),
            "ended_at": ended.isoformat(),
            "channel": "app",
            "notice_given": True,
            "commitment_signed": True,
            "versions": {str(household.uid): household.version} | dict(mine),
            "answers": answers,
            "corrections": [{"resident": uid, "confirm": True} for uid, _v in mine[:2]],
        }
        if building is not None and building.lon is not None:
            record["lon"] = building.lon + rng.uniform(-0.0005, 0.0005)
            record["lat"] = building.lat + rng.uniform(-0.0005, 0.0005)
        records.append(record)
    return records


def bench_sync(database_url: str, *, records: int) -> dict:
    """One phone's queued records: the outbox's batches to /api/v1/visits/sync against the
    same number of records one by one to /api/v1/visits, each on its own households."""
    from bench.server import generate, gunicorn, kept_apart
    from gridgov.org.models import OrgUnit
    from gridgov.people.models import Household
    from gridgov.visits.models import Visit

    first = OrgUnit.objects.filter(level="community").order_by("code").first()
    grids = list(OrgUnit.objects.filter(level="grid", parent=first, is_active=True))
    households = list(
        Household.objects.filter(grid__in=grids)
        .exclude(status=Household.Status.MOVED_OUT)
        .select_related("room__building")
        .order_by("pk")[: 2 * records + 2]
    )
    if len(households) < 2 * records + 2:
        raise RuntimeError(f"{len(households)} households in {first.code}: too few")
    _user, token = _phone_user(grids)
    rng = random.Random(500)
    all_records = _records(households, rng)
    # Alternate the households so both sides get a like mix; one record each to warm up.
    warm_plain, warm_sync = all_records[0], all_records[1]
    plain, synced = all_records[2::2], all_records[3::2]
    before = Visit.objects.count()
    with gunicorn(database_url, workers=1) as base:  # one phone sends one request at a time

        def run(requests: list[dict]) -> dict:
            spec = {"url": base, "token": token, "kind": "sequence", "requests": requests}
            return generate("bench.load", spec, errors_fatal=False)

        run(
            [
                {"path": "/api/v1/visits", "body": warm_plain, "records": 1},
                {"path": "/api/v1/visits/sync", "body": {"records": [warm_sync]}, "records": 1},
            ]
        )
        baseline = run([{"path": "/api/v1/visits", "body": r, "records": 1} for r in plain])
        sync = run(
            [
                {
                    "path": "/api/v1/visits/sync",
                    "body": {"records": synced[i : i + OUTBOX_BATCH]},
                    "records": len(synced[i : i + OUTBOX_BATCH]),
                }
                for i in range(0, len(synced), OUTBOX_BATCH)
            ]
        )
    stored = Visit.objects.count() - before
    for label, result in (("plain create", baseline), ("sync", sync)):
        assert result["errors"] == 0 and result["records_ok"] == records, (label, result)
    assert stored == 2 * records + 2, stored
    return {
        "records": records,
        "batch": OUTBOX_BATCH,
        "sync": sync,
        "plain": baseline,
        "pinned": kept_apart(),
    }


def visit_lines(generation: dict, sync: dict, residents: int) -> list[str]:
    g = generation
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in sorted(g["reasons"].items()))
    s, p = sync["sync"], sync["plain"]
    pinned = "server and load generator on separate CPUs" if sync["pinned"] else "not pinned"
    limit = "≤ 60 s" if residents >= 1_000_000 else "≤ 60 s at 1M residents"
    return [
        f"| visit task generation, first run ({g['households']:,} households, {g['due']:,} "
        f"due: {reasons}; history seeded in {g['seed_s']:.1f} s) | {g['first_s']:.2f} s, "
        f"{g['due'] / max(g['first_s'], 1e-6):,.0f} tasks/s | raw SQL finding the same due "
        f"households {g['raw_s'] * 1000:.0f} ms | {g['first_s'] / max(g['raw_s'], 1e-6):.2f}× "
        f"| {limit} |",
        f"| visit task generation, steady state (nothing new due) | "
        f"{g['steady_s'] * 1000:.0f} ms | raw SQL {g['raw_s'] * 1000:.0f} ms | "
        f"{g['steady_s'] / max(g['raw_s'], 1e-6):.2f}× | ≤ 2× raw SQL |",
        f"| visit sync over HTTP: {sync['records']} queued records from one phone, "
        f"{-(-sync['records'] // sync['batch'])} requests of ≤ {sync['batch']} ({pinned}) | "
        f"{s['records_per_s']:.1f} records/s, p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms a "
        f"request, {s['errors']} errors | plain create, {p['requests']} requests: "
        f"{p['records_per_s']:.1f} records/s, p50 {p['p50']:.0f} ms, p95 {p['p95']:.0f} ms | "
        f"{s['records_per_s'] / max(p['records_per_s'], 1e-6):.2f}× | ≥ plain create's "
        f"records/s |",
    ]
