"""The grid service board 网格服务红黑榜: a community's grid workers in a month, scored from
figures that already exist — the residents' satisfaction with the events they handled and
with the service orders of their grids (the registry's ``events.satisfaction`` and
``lists.satisfaction``), and the on-time handling of their events
(``events.on_time_handling``) — and banded red or black by the
``participation.service_board`` policy.

Who is on a community's board: everyone holding a grid leader's or a grid worker's duty
(``org.GridAssignment``, volunteers excepted) in one of its grids during the month. An
event counts for its assignee; a service order rated by the resident counts for every
worker on duty in the grid of the household served. ``rank_workers`` is pure: the
figures in, the placed lines out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.masking import mask_name
from gridgov.core.policies import policy_in_force
from gridgov.events.models import Event
from gridgov.kpis.registry import REGISTRY, Period, period_containing
from gridgov.lists.models import ServiceOrder
from gridgov.org.models import GridAssignment, OrgUnit

POLICY = "participation.service_board"
WORKER_DUTIES = (
    GridAssignment.Duty.LEADER,
    GridAssignment.Duty.FULL_TIME,
    GridAssignment.Duty.PART_TIME,
)


@dataclass
class Figures:
    """A worker's month: ratings 4–5 (and fixed) of all ratings; events handled on time
    of those handled with a deadline."""

    worker_id: int
    name: str
    good: int = 0
    ratings: int = 0
    on_time: int = 0
    handled: int = 0


@dataclass
class Line:
    worker_id: int
    name: str
    band: str  # red, black, middle, insufficient
    rank: int | None
    score: float | None
    satisfaction: float | None
    ratings: int
    on_time: float | None
    handled: int
    rule: str = ""
    extra: dict = field(default_factory=dict)


def month_period(label: str) -> Period:
    year, month = (int(x) for x in label.split("-"))
    return period_containing("month", date(year, month, 1))


def shown_name(user, names: str) -> str:
    name = user.display_name or user.get_username()
    return mask_name(name) if names == "initials" else name


def _score(f: Figures, policy) -> tuple[float | None, float | None, float | None]:
    satisfaction = round(100.0 * f.good / f.ratings, 2) if f.ratings else None
    on_time = round(100.0 * f.on_time / f.handled, 2) if f.handled else None
    parts = [
        (satisfaction, policy.satisfaction_weight),
        (on_time, policy.on_time_weight),
    ]
    parts = [(v, w) for v, w in parts if v is not None and w > 0]
    weight = sum(w for _v, w in parts)
    score = round(sum(v * w for v, w in parts) / weight, 2) if weight else None
    return score, satisfaction, on_time


def rank_workers(figures: list[Figures], policy, version: int) -> list[Line]:
    """Score, rank (equal scores share a rank: 1, 2, 2, 4) and band the workers; those
    with fewer ratings than the policy's minimum are listed as insufficient data, unranked."""
    lines: list[Line] = []
    for f in figures:
        score, satisfaction, on_time = _score(f, policy)
        band = "middle"
        if f.ratings < policy.min_ratings or score is None:
            band, score = "insufficient", None
        lines.append(
            Line(
                f.worker_id, f.name, band, None, score, satisfaction, f.ratings, on_time, f.handled
            )
        )
    ranked = sorted((line for line in lines if line.band != "insufficient"), key=lambda x: -x.score)
    for position, line in enumerate(ranked):
        previous = ranked[position - 1] if position else None
        line.rank = previous.rank if previous and previous.score == line.score else position + 1
    if policy.band_mode == "rank":
        # Neither band takes more than half of those ranked: two workers are not both red.
        reds = min(policy.red_count, len(ranked) // 2)
        blacks = min(policy.black_count, len(ranked) // 2)
        for line in ranked:
            # Ties at the edge share the band: the rank decides, not the position.
            if reds and line.rank <= reds:
                line.band = "red"
            elif blacks and _rank_from_bottom(line, ranked) <= blacks:
                line.band = "black"
    else:
        for line in ranked:
            if line.score >= policy.red_min_score:
                line.band = "red"
            elif line.score < policy.black_below_score:
                line.band = "black"
    for line in lines:
        line.rule = "insufficient" if line.band == "insufficient" else policy.band_mode
        line.extra["policy_version"] = version
    order = {"red": 0, "middle": 1, "black": 2, "insufficient": 3}
    return sorted(lines, key=lambda x: (order[x.band], x.rank or 0, x.name))


def rule_text(rule: str, policy) -> str:
    """The rule that placed a line, in the reader's language."""
    if rule == "insufficient":
        return _("fewer than %(n)s ratings in the month: not ranked") % {"n": policy.min_ratings}
    weights = _("score = satisfaction × %(s)s%% + on time × %(t)s%%") % {
        "s": policy.satisfaction_weight,
        "t": policy.on_time_weight,
    }
    if rule == "rank":
        band = _(
            "top %(r)s red, bottom %(b)s black (ties share the band; each band at most half)"
        ) % {
            "r": policy.red_count,
            "b": policy.black_count,
        }
    else:
        band = _("red at %(r)s or above, black below %(b)s") % {
            "r": policy.red_min_score,
            "b": policy.black_below_score,
        }
    return f"{band}; {weights}"


def policy_at(version: int):
    """The board policy as it was at ``version`` (0: the documented default)."""
    from gridgov.core.models import PolicyVersion
    from gridgov.core.policies import REGISTRY as POLICIES

    schema = POLICIES[POLICY].schema
    row = PolicyVersion.objects.filter(key=POLICY, version=version).first()
    return schema.model_validate(row.value) if row is not None and version else schema()


def _rank_from_bottom(line: Line, ranked: list[Line]) -> int:
    """1 for the lowest score (every worker sharing it), 2 for the next one up, and so on
    by position: the count of workers scoring strictly lower, plus one."""
    return sum(1 for x in ranked if x.score < line.score) + 1


def community_workers(community: OrgUnit, period: Period) -> dict[int, set[int]]:
    """{worker id: ids of the community's grids they were on duty in during the month}."""
    start, end = timezone.localtime(period.start).date(), timezone.localtime(period.end).date()
    rows = GridAssignment.objects.filter(
        grid__path__startswith=community.path,
        duty__in=WORKER_DUTIES,
        start_date__lt=end,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
    workers: dict[int, set[int]] = {}
    for user_id, grid_id in rows.values_list("user_id", "grid_id"):
        workers.setdefault(user_id, set()).add(grid_id)
    return workers


def figures_for(community: OrgUnit, period: Period) -> list[Figures]:
    """The figures of every worker on the community's board for the month, read with the
    registry's own definitions over the community's rows."""
    from gridgov.accounts.models import User

    workers = community_workers(community, period)
    if not workers:
        return []
    policy = policy_in_force(POLICY).value
    users = User.objects.in_bulk(list(workers))
    figures = {
        pk: Figures(pk, shown_name(users[pk], policy.names)) for pk in workers if pk in users
    }
    events = Event.objects.filter(scope_path__startswith=community.path, assignee_id__in=figures)
    satisfaction = REGISTRY["events.satisfaction"].grouped(events, period, "assignee_id")
    on_time = REGISTRY["events.on_time_handling"].grouped(events, period, "assignee_id")
    for pk, value in satisfaction.items():
        figures[pk].good += int(value.numerator)
        figures[pk].ratings += value.denominator
    for pk, value in on_time.items():
        figures[pk].on_time += int(value.numerator)
        figures[pk].handled += value.denominator
    orders = ServiceOrder.objects.filter(
        scope_path__startswith=community.path, resident_rating__isnull=False
    )
    by_grid = REGISTRY["lists.satisfaction"].grouped(orders, period, "need__household__grid_id")
    for pk, grids in workers.items():
        if pk not in figures:
            continue
        for grid_id in grids:
            value = by_grid.get(grid_id)
            if value is not None:
                figures[pk].good += int(value.numerator)
                figures[pk].ratings += value.denominator
    return list(figures.values())


def compute_board(community: OrgUnit, period: Period) -> tuple[list[Line], int]:
    """The community's board for the period as the policy in force places it (lines, policy
    version)."""
    in_force = policy_in_force(POLICY)
    return rank_workers(figures_for(community, period), in_force.value, in_force.version), (
        in_force.version
    )


def previous_month_label(today: date | None = None) -> str:
    today = today or timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
