"""Monthly scoring benchmark: the scores of every chat group for a month (``score_month``:
the product's rule in Python over the snapshots, the scores written, the streets ranked)
against one raw SQL statement computing the same four dimensions, totals, stars and ranks
from the same snapshots into a table of the same shape, in the same run. Run twice: the
first scoring of the month (every score new) and a re-scoring after the policy's weights
changed (every score rewritten). The raw SQL's totals are checked against the product's.
Memory: the process's peak RSS before and after (flat when the month is read in batches)."""

from __future__ import annotations

import random
import resource
import time
from datetime import date

MONTH = date(2026, 10, 1)
STREETS, COMMUNITIES_PER_STREET = 20, 5

# The same formula as gridgov.groups.scoring under the policy's values, in SQL.
_RAW_SCORES = """
WITH parts AS (
    SELECT s.id AS snapshot_id, s.group_id, s.scope_path, g.name,
           round(((
               (g.created_on IS NOT NULL)::int + (g.community_id IS NOT NULL)::int
               + (g.function <> '')::int + (s.activity_pct IS NOT NULL)::int
               + (s.members_total IS NOT NULL)::int
               + (s.age_0_18 IS NOT NULL AND s.age_19_60 IS NOT NULL
                  AND s.age_60_plus IS NOT NULL)::int
               + (s.occupation_students IS NOT NULL AND s.occupation_employed IS NOT NULL
                  AND s.occupation_retired IS NOT NULL AND s.occupation_other IS NOT NULL)::int
               + (s.special_elderly_alone IS NOT NULL AND s.special_pregnant IS NOT NULL
                  AND s.special_chronic IS NOT NULL)::int
               + (s.admin_contact IS NOT NULL)::int + (s.publish_hours IS NOT NULL)::int
               + (s.response_hours IS NOT NULL)::int + (s.allocation_hours IS NOT NULL)::int
           ) * 100.0 / 12)::numeric, 2)::float AS data,
           CASE WHEN s.response_hours IS NULL THEN NULL
                WHEN s.response_hours <= %(target)s THEN 100.0
                WHEN s.response_hours >= %(worst)s THEN 0.0
                ELSE 100 * (%(worst)s - s.response_hours) / (%(worst)s - %(target)s) END AS reply,
           s.satisfaction_pct AS satisfaction,
           CASE WHEN s.service_missing THEN 0.0 WHEN NOT s.service_missing THEN 100.0 END
               AS services,
           CASE WHEN s.false_information THEN 0.0 WHEN NOT s.false_information THEN 100.0 END
               AS truth,
           -- greatest() skips NULLs: a count not measured must stay NULL.
           CASE WHEN s.leak_incidents IS NOT NULL
                THEN greatest(0, 100 - %(leak)s * s.leak_incidents) END AS leaks,
           CASE WHEN s.complaints IS NOT NULL
                THEN greatest(0, 100 - %(complaint)s * s.complaints) END AS complaints,
           round(s.activity_pct::numeric, 2)::float AS development
    FROM groups_snapshot s JOIN groups_group g ON g.id = s.group_id
    WHERE s.month = %(month)s
), dims AS (
    SELECT *,
           round(((coalesce(reply, 0) + coalesce(satisfaction, 0) + coalesce(services, 0))
                  / nullif((reply IS NOT NULL)::int + (satisfaction IS NOT NULL)::int
                           + (services IS NOT NULL)::int, 0))::numeric, 2)::float AS service,
           round(((coalesce(truth, 0) + coalesce(leaks, 0) + coalesce(complaints, 0))
                  / nullif((truth IS NOT NULL)::int + (leaks IS NOT NULL)::int
                           + (complaints IS NOT NULL)::int, 0))::numeric, 2)::float AS security
    FROM parts
), totals AS (
    SELECT *,
           coalesce(round(((%(w_data)s * coalesce(data, 0) + %(w_service)s * coalesce(service, 0)
                   + %(w_security)s * coalesce(security, 0)
                   + %(w_development)s * coalesce(development, 0))
                  / nullif(%(w_data)s * (data IS NOT NULL)::int
                           + %(w_service)s * (service IS NOT NULL)::int
                           + %(w_security)s * (security IS NOT NULL)::int
                           + %(w_development)s * (development IS NOT NULL)::int, 0))::numeric,
                  2)::float, 0) AS total,
           split_part(scope_path, '/', 4) AS street_code
    FROM dims
)
INSERT INTO bench_score (uid, computed_at, snapshot_id, group_id, month, scope_path, street_id,
                         data, service, security, development, total, stars, rank,
                         ranked_among, policy_version)
SELECT gen_random_uuid(), now(), t.snapshot_id, t.group_id, %(month)s, t.scope_path, u.id,
       t.data, t.service, t.security, t.development, t.total,
       least(5, 1 + (t.total >= %(b1)s)::int + (t.total >= %(b2)s)::int
                  + (t.total >= %(b3)s)::int + (t.total >= %(b4)s)::int),
       row_number() OVER (PARTITION BY u.id ORDER BY t.total DESC, t.name),
       count(*) OVER (PARTITION BY u.id), %(version)s
FROM totals t JOIN org_orgunit u ON u.code = t.street_code AND u.level = 'street'
"""


def _world(groups: int) -> None:
    """A district of ``STREETS`` streets of ``COMMUNITIES_PER_STREET`` communities, with
    ``groups`` registered groups and a snapshot each for the month and the month before
    (written in bulk, untimed: the benchmark is the scoring, not the entry)."""
    from gridgov.groups.models import Group, IndicatorSet, Snapshot
    from gridgov.org.models import OrgUnit

    L = OrgUnit.Level
    path, parent = "", None
    for code, name, level in [("31", "上海市", L.PROVINCE), ("3101", "市辖区", L.CITY)]:
        path = f"{path}{code}/"
        parent = OrgUnit.objects.create(code=code, name=name, level=level, parent=parent, path=path)
    district = OrgUnit.objects.create(
        code="310104", name="徐汇区", level=L.DISTRICT, parent=parent, path=f"{path}310104/"
    )
    communities = []
    for s in range(STREETS):
        code = f"310104{s + 1:03d}"
        street = OrgUnit.objects.create(
            code=code,
            name=f"第{s + 1}街道",
            level=L.STREET,
            parent=district,
            path=f"{district.path}{code}/",
        )
        for c in range(COMMUNITIES_PER_STREET):
            ccode = f"{code}{c + 1:03d}"
            communities.append(
                OrgUnit.objects.create(
                    code=ccode,
                    name=f"第{s + 1}街道第{c + 1}社区",
                    level=L.COMMUNITY,
                    parent=street,
                    path=f"{street.path}{ccode}/",
                )
            )
    rng = random.Random(7)
    functions = ["notice", "service", "mutual_aid", "deliberation", "mixed"]
    Group.objects.bulk_create(
        [
            Group(
                name=f"基准群{n:05d}",
                platform="wechat",
                function=functions[n % len(functions)],
                manager="committee",
                community=communities[n % len(communities)],
                scope_path=communities[n % len(communities)].path,
                created_on=date(2025, 1, 1) if n % 9 else None,
                state="approved",
                status="active",
            )
            for n in range(groups)
        ],
        batch_size=2000,
    )
    indicator_set = IndicatorSet.objects.order_by("version").first()

    def maybe(value, chance=0.85):
        return value if rng.random() < chance else None

    snapshots = []
    for group_id, scope_path in Group.objects.values_list("pk", "scope_path").iterator():
        for month in (date(2026, 9, 1), MONTH):
            members = rng.randrange(20, 500)
            old = rng.randrange(0, members // 2)
            snapshots.append(
                Snapshot(
                    group_id=group_id,
                    month=month,
                    indicator_set=indicator_set,
                    scope_path=scope_path,
                    activity_pct=maybe(round(rng.uniform(5, 99), 1)),
                    messages_per_day=maybe(round(rng.uniform(0, 300), 1)),
                    members_total=maybe(members, 0.95),
                    age_0_18=maybe(members // 10),
                    age_19_60=members - members // 10 - old,
                    age_60_plus=old,
                    occupation_students=maybe(members // 10),
                    occupation_employed=members // 2,
                    occupation_retired=old,
                    occupation_other=0,
                    special_elderly_alone=maybe(rng.randrange(0, 10)),
                    special_pregnant=rng.randrange(0, 3),
                    special_chronic=rng.randrange(0, 20),
                    admin_contact=maybe(True),
                    publish_hours=maybe(round(rng.uniform(0.5, 48), 1), 0.3),
                    response_hours=maybe(round(rng.uniform(0.2, 30), 2)),
                    allocation_hours=maybe(round(rng.uniform(2, 96), 1), 0.6),
                    satisfaction_pct=maybe(round(rng.uniform(40, 100), 1), 0.7),
                    false_information=maybe(rng.random() < 0.05),
                    service_missing=maybe(rng.random() < 0.1),
                    mixed_function=False,
                    leak_incidents=maybe(rng.choice([0, 0, 0, 0, 1])),
                    complaints=maybe(rng.randrange(0, 6)),
                    klass="potential",
                    class_rule="bench",
                    entered_by_name="bench",
                )
            )
        if len(snapshots) >= 4000:
            Snapshot.objects.bulk_create(snapshots)
            snapshots = []
    Snapshot.objects.bulk_create(snapshots)


def _raw(cursor, policy, version: int) -> float:
    weights = policy.weights
    bands = policy.score_star_bands
    cursor.execute("TRUNCATE bench_score")
    started = time.perf_counter()
    cursor.execute(
        _RAW_SCORES,
        {
            "month": MONTH,
            "target": policy.response_target_hours,
            "worst": policy.response_worst_hours,
            "leak": policy.leak_penalty,
            "complaint": policy.complaint_penalty,
            "w_data": weights.data,
            "w_service": weights.service,
            "w_security": weights.security,
            "w_development": weights.development,
            "b1": bands[0],
            "b2": bands[1],
            "b3": bands[2],
            "b4": bands[3],
            "version": version,
        },
    )
    return time.perf_counter() - started


def _same_as_raw(cursor) -> int:
    """Scores whose total, stars or rank differ between the product and the raw SQL. Python
    rounds binary floats and SQL decimals, so a total may differ by 0.01; then its stars may
    differ at a band, and its rank against a total within 0.01 of it."""
    cursor.execute(
        """
        SELECT count(*) FROM groups_score p JOIN bench_score b ON b.snapshot_id = p.snapshot_id
        WHERE abs(p.total - b.total) > 0.011 OR p.ranked_among <> b.ranked_among
           OR (p.stars <> b.stars AND p.total = b.total)
           OR (p.rank <> b.rank AND NOT EXISTS (
                   SELECT 1 FROM groups_score q WHERE q.street_id = p.street_id
                   AND q.month = p.month AND q.id <> p.id AND abs(q.total - p.total) <= 0.011))
        """
    )
    return cursor.fetchone()[0]


def bench_scoring(groups: int) -> dict:
    from django.db import connection

    from gridgov.accounts.roles import Role
    from gridgov.core.policies import policy_in_force
    from gridgov.core.services import policy_update
    from gridgov.groups.models import Score
    from gridgov.groups.services_scores import score_month

    assert connection.vendor == "postgresql", "the raw SQL baseline is PostgreSQL's"
    _world(groups)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_score")
        cursor.execute(
            "CREATE TABLE bench_score (LIKE groups_score INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        cursor.execute("ANALYZE")
    # The month before, scored untimed: October's run then opens the cases of the groups
    # below the threshold two months running, as the monthly run does.
    score_month(month=date(2026, 9, 1))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rounds = []
    for label in ("first scoring of the month", "again after the weights changed"):
        if rounds:
            admin = _system_admin(Role)
            policy_update(
                actor=admin,
                key="groups.scoring",
                value={"weights": {"data": 10, "service": 30, "security": 30, "development": 30}},
                note="bench",
            )
        started = time.perf_counter()
        run = score_month(month=MONTH)
        product_s = time.perf_counter() - started
        assert run.scored == groups and run.changed == groups, run
        in_force = policy_in_force("groups.scoring")
        with connection.cursor() as cursor:
            raw_s = _raw(cursor, in_force.value, in_force.version)
            differ = _same_as_raw(cursor)
        assert differ == 0, f"{differ} scores differ from the raw SQL's"
        rounds.append(
            {"label": label, "product_s": product_s, "raw_s": raw_s, "cases": run.cases_opened}
        )
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert Score.objects.filter(month=MONTH).count() == groups
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_score")
    return {
        "groups": groups,
        "streets": STREETS,
        "rounds": rounds,
        "rss_before_mb": rss_before / 1024,
        "rss_after_mb": rss_after / 1024,
    }


def _system_admin(Role):
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User
    from gridgov.org.models import OrgUnit

    user, created = User.objects.get_or_create(
        username="bench_admin",
        defaults={"must_change_password": False, "password_changed_at": timezone.now()},
    )
    if created:
        user.set_unusable_password()
        user.save()
        Membership.objects.create(
            user=user,
            role=Role.SYSTEM_ADMIN,
            org_unit=OrgUnit.objects.get(level=OrgUnit.Level.DISTRICT),
        )
    return user


def scoring_lines(measured: dict) -> list[str]:
    m = measured
    lines = []
    for r in m["rounds"]:
        lines.append(
            f"| monthly scoring of {m['groups']:,} groups in {m['streets']} streets "
            f"({r['label']}; {r['cases']} rectification cases opened) | "
            f"{r['product_s']:.2f} s | one raw SQL statement computing the same scores and "
            f"ranks: {r['raw_s']:.2f} s | {r['raw_s'] / r['product_s']:.2f}× | "
            f"same totals, stars and ranks; memory flat: peak RSS {m['rss_before_mb']:.0f} MB "
            f"before, {m['rss_after_mb']:.0f} MB after |"
        )
    return lines
