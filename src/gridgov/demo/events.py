"""Demo events: twelve hundred over the last 90 days in every state, some overdue,
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
from gridgov.events.models import Category, Department, Event, State
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


def seed_events(count: int = 1200, seed: int = 2026) -> int:
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
    calendar = WorkCalendar.load()
    describe = Describer()
    pairs = synthetic.build(
        rng=rng,
        staff=staff,
        categories=categories,
        count=count,
        start=end - timedelta(days=90),
        end=end,
        calendar=calendar,
        describe=describe,
    )
    total = synthetic.save(pairs)
    kwargs = {"rng": rng, "start": end - timedelta(days=30), "end": end, "calendar": calendar}
    return total + _first_morning(staff, categories, describe, kwargs)


# Open work picked for the first morning: (state mix, due today, overdue, due later).
OPEN_MIX = [(State.HANDLING, 3), (State.DISPATCHED, 2)]


def _pick(pairs, end, *, today: int, overdue: int, later: int) -> list:
    """Candidates sorted into due today / overdue / later, the wanted number of each."""
    day = timezone.localdate(end)
    buckets = {"today": [], "overdue": [], "later": []}
    for event, actions in pairs:
        if event.handle_due is None:
            continue
        if event.handle_due < end:
            key = "overdue"
        elif timezone.localdate(event.handle_due) == day:
            key = "today"
        else:
            key = "later"
        buckets[key].append((event, actions))
    # Late in the evening little is still due today: the soonest due tomorrow stand in.
    buckets["later"].sort(key=lambda pair: pair[0].handle_due)
    short = max(0, today - len(buckets["today"]))
    soon = buckets["today"][:today] + buckets["later"][:short]
    return soon + buckets["overdue"][:overdue] + buckets["later"][short : short + later]


def _first_morning(staff, categories, describe, kwargs) -> int:
    """The demo accounts' own queues on the first morning: the grid worker's events due
    today and a few overdue; the department's check-ins (吹哨报到) and deadlines."""
    end = kwargs["end"]
    mine = [s for s in staff if s.grid.code == "310104003001001"]
    chosen = _pick(
        synthetic.build(
            staff=mine,
            categories=categories,
            count=80,
            describe=describe,
            state_mix=OPEN_MIX,
            **kwargs,
        ),
        end,
        today=3,
        overdue=2,
        later=3,
    )
    department = Department.objects.get(code="CG")
    handler = User.objects.filter(username="demo_dept").first()
    district = OrgUnit.objects.get(code="310104")
    routed = [c for c in categories if c.department_id == department.pk]
    if handler is not None and routed:
        # Whistled up to the department: waiting for its check-in (报到).
        whistled = _pick(
            synthetic.build(
                staff=staff,
                categories=routed,
                count=60,
                describe=describe,
                state_mix=[(State.DISPATCHED, 1)],
                **kwargs,
            ),
            end,
            today=1,
            overdue=0,
            later=2,
        )
        for event, _actions in whistled:
            event.assignee = None
            event.level, event.responsible_unit = Event.Level.DISTRICT, district
            event.department = department
        # Checked in and being handled by the department's handler.
        handling = _pick(
            synthetic.build(
                staff=staff,
                categories=routed,
                count=60,
                describe=describe,
                state_mix=[(State.HANDLING, 1)],
                **kwargs,
            ),
            end,
            today=1,
            overdue=1,
            later=2,
        )
        for event, _actions in handling:
            event.assignee = handler
            event.level, event.responsible_unit = Event.Level.DISTRICT, district
            event.department = department
        chosen += whistled + handling
    return synthetic.save(chosen)
