"""The demo's service facilities: in each community a 综合服务中心 (in its first grid only,
so some grids have none and some buildings lie beyond the 15-minute circle), an elderly
care station and an activity room. The centre's rooms are the community's bookable rooms
of the three lists (their bookings count as use); the other spaces have opening hours and
a month of walk-in use, one of them nearly idle, so last month's 功能调整 task is open.
Idempotent: a second run adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.lists.models import BookableSpace
from gridgov.operations import services_facilities as services
from gridgov.operations.models import Facility
from gridgov.operations.selectors_facilities import open_hours
from gridgov.org.models import Grid, OrgUnit

DISTRICT = "310104"
WEEKDAYS = {str(d): "08:30-11:30, 13:30-17:30" for d in range(5)}
EVERY_DAY = {str(d): "08:00-11:00, 14:00-20:00" for d in range(7)}


def _centre_of(grid: OrgUnit, dx: float = 0.0) -> tuple[float, float]:
    box = Grid.objects.get(unit=grid)
    return round((box.min_lon + box.max_lon) / 2 + dx, 6), round((box.min_lat + box.max_lat) / 2, 6)


def seed_facilities() -> int:
    """Returns the facilities added (0 when already seeded or no demo district)."""
    if Facility.objects.exists():
        return 0
    district = OrgUnit.objects.filter(code=DISTRICT).first()
    staff = User.objects.filter(username="demo_district").first()
    if district is None or staff is None:
        return 0
    rng = random.Random(20261202)
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    since = (last_month - timedelta(days=90)).isoformat()  # the rooms opened long ago
    added = 0
    communities = OrgUnit.objects.filter(
        level=OrgUnit.Level.COMMUNITY, path__startswith=district.path, is_active=True
    ).order_by("code")
    for community in communities:
        grids = list(community.children.filter(is_active=True).order_by("code"))
        if not grids:
            continue
        lon, lat = _centre_of(grids[0])
        centre = _facility(staff, f"{community.name}综合服务中心", "service_centre", lon, lat)
        booked = []
        for bookable in BookableSpace.objects.filter(resource__owner=community).select_related(
            "resource"
        ):
            booked.append(
                services.space_create(
                    actor=staff,
                    facility=centre,
                    data={
                        "name": bookable.resource.name.removeprefix(community.name),
                        "capacity": bookable.capacity_people,
                        "opened_on": since,
                        "bookable": str(bookable.resource.uid),
                    },
                )
            )
        hall = services.space_create(
            actor=staff,
            facility=centre,
            data={
                "name": "服务大厅",
                "capacity": 40,
                "opened_on": since,
                "schedule": WEEKDAYS,
                "equipment": "自助终端",
            },
        )
        far = grids[-1]
        lon, lat = _centre_of(far, 0.001)
        station = _facility(staff, f"{far.name}养老驿站", "elderly_station", lon, lat)
        canteen = services.space_create(
            actor=staff,
            facility=station,
            data={"name": "助餐点", "capacity": 30, "schedule": EVERY_DAY, "opened_on": since},
        )
        room = _facility(staff, f"{community.name}活动室", "activity_room", lon + 0.002, lat)
        quiet = services.space_create(
            actor=staff,
            facility=room,
            data={"name": "棋牌室", "capacity": 16, "schedule": WEEKDAYS, "opened_on": since},
        )
        added += 3
        # A month of walk-in use besides the bookings: the hall, the canteen and the booked
        # rooms busy, the card room nearly idle.
        uses = [(hall, 0.85), (canteen, 0.9), (quiet, 0.08)] + [(b, 0.8) for b in booked]
        for space, share in uses:
            day = last_month
            while day < today:
                hours = open_hours(space, day, day)
                if hours and rng.random() < 0.97:
                    used = round(hours * min(1.0, max(0.0, rng.gauss(share, 0.05))), 1)
                    if used > 0:
                        services.use_record(
                            actor=staff,
                            space=space,
                            data={
                                "used_on": day.isoformat(),
                                "hours": str(used),
                                "attendees": rng.randint(1, max(1, space.capacity)),
                            },
                        )
                day += timedelta(days=1)
    services.open_adjustment_tasks(last_month)
    return added


def _facility(staff, name: str, kind: str, lon: float, lat: float) -> Facility:
    return services.facility_create(
        actor=staff,
        data={
            "name": name,
            "kind": kind,
            "lon": lon,
            "lat": lat,
            "address": name,
            "owner_department": "区民政局" if kind != "activity_room" else "街道办事处",
            "shared_with": "辖区居民、社会组织",
        },
    )
