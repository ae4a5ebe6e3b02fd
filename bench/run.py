"""GridGov benchmarks: every figure next to a baseline measured in the same run.

    .venv/bin/python -m bench.run --size small|full [--database-url postgres://…]
    .venv/bin/python -m bench.run --size small|full --only visits   (the visit benchmarks)
    .venv/bin/python -m bench.run --size smoke|small|full --only matching   (no database)
    .venv/bin/python -m bench.run --size smoke|small|full --only votes   (casting over HTTP)
    .venv/bin/python -m bench.run --size smoke|small|full --only heartbeats   (devices over HTTP)
    .venv/bin/python -m bench.run --size smoke|small|full --only coverage   (the 15-minute circle)
    .venv/bin/python -m bench.run --size smoke|small|full --only ledger   (ledger verification)
    .venv/bin/python -m bench.run --size smoke|small|full --only chat   (chat exports read)
    .venv/bin/python -m bench.run --size smoke|small|full --only scoring   (chat groups' month)

Creates a fresh database (``gridgov_bench``) on the PostgreSQL server, builds a synthetic
district through the product's own paths, and appends the results to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"smoke": 2_000, "small": 20_000, "full": 1_000_000}


def machine_info(cursor=None) -> str:
    pg = "not used"
    if cursor is not None:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, PostgreSQL {pg}, "
        f"Python {platform.python_version()}"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def recreate_database(admin_url: str, name: str) -> str:
    import psycopg

    if name in {"postgres", "template0", "template1", admin_url.rsplit("/", 1)[1]}:
        raise SystemExit(f"refusing to drop {name!r}: give the benchmark a database of its own")
    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def bench_import(district, csv_path: Path, rows: int, database_url: str) -> dict:
    """The product's import (validation, SM4 encryption, blind indexes, de-duplication,
    history, audit) in its own process, against COPY of the same rows into the same tables."""
    from gridgov.demo.district import queue_import

    job = queue_import(district, csv_path)
    env = {**os.environ, "DATABASE_URL": database_url}
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-c",
            "import resource,sys,django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
            "'gridgov.settings');django.setup();from django.core.management import call_command;"
            f"call_command('run_import','{job.uid}');"
            "print('MAXRSS',resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT / "src",
    )
    product_seconds = time.perf_counter() - started
    maxrss_mb = int(result.stdout.split("MAXRSS")[1].strip()) / 1024
    job.refresh_from_db()
    assert job.status == "done" and job.created_rows == rows, (
        job.status,
        job.message,
        job.created_rows,
    )
    copy_seconds = _copy_same_rows(rows)
    return {
        "rows": rows,
        "product_s": product_seconds,
        "product_rps": rows / product_seconds,
        "copy_s": copy_seconds,
        "copy_rps": rows / copy_seconds,
        "ratio": (rows / product_seconds) / (rows / copy_seconds),
        "maxrss_mb": maxrss_mb,
    }


def _copy_same_rows(rows: int) -> float:
    """COPY the stored resident rows (same columns, same values) into a copy of the table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_resident_copy")
        cursor.execute("CREATE TABLE bench_resident_copy (LIKE people_resident INCLUDING ALL)")
        raw = cursor.connection
        buffer = []
        with raw.cursor().copy("COPY (SELECT * FROM people_resident) TO STDOUT") as copy:
            for chunk in copy:
                buffer.append(bytes(chunk))
        data = b"".join(buffer)
        started = time.perf_counter()
        with raw.cursor().copy("COPY bench_resident_copy FROM STDIN") as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_resident_copy")
    return seconds


def bench_search(district, repeats: int = 60) -> dict:
    """Scoped resident search pages against the raw SQL of the same page."""
    from django.db import connection

    from gridgov.people.selectors import ResidentFilters, resident_list

    results = {}
    for label, actor in [
        ("grid worker", district.grid_worker),
        ("street staff", district.street_staff),
    ]:
        actor.forget_memberships()
        queries = [
            ResidentFilters(),
            ResidentFilters(q="张"),
            ResidentFilters(q="zw"),
            ResidentFilters(age="80+"),
        ]
        product, raw = [], []
        for i in range(repeats):
            filters = queries[i % len(queries)]
            started = time.perf_counter()
            qs = resident_list(actor=actor, filters=filters)
            page = list(qs[:25])
            total = qs.count()
            product.append((time.perf_counter() - started) * 1000)
            sql, params = qs[:25].query.sql_with_params()
            count_sql, count_params = qs.query.get_compiler(using="default").as_sql()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()
                # The compiled SQL of the product's own query, not user input.
                cursor.execute(f"SELECT COUNT(*) FROM ({count_sql}) q", count_params)  # noqa: S608
                cursor.fetchone()
            raw.append((time.perf_counter() - started) * 1000)
            assert len(page) <= 25 and total >= 0
        results[label] = {
            "p50": statistics.median(product),
            "p95": percentile(product, 95),
            "raw_p50": statistics.median(raw),
            "raw_p95": percentile(raw, 95),
            "ratio_p95": percentile(product, 95) / max(percentile(raw, 95), 0.001),
        }
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "GRIDGOV_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data" / "divisions"))
    parser.add_argument("--no-record", action="store_true", help="do not append BENCHMARKS.md")
    parser.add_argument(
        "--database-name",
        default="gridgov_bench",
        help="the database the benchmark creates (and drops first)",
    )
    parser.add_argument(
        "--dashboard-only",
        action="store_true",
        help="rerun the dashboard benchmark on the district left by a full run",
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="rerun the search benchmark on the district left by a full run",
    )
    parser.add_argument(
        "--only",
        choices=[
            "visits",
            "matching",
            "votes",
            "heartbeats",
            "coverage",
            "ledger",
            "chat",
            "scoring",
        ],
        help="build the district and run only these benchmarks",
    )
    args = parser.parse_args(argv)
    rows = SIZES[args.size]
    if args.only == "visits":
        return _visits_only(args)
    if args.only == "matching":
        return _matching_only(args)
    if args.only == "votes":
        return _http_only(args, "votes only", _bench_votes)
    if args.only == "heartbeats":
        return _http_only(args, "device heartbeats only", _bench_heartbeats)
    if args.only == "coverage":
        return _coverage_only(args)
    if args.only == "ledger":
        return _ledger_only(args)
    if args.only == "chat":
        return _chat_only(args)
    if args.only == "scoring":
        return _scoring_only(args)
    if args.search_only:
        return _search_only(args)
    if args.dashboard_only:
        return _dashboard_only(args)
    url = recreate_database(args.database_url, args.database_name)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from gridgov.core.staticfiles import collectstatic_if_changed

        collectstatic_if_changed()  # pages name the fingerprinted assets
        from gridgov.demo.district import build_district, write_resident_csv

        t0 = time.perf_counter()
        district = build_district(residents=rows, shared=Path(args.shared), workdir=Path(tmp))
        csv_path = Path(tmp) / "residents.csv"
        write_resident_csv(csv_path, district, rows)
        setup_s = time.perf_counter() - t0
        with connection.cursor() as cursor:
            info = machine_info(cursor)
        imported = bench_import(district, csv_path, rows, url)
        search = bench_search(district)
        from bench import events as event_bench
        from gridgov.demo.district import generate_events, seed_staff

        staff = seed_staff(district)
        generated_s = generate_events(staff, rows)
        scan = event_bench.bench_scan(rows)
        smoke = args.size == "smoke"
        from bench import kpis as kpi_bench

        dashboard = kpi_bench.bench_dashboard(district.code)
        from bench import pages as page_bench

        weight = page_bench.bench_page_weight(district.grids[0].code)
        http = event_bench.bench_http(
            url,
            district,
            workers=2 if smoke else 4,
            seconds=3 if smoke else 20,
            concurrency=2 if smoke else 16,
        )
        from bench import visits as visit_bench

        generation = visit_bench.bench_task_generation()
        sync = visit_bench.bench_sync(url, records=100 if smoke else 500)
        from bench import matching as matching_bench

        matched = matching_bench.bench_matching(args.size)
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · size {args.size} ({rows:,} residents)",
        f"Machine: {info}",
        f"District built in {setup_s:.1f} s ({len(district.grids)} grids).",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        f"| resident import | {imported['product_rps']:,.0f} rows/s "
        f"({imported['product_s']:.1f} s, peak RSS {imported['maxrss_mb']:.0f} MB) | "
        f"COPY {imported['copy_rps']:,.0f} rows/s "
        f"({imported['copy_s']:.2f} s) | {imported['ratio']:.1%} | ≥ 50 % of COPY |",
    ]
    lines += _search_lines(search)
    lines += _event_lines(scan, http, generated_s)
    lines += kpi_bench.dashboard_lines(dashboard, rows, rows)
    lines += page_bench.page_weight_lines(weight)
    lines += visit_bench.visit_lines(generation, sync, rows)
    lines += matching_bench.matching_lines(matched)
    return _record("\n".join(lines) + "\n", args)


def _matching_only(args) -> int:
    """The matching benchmark alone: a synthetic district's needs and resources, no database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    sys.path.insert(0, str(ROOT / "src"))
    from bench import matching as matching_bench

    result = matching_bench.bench_matching(args.size)
    needs, resources = matching_bench.SIZES[args.size]
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · matching only, size {args.size} "
        f"({needs:,} needs, {resources:,} resources)",
        f"Machine: {machine_info()}",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        *matching_bench.matching_lines(result),
    ]
    return _record("\n".join(lines) + "\n", args)


def _bench_votes(url: str, size: str) -> list[str]:
    from bench import votes as votes_bench

    return votes_bench.votes_lines(votes_bench.bench_votes(url, size))


def _bench_heartbeats(url: str, size: str) -> list[str]:
    from bench import heartbeats as heartbeat_bench

    return heartbeat_bench.heartbeat_lines(heartbeat_bench.bench_heartbeats(url, size))


def _http_only(args, title: str, measure) -> int:
    """An HTTP benchmark next to a plain authenticated GET, in one fresh database served by
    gunicorn; ``measure(url, size)`` returns its table lines."""
    url = recreate_database(args.database_url, args.database_name)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        sys.path.insert(0, str(ROOT))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from gridgov.core.staticfiles import collectstatic_if_changed

        collectstatic_if_changed()  # the server's pages name the fingerprinted assets
        from django.db import connection

        table = measure(url, args.size)
        with connection.cursor() as cursor:
            info = machine_info(cursor)
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · {title}, size {args.size}",
        f"Machine: {info}",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        *table,
    ]
    return _record("\n".join(lines) + "\n", args)


def _ledger_only(args) -> int:
    """The ledger verification over ``--size`` entries (full: 1,000,000), bulk-generated."""
    entries = SIZES[args.size]
    url = recreate_database(args.database_url, args.database_name)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from bench import ledger as ledger_bench

        generated = ledger_bench.generate(entries)
        with connection.cursor() as cursor:
            info = machine_info(cursor)
        measured = ledger_bench.bench_verify()
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · ledger only, size {args.size} "
        f"({generated['entries']:,} entries)",
        f"Machine: {info}",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        *ledger_bench.ledger_lines(generated, measured),
    ]
    return _record("\n".join(lines) + "\n", args)


CHAT_SIZES = {"smoke": 50_000, "small": 1_000_000, "full": 10_000_000}


def _alone_in_a_fresh_database(args, title: str, measure, table_lines) -> int:
    """A benchmark that needs only the migrated schema: a fresh database and data folder,
    ``measure()`` inside Django, its table recorded under ``title``."""
    url = recreate_database(args.database_url, args.database_name)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            info = machine_info(cursor)
        measured = measure()
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · {title}, size {args.size}",
        f"Machine: {info}",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        *table_lines(measured),
    ]
    return _record("\n".join(lines) + "\n", args)


def _chat_only(args) -> int:
    """Chat exports read through the product (full: 10,000,000 messages) against COPY of the
    same rows plus a bare Aho-Corasick pass."""
    from bench import chat as chat_bench

    return _alone_in_a_fresh_database(
        args,
        "chat exports only",
        lambda: chat_bench.bench_ingest(CHAT_SIZES[args.size]),
        chat_bench.chat_lines,
    )


def _coverage_only(args) -> int:
    """The 15-minute circle over a district (full: 1,000,000 residents) against a
    brute-force computation of the same answer."""
    from bench import coverage as coverage_bench

    def measure():
        workdir = Path(os.environ["GRIDGOV_DATA_DIR"]).parent
        return coverage_bench.bench_coverage(
            coverage_bench.SIZES[args.size], Path(args.shared), workdir
        )

    return _alone_in_a_fresh_database(
        args, "15-minute circle only", measure, coverage_bench.coverage_lines
    )


SCORING_SIZES = {"smoke": 1_000, "small": 10_000, "full": 10_000}


def _scoring_only(args) -> int:
    """The monthly scoring of the chat groups (small and full: 10,000 groups) against one
    raw SQL statement computing the same scores and ranks."""
    from bench import scoring as scoring_bench

    return _alone_in_a_fresh_database(
        args,
        "chat-group scoring only",
        lambda: scoring_bench.bench_scoring(SCORING_SIZES[args.size]),
        scoring_bench.scoring_lines,
    )


def _visits_only(args) -> int:
    """A fresh district (residents through the product's import, untimed) and the visit
    benchmarks alone."""
    rows = SIZES[args.size]
    url = recreate_database(args.database_url, args.database_name)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from gridgov.core.staticfiles import collectstatic_if_changed

        collectstatic_if_changed()  # the server's pages name the fingerprinted assets
        from bench import visits as visit_bench
        from gridgov.demo.district import (
            build_district,
            import_residents,
            seed_staff,
            write_resident_csv,
        )

        t0 = time.perf_counter()
        district = build_district(residents=rows, shared=Path(args.shared), workdir=Path(tmp))
        csv_path = Path(tmp) / "residents.csv"
        write_resident_csv(csv_path, district, rows)
        job = import_residents(district, csv_path)
        assert job.status == "done" and job.created_rows == rows, (job.status, job.message)
        seed_staff(district)
        setup_s = time.perf_counter() - t0
        with connection.cursor() as cursor:
            info = machine_info(cursor)
        generation = visit_bench.bench_task_generation()
        sync = visit_bench.bench_sync(url, records=100 if args.size == "smoke" else 500)
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · visits only, size {args.size} ({rows:,} residents)",
        f"Machine: {info}",
        f"District built and imported in {setup_s:.1f} s ({len(district.grids)} grids).",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        *visit_bench.visit_lines(generation, sync, rows),
    ]
    return _record("\n".join(lines) + "\n", args)


def _ratio(value: float, baseline: float) -> str:
    return f"{value / max(baseline, 1e-6):.2f}×"


def _event_lines(scan: dict, http: dict, generated_s: float) -> list[str]:
    events, base = http["events"], http["baseline"]
    return [
        f"| deadline scan, first run over {scan['events']:,} events ({generated_s:.0f} s to "
        f"generate) | {scan['first_s']:.2f} s, {scan['escalated']:,} escalated, "
        f"{scan['notified']:,} notices | — | — | — |",
        f"| deadline scan, steady state | {scan['steady_s'] * 1000:.0f} ms | raw SQL of its "
        f"queries {scan['raw_s'] * 1000:.0f} ms | {_ratio(scan['steady_s'], scan['raw_s'])} | — |",
        f"| event creation over HTTP (routing, suggestion, audit, inbox) | {events['rps']:.0f} "
        f"events/s, p50 {events['p50']:.0f} ms, p95 {events['p95']:.0f} ms, p99 "
        f"{events['p99']:.0f} ms, {events['errors']} errors | GET /api/v1/me {base['rps']:.0f} "
        f"req/s, p95 {base['p95']:.0f} ms | {events['rps'] / max(base['rps'], 1e-6):.2f}× | "
        f"≥ 300 events/s, p95 ≤ 100 ms |",
    ]


def _search_lines(search: dict) -> list[str]:
    lines = []
    for label, r in search.items():
        lines.append(
            f"| scoped search, {label} | p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms | raw SQL "
            f"p50 {r['raw_p50']:.1f} ms, p95 {r['raw_p95']:.1f} ms | {r['ratio_p95']:.2f}× | "
            f"p95 ≤ 50 ms and ≤ 2× raw |"
        )
    return lines


def _record(report: str, args) -> int:
    print(report)
    if not args.no_record:
        path = ROOT / "BENCHMARKS.md"
        if not path.exists():
            path.write_text(
                "# Benchmarks\n\nAppended by `./dev bench`; each figure has a "
                "baseline measured in the same run.\n\n"
            )
        with path.open("a") as handle:
            handle.write("\n" + report)
    return 0


def _search_only(args) -> int:
    url = args.database_url.rsplit("/", 1)[0] + "/" + args.database_name
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        from gridgov.accounts.models import User
        from gridgov.demo.district import District
        from gridgov.people.models import Resident

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            info = machine_info(cursor)
            cursor.execute("ANALYZE people_resident")
        users = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
        district = District(
            "", [], users["bench_importer"], users["bench_gridworker"], users["bench_street"], {}
        )
        count = Resident.objects.count()
        search = bench_search(district)
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · search only, {count:,} residents",
        f"Machine: {info}",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
    ]
    lines += _search_lines(search)
    return _record("\n".join(lines) + "\n", args)


def _dashboard_only(args) -> int:
    url = args.database_url.rsplit("/", 1)[0] + "/" + args.database_name
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRIDGOV_DATA_DIR"] = str(Path(tmp) / "data")
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        from bench import kpis as kpi_bench
        from gridgov.events.models import Event
        from gridgov.org.models import OrgUnit
        from gridgov.people.models import Resident

        call_command("migrate", verbosity=0)
        from gridgov.core.staticfiles import collectstatic_if_changed

        collectstatic_if_changed()
        with connection.cursor() as cursor:
            info = machine_info(cursor)
        district = OrgUnit.objects.filter(level="district", code__startswith="3101").first()
        events, residents = Event.objects.count(), Resident.objects.count()
        result = kpi_bench.bench_dashboard(district.code)
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M} · dashboard only, {events:,} events",
        f"Machine: {info}",
        "",
        "| benchmark | GridGov | same-run baseline | ratio | target |",
        "|---|---|---|---|---|",
        *kpi_bench.dashboard_lines(result, events, residents),
    ]
    return _record("\n".join(lines) + "\n", args)


if __name__ == "__main__":
    sys.exit(main())
