"""Where an event goes: location → grid → the least-loaded grid worker of that grid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Role
from gridgov.accounts.selectors import unit_staff
from gridgov.core.policies import policy_get
from gridgov.events.models import OPEN_STATES, Event
from gridgov.org.models import GridAssignment, OrgUnit
from gridgov.org.selectors import grid_at_point, grid_nearest_point

# Depth of each level in a path "31/3101/310104/310104003/310104003001/…".
LEVEL_DEPTH = {"district": 3, "street": 4, "community": 5, "grid": 6}
HANDLING_DUTIES = [GridAssignment.Duty.FULL_TIME, GridAssignment.Duty.PART_TIME]


@dataclass(frozen=True)
class Placement:
    grid: OrgUnit | None
    unit: OrgUnit  # the grid, or the community queue when outside every grid
    outside_grids: bool


def place(*, lon: float, lat: float) -> Placement | None:
    """The grid containing the point; outside every grid, the community of the nearest
    grid (its queue picks the event up, with a warning)."""
    grid = grid_at_point(lon=lon, lat=lat)
    if grid is not None:
        return Placement(grid, grid, False)
    nearest = grid_nearest_point(lon=lon, lat=lat)
    if nearest is None:
        return None
    return Placement(None, nearest.parent, True)


def ancestor_at(path: str, level: str) -> OrgUnit | None:
    codes = [c for c in path.split("/") if c]
    depth = LEVEL_DEPTH[level]
    if len(codes) < depth:
        return None
    return OrgUnit.objects.filter(code=codes[depth - 1]).first()


def grid_workers(grid: OrgUnit):
    today = timezone.localdate()
    return (
        GridAssignment.objects.filter(
            grid=grid, duty__in=HANDLING_DUTIES, start_date__lte=today, user__is_active=True
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("user")
    )


def least_loaded_worker(grid: OrgUnit | None):
    """The grid's worker with the fewest open events (full-time first, then by name)."""
    if grid is None:
        return None
    assignments = list(grid_workers(grid))
    if not assignments:
        return None
    users = {a.user_id: a for a in assignments}
    loads = dict(
        Event.objects.filter(assignee_id__in=users, state__in=OPEN_STATES)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    best = min(
        assignments,
        key=lambda a: (
            loads.get(a.user_id, 0),
            a.duty != GridAssignment.Duty.FULL_TIME,
            a.user.username,
        ),
    )
    return best.user


def verifiers_for(event: Event) -> list:
    """Who is asked to verify a handled event on site. Never its handler (policy
    ``events.loop.separate_verifier``, on by default): the grid's other people who verify
    (grid workers, a grid leader of the grid); with nobody else in the grid, the grid
    leaders of its community; with none, the community's staff."""
    handler = event.assignee_id if policy_get("events.loop").separate_verifier else None
    community = ancestor_at(event.scope_path, "community")
    community_staff = unit_staff(community, "events.verify")
    leaders = {
        m.user_id for m in Membership.objects.filter(org_unit=community, role=Role.GRID_LEADER)
    }
    tiers = [
        unit_staff(event.grid, "events.verify") if event.grid_id else [],
        [u for u in community_staff if u.pk in leaders],
        community_staff,
    ]
    for tier in tiers:
        people = [u for u in tier if u.pk != handler]
        if people:
            return people
    return []


def events_today(user) -> int:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Event.objects.filter(
        assignee=user, dispatched_at__gte=start, dispatched_at__lt=start + timedelta(days=1)
    ).count()


def workload_warning(user) -> int | None:
    """Events given to the worker today, when above the policy's limit."""
    if user is None:
        return None
    count = events_today(user)
    return count if count > policy_get("events.workload").max_events_per_day else None
