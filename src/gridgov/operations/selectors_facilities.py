"""Reads of service facilities, scoped through ``visible_to``: facilities, their spaces'
utilisation per month, the 功能调整 tasks, and the 15-minute service circle.

Utilisation of a space in a month = hours used ÷ hours open: hours used are the bookings
checked in or completed (when the space is booked through the three lists) plus the walk-in
hours staff entered; hours open come from the bookable resource's slots or from the space's
own weekly opening hours. Idle = 1 − utilisation.

The circle: for every building with a point, the straight-line distance to the nearest
facility of a kind that counts for the circle, by one STRtree query over all buildings
(coordinates projected to metres around the area's centre; the error is well under 1 % over
a district); a building is covered within the policy's reach, and its residents with it."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import shapely
from django.db.models import QuerySet, Sum
from django.utils import timezone

from gridgov.core.scoping import access_object
from gridgov.operations.models import AdjustmentTask, Facility, FacilitySpace, SpaceUse
from gridgov.operations.policies_facilities import facilities_policy

EARTH_M_PER_DEGREE = 111_320.0


def facility_list(*, actor, kind: str = "") -> QuerySet[Facility]:
    qs = Facility.objects.visible_to(actor).filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("grid", "community")


def facility_get(*, actor, uid, action: str = "view") -> Facility:
    return access_object(
        actor, Facility.objects.select_related("grid", "community"), action, uid=uid
    )


def space_get(*, actor, uid, action: str = "view") -> FacilitySpace:
    space = FacilitySpace.objects.select_related("facility", "bookable").filter(uid=uid).first()
    if space is None:
        from gridgov.core.errors import NotFound

        raise NotFound()
    facility_get(actor=actor, uid=space.facility.uid, action=action)
    return space


def task_list(*, actor, open_only: bool = True):
    qs = AdjustmentTask.objects.visible_to(actor).select_related("space__facility")
    return qs.filter(state=AdjustmentTask.State.OPEN) if open_only else qs


def task_get(*, actor, uid) -> AdjustmentTask:
    return access_object(actor, AdjustmentTask.objects.select_related("space__facility"), uid=uid)


# Utilisation ------------------------------------------------------------------------------------


def open_hours(space: FacilitySpace, first: date, last: date) -> float:
    """Hours the space is open between two dates (inclusive)."""
    from gridgov.lists.booking_selectors import open_hours as bookable_hours
    from gridgov.lists.booking_selectors import open_intervals

    if space.bookable_id:
        return bookable_hours(space.bookable, first, last)
    total = 0.0
    day = first
    while day <= last:
        total += sum((e - s).total_seconds() for s, e in open_intervals(space, day)) / 3600
        day += timedelta(days=1)
    return total


@dataclass
class SpaceMonth:
    space: FacilitySpace
    month: date
    open_hours: float
    booked_hours: float  # bookings checked in or completed
    walk_in_hours: float

    @property
    def used_hours(self) -> float:
        return self.booked_hours + self.walk_in_hours

    @property
    def utilisation(self) -> float | None:
        if not self.open_hours:
            return None
        return round(min(1.0, self.used_hours / self.open_hours), 4)

    @property
    def idle(self) -> float | None:
        rate = self.utilisation
        return None if rate is None else round(1 - rate, 4)


def _month(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def space_utilisation(spaces, month: date, until: date | None = None) -> list[SpaceMonth]:
    """Each space's month (to ``until`` when the month is not over): two grouped queries
    for the walk-in hours and the bookings, whatever the number of spaces."""
    first, last = _month(month)
    if until is not None:
        last = min(last, until)
    spaces = list(spaces)
    walk_in = dict(
        SpaceUse.objects.filter(space__in=spaces, used_on__range=(first, last))
        .values("space")
        .annotate(h=Sum("hours"))
        .order_by()
        .values_list("space", "h")
    )
    booked: dict[int, float] = {}
    bookables = [s for s in spaces if s.bookable_id]
    if bookables:
        end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
        starts = {
            s.bookable_id: timezone.make_aware(datetime.combine(max(first, s.opened_on), time.min))
            for s in bookables
        }
        booked = _booked_hours(starts, end)
    return [
        SpaceMonth(
            space=s,
            month=first,
            # Counted from the day the space is in use.
            open_hours=open_hours(s, max(first, s.opened_on), last),
            booked_hours=booked.get(s.bookable_id, 0.0) if s.bookable_id else 0.0,
            walk_in_hours=float(walk_in.get(s.pk, Decimal(0))),
        )
        for s in spaces
    ]


def _booked_hours(starts: dict[int, datetime], end: datetime) -> dict[int, float]:
    """{bookable id: hours of bookings checked in or completed between its start and
    ``end``}, in one query."""
    from gridgov.lists.models import Booking

    out: dict[int, float] = {}
    for space_id, start, finish in Booking.objects.filter(
        space__in=list(starts),
        start_at__lt=end,
        end_at__gt=min(starts.values()),
        state__in=Booking.USED_STATES,
    ).values_list("space_id", "start_at", "end_at"):
        hours = (min(finish, end) - max(start, starts[space_id])).total_seconds() / 3600
        out[space_id] = out.get(space_id, 0.0) + max(0.0, hours)
    return out


# The 15-minute circle ---------------------------------------------------------------------------


@dataclass
class Reach:
    building: int
    grid_path: str
    lon: float
    lat: float
    residents: int
    nearest_m: float | None  # None: no facility of the circle anywhere

    def covered(self, reach_m: int) -> bool:
        return self.nearest_m is not None and self.nearest_m <= reach_m


@dataclass
class Circle:
    reach_m: int
    buildings: list[Reach] = field(default_factory=list)
    unplaced: int = 0  # residents whose household has no room in a placed building

    def by_path(self) -> dict[str, list]:
        """{grid path: [residents covered, residents in placed buildings]}."""
        out: dict[str, list] = {}
        for b in self.buildings:
            box = out.setdefault(b.grid_path, [0, 0])
            box[1] += b.residents
            if b.covered(self.reach_m):
                box[0] += b.residents
        return out

    def uncovered(self) -> list[Reach]:
        return [b for b in self.buildings if not b.covered(self.reach_m)]


def _projector(lons: np.ndarray, lats: np.ndarray):
    lon0, lat0 = float(np.mean(lons)), float(np.mean(lats))
    scale_x = EARTH_M_PER_DEGREE * math.cos(math.radians(lat0))

    def project(lon, lat):
        return (np.asarray(lon) - lon0) * scale_x, (np.asarray(lat) - lat0) * EARTH_M_PER_DEGREE

    return project


def nearest_metres(lons: np.ndarray, lats: np.ndarray, sites: list) -> np.ndarray:
    """For each point (``lons``, ``lats``), the distance in metres to the nearest of
    ``sites`` ([(lon, lat)]), NaN when there is none: one STRtree query for all points."""
    nearest = np.full(len(lons), np.nan)
    if not sites or not len(lons):
        return nearest
    project = _projector(lons, lats)
    site_x, site_y = project([s[0] for s in sites], [s[1] for s in sites])
    tree = shapely.STRtree(shapely.points(site_x, site_y))
    bx, by = project(lons, lats)
    (which, _hits), distances = tree.query_nearest(
        shapely.points(bx, by), return_distance=True, all_matches=False
    )
    nearest[which] = distances
    return nearest


def circle(prefix: str) -> Circle:
    """The circle for the buildings under the unit path ``prefix``: every active facility of
    a circle kind counts, wherever it is (a centre across the street's border serves it)."""
    from gridgov.org.models import Building
    from gridgov.people.selectors import residents_by_building

    policy = facilities_policy()
    kinds = [code for code, k in policy.kinds.items() if k.in_circle]
    rows = list(
        Building.objects.filter(grid__path__startswith=prefix, lon__isnull=False)
        .values_list("pk", "grid__path", "lon", "lat")
        .order_by("pk")
    )
    counts, unplaced = residents_by_building(prefix=prefix)
    result = Circle(reach_m=policy.circle_metres, unplaced=unplaced)
    if not rows:
        return result
    ids, paths, lons, lats = zip(*rows, strict=True)
    lons, lats = np.array(lons), np.array(lats)
    sites = list(Facility.objects.filter(is_active=True, kind__in=kinds).values_list("lon", "lat"))
    nearest = nearest_metres(lons, lats, sites)
    result.buildings = [
        Reach(
            building=ids[i],
            grid_path=paths[i],
            lon=float(lons[i]),
            lat=float(lats[i]),
            residents=counts.get(ids[i], 0),
            nearest_m=None if math.isnan(nearest[i]) else round(float(nearest[i]), 1),
        )
        for i in range(len(rows))
    ]
    return result


def grids_with_centre(prefix: str) -> dict[str, list]:
    """{grid path: [1 when an active facility of a circle kind stands in it, 1]} for the
    active grids under ``prefix`` (每个网格至少1个综合服务中心)."""
    from gridgov.org.models import OrgUnit

    kinds = [c for c, k in facilities_policy().kinds.items() if k.in_circle]
    having = set(
        Facility.objects.filter(
            is_active=True, kind__in=kinds, grid__path__startswith=prefix
        ).values_list("grid__path", flat=True)
    )
    return {
        path: [int(path in having), 1]
        for path in OrgUnit.objects.filter(
            level=OrgUnit.Level.GRID, path__startswith=prefix, is_active=True
        ).values_list("path", flat=True)
    }


def circle_board(*, actor) -> dict:
    """The circle over the reader's area: totals and, per grid, residents covered and
    whether a facility of the circle stands in it (grid codes, not paths)."""
    policy = facilities_policy()
    grids: dict[str, list] = {}
    centres: dict[str, list] = {}
    unplaced = uncovered = 0
    for prefix in actor.scope_paths("operations.view"):
        result = circle(prefix)
        grids.update(result.by_path())
        centres.update(grids_with_centre(prefix))
        unplaced += result.unplaced
        uncovered += len(result.uncovered())
    from gridgov.org.models import OrgUnit

    codes = dict(OrgUnit.objects.filter(path__in=list(centres)).values_list("path", "code"))
    rows = []
    for path in sorted(centres):
        covered, residents = grids.get(path, [0, 0])
        rows.append(
            {
                "grid": codes.get(path, path),
                "residents": residents,
                "covered": covered,
                "share": round(100 * covered / residents, 1) if residents else None,
                "has_centre": bool(centres[path][0]),
            }
        )
    residents = sum(r["residents"] for r in rows)
    covered = sum(r["covered"] for r in rows)
    return {
        "reach_m": policy.circle_metres,
        "target": round(100 * policy.circle_target, 1),
        "residents": residents,
        "covered": covered,
        "share": round(100 * covered / residents, 1) if residents else None,
        "without_centre": sum(1 for r in rows if not r["has_centre"]),
        "unplaced": unplaced,
        "uncovered_buildings": uncovered,
        "grids": rows,
    }
