"""Demo households, residents and tags for every demo grid (fictitious people with
valid-looking ID numbers: real region code, real check digit)."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from django.utils import timezone
from stdnum.cn import ric

from gridgov.org.models import Building, OrgUnit
from gridgov.people.models import Household, Resident, ResidentHistory, ResidentTag, TagCategory
from gridgov.people.services import apply_values, name_initials

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
    "华玉兰萍红建国志强海燕文斌春梅晓东佳怡子轩欣怡浩然"
)


def fictitious_id(rng: random.Random, birth: date, sex: str, region: str = "310104") -> str:
    sequence = rng.randrange(0, 50) * 2 + (1 if sex == "M" else 0)
    body = f"{region}{birth:%Y%m%d}{rng.randrange(0, 10)}{sequence:02d}"
    return body + ric.calc_check_digit(body + "0")


def fictitious_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(0, 10)}{rng.randrange(0, 10**8):08d}"


def _birth(rng: random.Random, age_low: int, age_high: int) -> date:
    today = date(2026, 6, 30)
    return today - timedelta(days=rng.randrange(age_low * 365 + 1, age_high * 365))


# Share of each grid's register (Grid.household_count) that has a file, in grid order:
# most grids are nearly complete, a few have visible gaps, and two fall below the
# coverage KPI's yellow line (a believable alert for the street on the first morning).
COVERAGE = [0.93, 0.96, 0.87, 0.97, 0.92, 0.95, 0.88, 0.96, 0.91, 0.98, 0.94, 0.95]
UNITS_PER_BUILDING = 2
ROOMS_PER_FLOOR = 2


def _rooms(buildings) -> list[tuple]:
    """Every flat of the grid's buildings: (building, unit, floor, room number)."""
    return [
        (building, unit, floor, f"{floor}{room:02d}")
        for building in buildings
        for unit in range(1, UNITS_PER_BUILDING + 1)
        for floor in range(1, building.floors + 1)
        for room in range(1, ROOMS_PER_FLOOR + 1)
    ]


def households_on_file(register: int, index: int) -> int:
    return round(register * COVERAGE[index % len(COVERAGE)])


def seed_people(seed: int = 2026) -> int:
    """Households with 1–4 members in every demo grid, numbered once per community, most
    of each grid's register on file; returns the number of residents."""
    rng = random.Random(seed)
    # A second generator for the record-quality fields keeps the people themselves unchanged.
    quality = random.Random(seed + 1)
    now = timezone.now()
    tags = {t.code: t for t in TagCategory.objects.all()}
    created = 0
    numbers: dict[int, int] = {}  # community id → last household number used
    grids = (
        OrgUnit.objects.filter(level="grid", path__startswith="31/3101/310104/")
        .select_related("grid")
        .order_by("code")
    )
    for index, grid in enumerate(grids):
        if Household.objects.filter(grid=grid).exists():
            continue
        buildings = list(
            Building.objects.filter(grid=grid).select_related("compound").order_by("number")
        )
        flats = _rooms(buildings)
        rng.shuffle(flats)
        register = grid.grid.household_count if hasattr(grid, "grid") else len(flats)
        wanted = min(households_on_file(register, index), len(flats)) if flats else 8
        households = []
        for k in range(wanted):
            numbers[grid.parent_id] = numbers.get(grid.parent_id, 0) + 1
            if flats:
                building, unit, _floor, room = flats[k]
                address = f"{building.compound.name} {building.number} {unit}单元 {room}室"
            else:
                address = f"{grid.name} {k + 1}号"
            households.append(
                Household(
                    grid=grid,
                    scope_path=grid.path,
                    number=f"H{numbers[grid.parent_id]:04d}",
                    address=address,
                    kind="family",
                )
            )
        Household.objects.bulk_create(households)
        residents, tagged = [], []
        for position, household in enumerate(households):
            surname = rng.choice(SURNAMES)
            members = [("head", 35, 90)] + [
                ("spouse", 33, 88),
                ("child", 1, 30),
                ("parent", 60, 95),
            ][: rng.randrange(0, 4)]
            for relation, low, high in members:
                sex = rng.choice("MF")
                birth = _birth(rng, low, high)
                resident = Resident(
                    uid=uuid.uuid4(),
                    household=household,
                    scope_path=grid.path,
                    id_type="resident_id",
                    registration=rng.choice(["registered", "registered", "permanent", "migrant"]),
                )
                apply_values(
                    resident,
                    {
                        "name": (surname if relation != "spouse" else rng.choice(SURNAMES))
                        + rng.choice(GIVEN)
                        + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
                        "sex": sex,
                        "birth_date": birth,
                        "ethnicity": "汉族",
                        "id_number": fictitious_id(rng, birth, sex),
                        "phone": fictitious_phone(rng) if low >= 18 else "",
                        "relation": relation,
                        "occupation": "retired"
                        if low >= 60
                        else ("student" if high <= 30 else "employed"),
                        # Some records lack the education: the completeness KPI has work to show.
                        "education": ""
                        if quality.random() < 0.03
                        else quality.choice(["junior", "senior", "college", "bachelor"]),
                    },
                )
                # Most verified within the 180-day window; about one in twenty is due again.
                resident.verified_at = now - timedelta(
                    days=quality.randrange(0, 230)
                    if quality.random() < 0.25
                    else quality.randrange(0, 170)
                )
                if not resident.phone_index:
                    resident.phone_encrypted = resident.phone_masked = ""
                resident.name_initials = name_initials(resident.name)
                residents.append(resident)
                age = (date(2026, 6, 30) - birth).days // 365
                chosen = []
                if age >= 60 and len(members) == 1:
                    chosen.append("living_alone_elderly")
                if resident.registration == "migrant":
                    chosen.append("migrant")
                if position == 0 and relation == "head":
                    chosen.append("veteran")  # every demo grid shows at least one tag
                if rng.random() < 0.08:
                    chosen.append(rng.choice(["disability", "dibao", "chronic_disease", "veteran"]))
                tagged.append((resident, list(dict.fromkeys(chosen))))
        Resident.objects.bulk_create(residents, batch_size=500)
        ResidentHistory.objects.bulk_create(
            [
                ResidentHistory(
                    resident=resident,
                    version=1,
                    action="demo",
                    changes={},
                    actor_name="system:demo-seed",
                )
                for resident in residents
            ],
            batch_size=500,
        )
        ResidentTag.objects.bulk_create(
            [
                ResidentTag(
                    resident=resident,
                    category=tags[code],
                    scope_path=grid.path,
                    source="演示数据",
                    # Most files say since when; the rest wait for the grid worker.
                    valid_from=date(2024, quality.randrange(1, 13), 1)
                    if quality.random() < 0.98
                    else None,
                )
                for resident, codes in tagged
                for code in codes
            ],
            batch_size=500,
        )
        created += len(residents)
    return created
