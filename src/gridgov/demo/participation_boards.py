"""The demo's bylaws and red/black boards: each community's 社区公约 (garbage sorting,
parking, pets, noise, shared spaces), bylaw entries over the past three months — red and
black, for households (some with their consent recorded, the others shown by building only)
and for whole buildings — and the grid service board of each finished month published
from the demo's own event ratings and service-order ratings. Idempotent: a community that
has its bylaws is left as it is, a published month is not published again."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.services import SystemActor
from gridgov.demo.visits import _office
from gridgov.org.models import Building, OrgUnit, Room
from gridgov.participation import services_boards as services
from gridgov.participation.models import Bylaw, ServiceBoardEntry
from gridgov.participation.service_board import previous_month_label
from gridgov.people.models import Household

ARTICLES = [
    ("垃圾分类", "按时定点投放生活垃圾，干湿分开，大件垃圾预约清运。"),
    ("停车管理", "车辆停入划线车位，不占用消防通道和绿地，电动自行车不进楼道充电。"),
    ("文明养宠", "遛狗牵绳，及时清理宠物粪便，按规定办理犬证和免疫。"),
    ("噪音管理", "晚十点至早七点不进行装修和高声喧哗。"),
    ("公共空间", "不在楼道堆放杂物，爱护公共绿地和健身器材。"),
]
RED_NOTES = ["连续三个月分类准确", "主动清理楼道杂物", "带动邻居参与分类", "义务看护绿地"]
BLACK_NOTES = [
    "湿垃圾混投，现场拍照留存",
    "车辆长期占用消防通道，已两次提醒",
    "楼道堆放纸箱，经劝导未清理",
    "夜间装修噪音，邻居多次反映",
]
SURNAME_HOMES = ["王家", "李家", "张家", "刘家", "陈家", "杨家", "赵家", "黄家"]


def _room_of(household: Household) -> Room | None:
    """The room of a demo household, from its address (``小区 N号楼 U单元 R室``)."""
    if household.room_id:
        return household.room
    parts = household.address.split()
    if len(parts) != 4:
        return None
    compound, number, unit, room = parts
    building = Building.objects.filter(
        compound__name=compound, number=number, grid=household.grid
    ).first()
    if building is None:
        return None
    room_obj, _ = Room.objects.get_or_create(
        building=building, unit_number=unit.removesuffix("单元"), number=room.removesuffix("室")
    )
    household.room = room_obj
    household.save(update_fields=["room"])
    return room_obj


def _bylaws(community: OrgUnit, staff) -> Bylaw:
    bylaw = Bylaw.objects.filter(community=community, kind=Bylaw.Kind.CONVENTION).first()
    if bylaw is not None:
        return bylaw
    return services.bylaw_create(
        staff,
        community=community,
        data=services.BylawInput(
            kind=Bylaw.Kind.CONVENTION,
            title=f"{community.name}居民公约",
            preamble="为共建整洁、安全、和睦的家园，经居民代表会议讨论通过，全体居民共同遵守。",
            adopted_on=date(2026, 3, 15),
            articles=[{"number": n, "title": t, "text": x} for n, (t, x) in enumerate(ARTICLES, 1)],
        ),
    )


def _entries(community: OrgUnit, staff, bylaw: Bylaw, rng: random.Random) -> int:
    articles = list(bylaw.articles.filter(is_active=True))
    households = list(
        Household.objects.filter(scope_path__startswith=community.path).order_by("pk")[:400]
    )
    rng.shuffle(households)
    buildings = list(Building.objects.filter(grid__path__startswith=community.path))
    today = timezone.localdate()
    made = 0
    for k in range(14):
        occurred = today - timedelta(days=rng.randrange(0, 88))
        colour = "black" if k % 3 == 2 else "red"
        article = rng.choice(articles)
        note = rng.choice(BLACK_NOTES if colour == "black" else RED_NOTES)
        data = services.EntryInput(
            colour=colour, article=article.pk, occurred_on=occurred, evidence=note
        )
        household = None
        if k % 5 == 4 and buildings:  # a whole building's entry
            data.building = rng.choice(buildings).pk
        else:
            while households and household is None:
                candidate = households.pop()
                if _room_of(candidate) is not None:
                    household = candidate
            if household is None:
                continue
            data.household = str(household.uid)
        entry = services.entry_create(staff, community=community, data=data)
        made += 1
        # About half of the households agreed to appear by name and room.
        if household is not None and k % 2 == 0:
            services.entry_consent(
                staff,
                entry=entry,
                consent_on=min(today, occurred + timedelta(days=2)),
                public_name=rng.choice(SURNAME_HOMES),
                version=entry.version,
            )
    return made


def _month_labels(count: int) -> list[str]:
    labels, day = [], timezone.localdate()
    for _i in range(count):
        label = previous_month_label(day)
        labels.append(label)
        year, month = (int(x) for x in label.split("-"))
        day = date(year, month, 1)
    return labels


def seed_participation_boards() -> int:
    """Returns the entries written."""
    rng = random.Random(2026)
    made = 0
    communities = OrgUnit.objects.filter(
        level="community", path__startswith="31/3101/310104/"
    ).order_by("code")
    actor = SystemActor("demo-seed-boards", batch_id="demo-boards")
    for community in communities:
        staff = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
        if Bylaw.objects.filter(community=community).exists():
            continue
        bylaw = _bylaws(community, staff)
        made += _entries(community, staff, bylaw, rng)
        for label in _month_labels(3):
            if not ServiceBoardEntry.objects.filter(community=community, period=label).exists():
                services.publish_service_board(actor, community=community, period_label=label)
    return made
