"""Chat-export benchmark: generated exports read through the product (``ingest_export``:
the text reader, sender hashing, de-duplication, keyword matching, the encrypted file, the
message rows in their monthly partitions, the day's hits and the spike rule, the audit),
against the same rows written with COPY plus a bare Aho-Corasick pass over the same texts,
in the same run. Memory: the process's peak RSS after the first tenth of the exports and at
the end (flat when each export's memory is given back). The planner's statistics are
refreshed, untimed, whenever the stored messages grew by a tenth, as autovacuum would."""

from __future__ import annotations

import random
import resource
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO

PER_EXPORT = 50_000
DAYS_PER_EXPORT = 30
GROUPS = 20  # the exports go round these groups, each group's next export a month later
WORDS = ["早上好", "收到", "谢谢", "快递到了", "今天停水吗？", "电梯又坏了", "好的", "楼下有车挡路"]
WATCHED = ["家里有人发热", "楼道漏水了", "闻到燃气味"]


class _Upload(BytesIO):
    name = "bench-export.txt"


def _world(groups: int):
    """One community with a compound, ``groups`` registered groups with their consent
    notices, and its staff member (the product's own paths)."""
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.groups import services
    from gridgov.groups import services_messages as exports
    from gridgov.org.models import Building, Compound, Grid, OrgUnit

    L = OrgUnit.Level
    path, parent, units = "", None, {}
    for code, name, level in [
        ("31", "上海市", L.PROVINCE),
        ("3101", "市辖区", L.CITY),
        ("310104", "徐汇区", L.DISTRICT),
        ("310104003", "天平路街道", L.STREET),
        ("310104003001", "宛平南路社区", L.COMMUNITY),
        ("310104003001001", "网格001", L.GRID),
    ]:
        path = f"{path}{code}/"
        parent = OrgUnit.objects.create(code=code, name=name, level=level, parent=parent, path=path)
        units[level] = parent
    ring = [[121.4, 31.2], [121.41, 31.2], [121.41, 31.21], [121.4, 31.21], [121.4, 31.2]]
    Grid.objects.create(
        unit=parent,
        boundary={"type": "Polygon", "coordinates": [ring]},
        min_lon=121.4,
        min_lat=31.2,
        max_lon=121.41,
        max_lat=31.21,
    )
    staff = User(
        username="bench_cs", must_change_password=False, password_changed_at=timezone.now()
    )
    staff.set_unusable_password()
    staff.save()
    Membership.objects.create(user=staff, role=Role.COMMUNITY_STAFF, org_unit=units[L.COMMUNITY])
    compound = Compound.objects.create(community=units[L.COMMUNITY], name="基准小区", kind="old")
    building = Building.objects.create(compound=compound, grid=parent, number="1")
    made = []
    for n in range(groups):
        group = services.group_create(
            actor=staff,
            data={
                "name": f"基准小区服务群{n:03d}",
                "platform": "wechat",
                "function": "service",
                "manager": "property",
                "compounds": [compound.pk],
                "buildings": [building.pk],
                "members_total": 500,
            },
        )
        group = services.group_transition(actor=staff, group=group, action="approve", version=1)
        exports.consent_record(actor=staff, group=group, notice="基准", noticed_on="2026-01-01")
        made.append(group)
    return staff, made


def _export(start: datetime, rng: random.Random) -> tuple[bytes, list[str]]:
    """A month of a busy group: ``PER_EXPORT`` messages over ``DAYS_PER_EXPORT`` days,
    400 senders, 1 in 200 watched."""
    lines, texts = [], []
    apart = DAYS_PER_EXPORT * 86400 / PER_EXPORT
    for n in range(PER_EXPORT):
        moment = start + timedelta(seconds=apart * n)
        text = rng.choice(WATCHED) if n % 200 == 0 else rng.choice(WORDS) + str(n % 97)
        texts.append(text)
        lines.append(f"{moment:%Y-%m-%d %H:%M:%S} 居民{rng.randrange(400)}\n{text}\n")
    return "\n".join(lines).encode(), texts


def bench_ingest(messages: int) -> dict:
    from django.db import connection

    from gridgov.groups import services_messages as exports
    from gridgov.groups import services_warnings as warnings
    from gridgov.groups.models import ChatMessage

    rng = random.Random(11)
    count = max(1, messages // PER_EXPORT)
    staff, groups = _world(min(GROUPS, count))
    # Days far back: the spike rule looks at recent days only, so nothing is pushed.
    first_day = datetime(2025, 1, 1, tzinfo=UTC)

    def start_of(index: int) -> datetime:
        return first_day + timedelta(days=DAYS_PER_EXPORT * (index // len(groups)))

    product_s, rss_tenth, analysed = 0.0, 0, 0
    for index in range(count):
        data, _texts = _export(start_of(index), rng)
        group = groups[index % len(groups)]
        started = time.perf_counter()
        done = exports.ingest_export(actor=staff, group=group, upload=_Upload(data))
        product_s += time.perf_counter() - started
        assert done.messages_new == PER_EXPORT, done.messages_new
        stored = (index + 1) * PER_EXPORT
        if stored > analysed * 1.1:
            # What autovacuum does in the background once a tenth of a table has changed
            # (it may be off on a test machine): untimed, or the planner would go on
            # planning for the empty tables of the start.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            analysed = stored
        if index == max(0, count // 10 - 1):
            rss_tenth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stored = ChatMessage.objects.filter(group__in=groups).count()
    assert stored == count * PER_EXPORT, stored
    # Baseline 1: the same rows with COPY into a plain table of the same columns.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_message_copy")
        cursor.execute(
            "CREATE TABLE bench_message_copy (LIKE groups_chatmessage INCLUDING DEFAULTS)"
        )
        raw = cursor.connection
        buffer = []
        with raw.cursor().copy("COPY (SELECT * FROM groups_chatmessage) TO STDOUT") as copy:
            for chunk in copy:
                buffer.append(bytes(chunk))
        blob = b"".join(buffer)
        started = time.perf_counter()
        with raw.cursor().copy("COPY bench_message_copy FROM STDIN") as copy:
            for start in range(0, len(blob), 1 << 20):
                copy.write(blob[start : start + (1 << 20)])
        copy_s = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_message_copy")
    # Baseline 2: a bare Aho-Corasick pass over the same texts with the same lexicon. The
    # texts are made again from the same seed, one export at a time (untimed), so that the
    # benchmark holds no more than the product does and the memory figure is the product's.
    automaton = warnings.matcher().automaton
    rng = random.Random(11)
    scan_s, found = 0.0, 0
    for index in range(count):
        _data, texts = _export(start_of(index), rng)
        started = time.perf_counter()
        for text in texts:
            for _hit in automaton.iter(text.lower()):
                found += 1
        scan_s += time.perf_counter() - started
    assert found >= count * PER_EXPORT // 200
    total = count * PER_EXPORT
    baseline_s = copy_s + scan_s
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = 'groups_chatmessage'"
        )
        partitions = cursor.fetchone()[0]
    return {
        "messages": total,
        "exports": count,
        "groups": len(groups),
        "partitions": partitions,
        "product_s": product_s,
        "product_mps": total / product_s,
        "copy_s": copy_s,
        "scan_s": scan_s,
        "baseline_mps": total / baseline_s,
        "ratio": (total / product_s) / (total / baseline_s),
        "rss_tenth_mb": rss_tenth / 1024,
        "rss_end_mb": rss_end / 1024,
    }


def chat_lines(measured: dict) -> list[str]:
    m = measured
    return [
        f"| chat exports read ({m['messages']:,} messages in {m['exports']} exports of a "
        f"month each, {m['groups']} groups, "
        f"{m['partitions']} monthly partitions) | {m['product_mps']:,.0f} messages/s "
        f"({m['product_s']:.1f} s) | COPY of the same rows + bare Aho-Corasick: "
        f"{m['baseline_mps']:,.0f} messages/s ({m['copy_s']:.1f} s + {m['scan_s']:.1f} s) | "
        f"{m['ratio']:.2f}× | memory flat: peak RSS {m['rss_tenth_mb']:.0f} MB after a "
        f"tenth, {m['rss_end_mb']:.0f} MB at the end |",
    ]
