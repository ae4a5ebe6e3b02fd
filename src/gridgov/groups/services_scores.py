"""Scores and rectification opened by rule: the score of a snapshot, the ranks within the
street, and a case opened automatically (exactly one: a group has at most one case in
progress) when a month is placed in 问题整改群 or the score stays below the policy's
threshold for the policy's number of months. ``score_month`` scores a whole month at once
(the monthly run, and after the scoring policy changed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.policies import policy_in_force
from gridgov.groups import scoring
from gridgov.groups.models import Rectification, Score, Snapshot
from gridgov.org.models import OrgUnit

SCORER = SystemActor("groups.scoring")


def _street_of(group):
    unit = group.community
    while unit is not None and unit.level != "street":
        unit = unit.parent
    return unit or group.community


def _months_back(month: date, n: int) -> date:
    year, m = month.year, month.month - n
    while m < 1:
        m += 12
        year -= 1
    return date(year, m, 1)


def rank_street(*, street_id: int, month: date) -> None:
    """Ranks 1… by score (higher first; ties by the group's name) within the street."""
    rank_streets(street_ids=[street_id], month=month)


def rank_streets(*, street_ids, month: date) -> None:
    """Ranks within each of the streets, in one statement; the database orders the names,
    so a street ranked alone or with others gets the same ranks. Only ranks that move are
    written."""
    ids = sorted(set(street_ids))
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE groups_score SET rank = r.position, ranked_among = r.among
            FROM (SELECT s.id,
                         row_number() OVER (PARTITION BY s.street_id
                                            ORDER BY s.total DESC, g.name) AS position,
                         count(*) OVER (PARTITION BY s.street_id) AS among
                  FROM groups_score s JOIN groups_group g ON g.id = s.group_id
                  WHERE s.month = %s AND s.street_id IN ({marks})) r
            WHERE groups_score.id = r.id
              AND (groups_score.rank IS NULL OR groups_score.rank <> r.position
                   OR groups_score.ranked_among <> r.among)
            """,  # noqa: S608 - placeholders only
            [month, *ids],
        )


def score_snapshot(snapshot: Snapshot) -> Score:
    """(Re)compute the month's score of the snapshot's group and the street's ranks."""
    in_force = policy_in_force("groups.scoring")
    group = snapshot.group
    values = {k: getattr(snapshot, k) for k in Snapshot.MEASURES}
    result = scoring.score(group, values, in_force.value)
    street = _street_of(group)
    with transaction.atomic():
        row, _created = Score.objects.update_or_create(
            snapshot=snapshot,
            defaults={
                "group": group,
                "month": snapshot.month,
                "scope_path": snapshot.scope_path,
                "street": street,
                "data": result.data,
                "service": result.service,
                "security": result.security,
                "development": result.development,
                "total": result.total,
                "stars": result.stars,
                "policy_version": in_force.version,
            },
        )
        rank_street(street_id=street.pk, month=snapshot.month)
    row.refresh_from_db()
    return row


def low_score_run(group, month: date) -> bool:
    """The score is below the threshold this month and the months before (policy)."""
    rules = policy_in_force("groups.scoring").value
    months = [_months_back(month, n) for n in range(rules.low_score_months)]
    totals = dict(Score.objects.filter(group=group, month__in=months).values_list("month", "total"))
    return len(totals) == len(months) and all(t < rules.low_score_below for t in totals.values())


def after_snapshot(snapshot: Snapshot, *, actor) -> tuple[Score, Rectification | None]:
    """Score the month, then open a case when a rule says so and none is in progress."""
    from gridgov.groups import services_rectifications as cases

    row = score_snapshot(snapshot)
    group = snapshot.group
    case = None
    rules = policy_in_force("groups.scoring").value
    if (
        snapshot.klass == Snapshot.Klass.RECTIFY
        and policy_in_force("groups.rectification").value.open_on_class
    ):
        case = cases.case_open_by_rule(
            group=group,
            snapshot=snapshot,
            trigger=Rectification.Trigger.CLASS,
            reason=snapshot.class_rule,
            actor=actor,
        )
    elif snapshot.klass == Snapshot.Klass.RESTRUCTURE:
        from gridgov.groups.services_treatments import restructure_open_by_rule

        restructure_open_by_rule(group=group, snapshot=snapshot, actor=actor)
    if case is None and low_score_run(group, snapshot.month):
        case = cases.case_open_by_rule(
            group=group,
            snapshot=snapshot,
            trigger=Rectification.Trigger.LOW_SCORE,
            reason=f"groups.scoring: score < {rules.low_score_below:g} for "
            f"{rules.low_score_months} months (this month {row.total:g})",
            actor=actor,
        )
    return row, case


# A whole month at once ------------------------------------------------------------------

_SCORE_FIELDS = ("data", "service", "security", "development", "total", "stars")


@dataclass(frozen=True)
class ScoringRun:
    month: date
    scored: int  # snapshots of the month in the area
    changed: int  # scores written (new, or different from what was stored)
    policy_version: int
    cases_opened: int


def _street_ids_by_path() -> dict[str, int]:
    return dict(
        OrgUnit.objects.filter(level=OrgUnit.Level.STREET).values_list("path", "pk").iterator()
    )


def _street_id(scope_path: str, streets: dict[str, int], community_id: int) -> int:
    """The street whose path begins the snapshot's scope path, else the community (as
    ``_street_of`` does for a community outside any street)."""
    end = scope_path.find("/")
    while end != -1:
        street = streets.get(scope_path[: end + 1])
        if street is not None:
            return street
        end = scope_path.find("/", end + 1)
    return community_id


def latest_month() -> date | None:
    """The newest month with a report (None before the first)."""
    return Snapshot.objects.order_by("-month").values_list("month", flat=True).first()


def score_month(*, month: date, actor=None, batch: int = 2000) -> ScoringRun:
    """Score every snapshot of ``month`` in the actor's area (``groups.supervise``; every
    snapshot when ``actor`` is None: the monthly run) under the scoring policy in force,
    rank the streets touched, and, for the newest month reported, open a case for each group
    below the threshold for the policy's number of months. Scores that come out the same are
    not written again, so a second run changes nothing."""
    in_force = policy_in_force("groups.scoring")
    policy = in_force.value
    snapshots = Snapshot.objects.filter(month=month)
    if actor is not None:
        snapshots = snapshots.visible_to(actor, "supervise")
    streets = _street_ids_by_path()
    columns = ("pk", "group_id", "scope_path", *Snapshot.MEASURES)
    group_columns = ("group__created_on", "group__community_id", "group__function")
    scored = changed = 0
    touched: set[int] = set()
    with transaction.atomic():
        rows = snapshots.values_list(*columns, *group_columns).order_by("pk")
        pending: list[tuple] = []
        for row in rows.iterator(chunk_size=batch):
            pending.append(row)
            if len(pending) == batch:
                changed += _score_rows(pending, month, policy, in_force.version, streets, touched)
                scored += len(pending)
                pending = []
        if pending:
            changed += _score_rows(pending, month, policy, in_force.version, streets, touched)
            scored += len(pending)
        rank_streets(street_ids=touched, month=month)
        opened = 0
        if month == latest_month() and scored:
            opened = _open_low_score_cases(snapshots, month, policy, actor)
        audit_record(
            "groups.scores.recompute",
            actor=actor or SCORER,
            changes={
                "month": month.isoformat(),
                "scored": scored,
                "changed": changed,
                "policy_version": in_force.version,
                "cases_opened": opened,
            },
        )
    return ScoringRun(
        month=month,
        scored=scored,
        changed=changed,
        policy_version=in_force.version,
        cases_opened=opened,
    )


def _score_rows(rows, month, policy, version, streets, touched) -> int:
    n_measures = len(Snapshot.MEASURES)
    existing = {
        snapshot_id: (pk, values)
        for snapshot_id, pk, *values in Score.objects.filter(
            snapshot_id__in=[row[0] for row in rows]
        ).values_list("snapshot_id", "pk", *_SCORE_FIELDS, "policy_version", "street_id")
    }
    create, update = [], []
    for row in rows:
        snapshot_id, group_id, scope_path = row[0], row[1], row[2]
        values = dict(zip(Snapshot.MEASURES, row[3 : 3 + n_measures], strict=True))
        created_on, community_id, function = row[3 + n_measures :]
        group = SimpleNamespace(created_on=created_on, community_id=community_id, function=function)
        result = scoring.score(group, values, policy)
        street_id = _street_id(scope_path, streets, community_id)
        touched.add(street_id)
        figures = [getattr(result, f) for f in _SCORE_FIELDS]
        known = existing.get(snapshot_id)
        if known is None:
            create.append((snapshot_id, group_id, scope_path, *figures, version, street_id))
        elif known[1] != [*figures, version, street_id]:
            update.append((known[0], *figures, version, street_id))
    _insert_scores(create, month)
    _rewrite_scores(update)
    return len(create) + len(update)


def _prepared(field: str, value):
    return Score._meta.get_field(field).get_db_prep_save(value, connection)


def _insert_scores(rows: list[tuple], month: date) -> None:
    """New scores in one ``executemany`` (``bulk_create`` builds a model per row first);
    ranks are set after, by ``rank_streets``."""
    if not rows:
        return
    columns = (
        "snapshot_id",
        "group_id",
        "scope_path",
        *_SCORE_FIELDS,
        "policy_version",
        "street_id",
        "uid",
        "month",
        "ranked_among",
        "computed_at",
    )
    fixed = (_prepared("month", month), 0, _prepared("computed_at", timezone.now()))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO groups_score ({', '.join(columns)}) "  # noqa: S608 - names only
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [(*row, _prepared("uid", uuid.uuid4()), *fixed) for row in rows],
        )


def _rewrite_scores(rows: list[tuple]) -> None:
    """Write changed scores through a temporary table and one UPDATE (``bulk_update``'s
    CASE per row costs more than the scoring itself)."""
    if not rows:
        return
    columns = ("id", *_SCORE_FIELDS, "policy_version", "street_id")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE groups_score_rewrite (id bigint PRIMARY KEY, data float, "
            "service float, security float, development float, total float, stars integer, "
            "policy_version integer, street_id bigint)"
        )
        try:
            cursor.executemany(
                f"INSERT INTO groups_score_rewrite ({', '.join(columns)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                rows,
            )
            assigned = ", ".join(f"{c} = n.{c}" for c in columns[1:])
            cursor.execute(
                f"UPDATE groups_score SET {assigned}, computed_at = %s "  # noqa: S608
                "FROM groups_score_rewrite n WHERE groups_score.id = n.id",
                [_prepared("computed_at", timezone.now())],
            )
        finally:
            cursor.execute("DROP TABLE groups_score_rewrite")


def _open_low_score_cases(snapshots, month: date, policy, actor) -> int:
    """Groups below the threshold this month and each of the months before (policy), without
    a case in progress, get one (``after_snapshot``'s rule, for the whole month)."""
    from gridgov.groups import services_rectifications as cases

    months = [_months_back(month, n) for n in range(policy.low_score_months)]
    running = Score.objects.filter(month__in=months, total__lt=policy.low_score_below)
    low = (
        running.filter(group_id__in=snapshots.values("group_id"))
        .values("group_id")
        .annotate(n=Count("id"))
        .filter(n=len(months))
        .values_list("group_id", flat=True)
    )
    in_progress = Rectification.objects.exclude(state=Rectification.State.CLOSED).values("group_id")
    candidates = (
        Snapshot.objects.filter(month=month, group__in=low)
        .exclude(group__in=in_progress)
        .select_related("group", "score")
    )
    opened = 0
    for snapshot in candidates.iterator(chunk_size=500):
        group = snapshot.group
        case = cases.case_open_by_rule(
            group=group,
            snapshot=snapshot,
            trigger=Rectification.Trigger.LOW_SCORE,
            reason=f"groups.scoring: score < {policy.low_score_below:g} for "
            f"{policy.low_score_months} months (this month {snapshot.score.total:g})",
            actor=actor or SCORER,
        )
        opened += case is not None
    return opened
