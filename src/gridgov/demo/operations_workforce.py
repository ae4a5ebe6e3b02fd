"""The demo's grid workforce: a profile for every grid worker of the district, certificates
(two workers without a valid one) and this year's training ledger — pre-job training, law,
psychology, first aid and smart tools, some with a test score, so some workers meet the
yearly hours, some fall short and some owe a re-test. Idempotent: a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.operations import services_workforce as services
from gridgov.operations.models import WorkerProfile
from gridgov.operations.selectors_workforce import WORKER_DUTIES, running
from gridgov.org.models import GridAssignment, OrgUnit

DISTRICT = "310104"
COURSES = [
    ("岗前培训：网格员职责与工作规范", "pre_job", 16),
    ("民法典与基层矛盾调解", "legal", 12),
    ("社区心理疏导实务", "psychology", 8),
    ("应急救护与心肺复苏", "first_aid", 8),
    ("网格通App与智能设备使用", "tools", 6),
    ("数据采集与移动巡检终端", "tools", 8),
    ("反诈宣传与法律援助", "legal", 6),
    ("养老服务专项提升", "special", 16),
    ("视频监控平台与无人机巡查", "tools", 8),
]


def seed_workforce() -> int:
    """Returns the workers given a profile (0 when already seeded or no demo district)."""
    if WorkerProfile.objects.exists():
        return 0
    district = OrgUnit.objects.filter(code=DISTRICT).first()
    staff = User.objects.filter(username="demo_district").first()
    if district is None or staff is None:
        return 0
    rng = random.Random(20261203)
    today = timezone.localdate()
    first_day = date(today.year, 1, 1)
    assignments = (
        GridAssignment.objects.filter(
            running(today), duty__in=WORKER_DUTIES, grid__path__startswith=district.path
        )
        .select_related("grid", "user")
        .order_by("user_id", "grid__path")
    )
    done: set[int] = set()
    for n, a in enumerate(assignments):
        if a.user_id in done:
            continue
        done.add(a.user_id)
        worker, path = a.user, a.grid.path
        services.profile_save(
            actor=staff,
            worker=worker,
            path=path,
            data={
                "grade": rng.choice(["junior", "junior", "middle", "senior"]),
                "education": rng.choice(["college", "college", "bachelor", "secondary"]),
                "hire_date": (today - timedelta(days=rng.randint(200, 3000))).isoformat(),
                "birth_year": str(rng.randint(1968, 2000)),
            },
        )
        if n % 7 != 3:  # a few without a valid certificate
            services.certificate_add(
                actor=staff,
                worker=worker,
                path=path,
                data={
                    "name": "网格员上岗资格证",
                    "issued_on": (today - timedelta(days=rng.randint(100, 900))).isoformat(),
                    "expires_on": (today + timedelta(days=rng.randint(200, 900))).isoformat(),
                },
            )
        span = max(1, (today - first_day).days)
        for course, category, hours in rng.sample(COURSES, rng.randint(4, len(COURSES))):
            services.training_add(
                actor=staff,
                worker=worker,
                path=path,
                data={
                    "course": course,
                    "category": category,
                    "hours": str(hours),
                    "held_on": (first_day + timedelta(days=rng.randint(0, span))).isoformat(),
                    "provider": "区网格化管理中心",
                    "score": str(rng.randint(62, 98)) if category != "tools" else "",
                },
            )
    return len(done)
