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


def seed_people(seed: int = 2026) -> int:
    """Households with 1–4 members in every demo grid; returns the number of residents."""
    rng = random.Random(seed)
    # A second generator for the record-quality fields keeps the people themselves unchanged.
    quality = random.Random(seed + 1)
    now = timezone.now()
    tags = {t.code: t for t in TagCategory.objects.all()}
    created = 0
    for grid in OrgUnit.objects.filter(level="grid", path__startswith="31/3101/310104/"):
        buildings = list(Building.objects.filter(grid=grid).select_related("compound"))
        for number in range(1, 9):
            building = buildings[number % len(buildings)] if buildings else None
            address = (
                f"{building.compound.name} {building.number} {1 + number % 3}单元 "
                f"{100 * (1 + number % 6) + number:d}室"
                if building
                else f"{grid.name} {number}号"
            )
            household, new = Household.objects.get_or_create(
                grid=grid,
                number=f"H{number:04d}",
                defaults={"scope_path": grid.path, "address": address, "kind": "family"},
            )
            if not new:
                continue
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
                        if quality.random() < 0.1
                        else quality.choice(["junior", "senior", "college", "bachelor"]),
                    },
                )
                # Last verified 0–220 days ago: about one record in five is due again.
                resident.verified_at = now - timedelta(days=quality.randrange(0, 220))
                if not resident.phone_index:
                    resident.phone_encrypted = resident.phone_masked = ""
                resident.name_initials = name_initials(resident.name)
                resident.save()
                ResidentHistory.objects.create(
                    resident=resident,
                    version=1,
                    action="demo",
                    changes={},
                    actor_name="system:demo-seed",
                )
                created += 1
                age = (date(2026, 6, 30) - birth).days // 365
                chosen = []
                if age >= 60 and len(members) == 1:
                    chosen.append("living_alone_elderly")
                if resident.registration == "migrant":
                    chosen.append("migrant")
                if number == 1 and relation == "head":
                    chosen.append("veteran")  # every demo grid shows at least one tag
                if rng.random() < 0.08:
                    chosen.append(rng.choice(["disability", "dibao", "chronic_disease", "veteran"]))
                for code in chosen:
                    ResidentTag.objects.get_or_create(
                        resident=resident,
                        category=tags[code],
                        defaults={
                            "scope_path": grid.path,
                            "source": "演示数据",
                            # Most files say since when; the rest wait for the grid worker.
                            "valid_from": date(2024, quality.randrange(1, 13), 1)
                            if quality.random() < 0.9
                            else None,
                        },
                    )
    return created
