"""Scores and rectification opened by rule: the score of a snapshot, the ranks within the
street, and a case opened automatically (exactly one: a group has at most one case in
progress) when a month is placed in 问题整改群 or the score stays below the policy's
threshold for the policy's number of months."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from gridgov.audit.services import SystemActor
from gridgov.core.policies import policy_in_force
from gridgov.groups import scoring
from gridgov.groups.models import Rectification, Score, Snapshot

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
    rows = list(
        Score.objects.filter(street_id=street_id, month=month)
        .annotate(
            position=Window(RowNumber(), order_by=[F("total").desc(), F("group__name").asc()])
        )
        .values_list("pk", "position")
    )
    Score.objects.bulk_update(
        [Score(pk=pk, rank=position, ranked_among=len(rows)) for pk, position in rows],
        ["rank", "ranked_among"],
        batch_size=500,
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
