"""The demo's chat exports and early warnings: for the service groups of the first
compounds, the consent notice recorded and a generated export of the last two weeks
read — residents asking and the property's admin answering, and in some groups a burst
of a watched topic (发热 today, 漏水 yesterday) that raises a warning. Of the warnings one
is confirmed and reported as a grid event and one is a false alarm; the rest wait to be
checked. Idempotent: a group with an export is left as it is."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from io import BytesIO

from django.utils import timezone

from gridgov.groups import services_messages as exports
from gridgov.groups import services_warnings as warnings
from gridgov.groups.models import ChatImport, EarlyWarning, Group

GROUPS = 6
ADMIN = "物业管家小王"
CHATTER = ["早上好", "今天垃圾几点收？", "收到", "谢谢管家", "楼下快递柜满了", "好的"]
ASK = ["请问电梯什么时候修好？", "有没有人知道停车费怎么交？", "明天停水吗？"]
ANSWER = ["已报修，下午修好", "物业前台可交", "明天不停水"]
BURSTS = {0: ("发热", 0), 2: ("漏水", 1), 4: ("发热", 0)}  # group index: (term, days ago)


class _Export(BytesIO):
    name = "demo-export.txt"


def _export(index: int, now: datetime) -> str:
    """Two weeks of a group's chat, Beijing time, as a WeChat tool writes it."""
    rng = random.Random(index)
    residents = [f"{rng.choice('张王李赵刘陈杨黄周吴')}{i}号楼居民" for i in range(1, 25)]
    lines = []
    start = timezone.localtime(now).replace(hour=7, minute=0, second=0, microsecond=0)
    for days_ago in range(14, -1, -1):
        day = start - timedelta(days=days_ago)
        for n in range(rng.randint(6, 14)):
            moment = day + timedelta(minutes=20 * n + rng.randint(0, 15))
            if moment > timezone.localtime(now):
                break
            who = rng.choice(residents)
            if n % 5 == 2:
                k = rng.randrange(len(ASK))
                lines.append((moment, who, ASK[k]))
                lines.append((moment + timedelta(minutes=rng.randint(10, 150)), ADMIN, ANSWER[k]))
            else:
                lines.append((moment, who, rng.choice(CHATTER)))
        burst = BURSTS.get(index)
        if burst and burst[1] == days_ago:
            term = burst[0]
            text = f"我家也{term}了" if term == "发热" else f"{term}了，楼道都是水"
            # Today's burst lies in the half hour before now, whatever the hour of seeding.
            first = day + timedelta(hours=1) if days_ago else timezone.localtime(now)
            step = timedelta(minutes=3) if days_ago else timedelta(minutes=-3)
            for n in range(rng.randint(7, 10)):
                lines.append(
                    (first + step * n - timedelta(seconds=30), rng.choice(residents), text)
                )
    lines = sorted(
        (line for line in lines if line[0] <= timezone.localtime(now)), key=lambda x: x[0]
    )
    return "\n".join(f"{m:%Y-%m-%d %H:%M:%S} {who}\n{text}\n" for m, who, text in lines)


def seed_group_warnings() -> int:
    """The exports read (0 when seeded already)."""
    now = timezone.now()
    groups = (
        Group.objects.filter(state=Group.State.APPROVED, function="service")
        .select_related("community", "responsible")
        .order_by("community__code", "name")[:GROUPS]
    )
    read = 0
    for index, group in enumerate(groups):
        if ChatImport.objects.filter(group=group).exists():
            continue
        staff = group.created_by
        if exports.consent_in_force(group) is None:
            exports.consent_record(
                actor=staff,
                group=group,
                notice="群公告告知：社区将读取本群导出的聊天记录用于服务评估",
                noticed_on=timezone.localdate(now) - timedelta(days=20),
            )
        upload = _Export(_export(index, now).encode("utf-8"))
        exports.ingest_export(actor=staff, group=group, upload=upload, admin_names=ADMIN)
        read += 1
    raised = list(
        EarlyWarning.objects.filter(state=EarlyWarning.State.OPEN).select_related("group")
    )
    if len(raised) >= 2:
        first, second = raised[0], raised[1]
        warnings.warning_to_event(actor=first.group.created_by, warning=first)
        warnings.warning_decide(
            actor=second.group.created_by,
            warning=second,
            verdict=EarlyWarning.State.FALSE_ALARM,
            note="居民转发的旧消息，已核实",
        )
    return read
