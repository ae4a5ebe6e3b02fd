"""Demo events: nine hundred over the last 90 days in every state, some overdue,
with departments, more grid workers and an alarm device."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.demo.texts import Describer
from gridgov.events import synthetic
from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import Category, Department
from gridgov.org.models import GridAssignment, OrgUnit

DEPARTMENTS = [
    ("CG", "区城管执法局", ["09006", "07001", "55004"]),
    ("XF", "区消防救援支队", ["52001", "09012"]),
    ("FG", "区房管局", ["51002", "56002"]),
    ("HB", "区生态环境局", ["06028", "08001", "51003"]),
]
WORKER_NAMES = [
    "王建国",
    "李秀英",
    "张伟",
    "刘芳",
    "陈静",
    "杨磊",
    "黄敏",
    "赵强",
    "吴丽",
    "周涛",
    "徐娟",
    "孙勇",
]


def seed_events(count: int = 900, seed: int = 2026) -> int:
    rng = random.Random(seed)
    district = OrgUnit.objects.get(code="310104")
    for code, name, categories in DEPARTMENTS:
        department, _ = Department.objects.get_or_create(
            code=code, defaults={"district": district, "name": name}
        )
        Category.objects.filter(code__in=categories, kind="matter").update(department=department)
    handler = User.objects.filter(username="demo_dept").first()
    if handler is not None:
        Department.objects.get(code="CG").members.add(handler)
    staff = []
    grids = list(
        OrgUnit.objects.filter(level="grid", path__startswith=district.path)
        .select_related("parent", "grid")
        .order_by("code")
    )
    for i, grid in enumerate(grids):
        workers = [
            a.user
            for a in GridAssignment.objects.filter(
                grid=grid, duty=GridAssignment.Duty.FULL_TIME
            ).select_related("user")
        ]
        if not workers:
            worker = User.objects.create(
                username=f"demo_gw_{grid.code}",
                display_name=f"网格员 {WORKER_NAMES[i % len(WORKER_NAMES)]}",
                is_demo=True,
                must_change_password=False,
                password=make_password(None),  # no sign-in: staff for the demo data only
            )
            Membership.objects.create(user=worker, role=Role.GRID_WORKER, org_unit=grid)
            GridAssignment.objects.create(
                grid=grid, user=worker, duty="full_time", start_date=date(2026, 1, 1)
            )
            workers = [worker]
        box = grid.grid
        staff.append(
            synthetic.GridStaff(
                grid, workers, ((box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2)
            )
        )
    categories = list(Category.objects.filter(is_active=True, parent__isnull=False))
    end = timezone.now()
    pairs = synthetic.build(
        rng=rng,
        staff=staff,
        categories=categories,
        count=count,
        start=end - timedelta(days=90),
        end=end,
        calendar=WorkCalendar.load(),
        describe=Describer(),
    )
    return synthetic.save(pairs)
