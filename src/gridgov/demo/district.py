"""A deterministic synthetic district (``gridgov generate_district`` and the benchmarks):
the real streets of one district from a divisions CSV; generated communities, compounds of
the four kinds, buildings, rooms and grids of about 400 households, laid inside the
district's real outline (demo/geography.py); a resident file in the
import template's shape (an urban age pyramid, valid but fictitious ID and phone numbers,
migrants and special-population tags at plausible rates) imported through the product's
import path; one full-time grid worker per grid; and a year of events.

The same seed gives the same district. Memory stays bounded: residents stream through a
CSV file and events are written in batches as they are generated."""

from __future__ import annotations

import csv
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shapely import union_all
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from stdnum.cn import ric

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.core.writers import CsvWriter
from gridgov.demo.geography import as_geojson, cells, district_outline, points_inside, polygonal
from gridgov.demo.people import GIVEN, SURNAMES, fictitious_phone
from gridgov.org.models import Building, Compound, OrgUnit, Room
from gridgov.org.services import divisions_import, grids_import_geojson

logger = logging.getLogger(__name__)

RESIDENTS_PER_GRID = 1000
# The grid register's household count: a little above the 2.41-person households filed, as
# some dwellings are empty or not yet visited (coverage about 95 %).
HOUSEHOLDS_PER_GRID = 435
GRIDS_PER_COMMUNITY = 8
BUILDINGS_PER_GRID = 8
COMPOUND_KINDS = ["commercial", "old", "work_unit", "subsidised"]
# Share of residents with each tag (plausible urban rates); 独居老人 is decided per household.
TAG_RATES = [
    ("退役军人", 0.015),
    ("残疾人", 0.02),
    ("慢性病患者", 0.03),
    ("低保", 0.008),
    ("新就业形态劳动者", 0.01),
]
MIGRANT_SHARE = 0.22
HEADER = [
    "网格代码",
    "户编号",
    "地址",
    "户类型",
    "姓名",
    "性别",
    "出生日期",
    "证件类型",
    "证件号码",
    "联系电话",
    "与户主关系",
    "户籍类别",
    "民族",
    "职业类别",
    "文化程度",
    "特殊人群",
]
ETHNICITIES = (["汉族", "回族", "满族", "蒙古族", ""], [96.5, 0.6, 0.5, 0.4, 2.0])
ADULT_EDUCATION = (["小学", "初中", "高中", "大专", "本科", "研究生"], [8, 24, 26, 16, 21, 5])


@dataclass
class District:
    code: str
    grids: list[OrgUnit]
    importer: User
    grid_worker: User
    street_staff: User
    addresses: dict[int, list[str]]  # grid id → the dwellings of its buildings
    outline_found: bool = True  # False: the district had no outline, grids are on a lattice


def _subset_divisions(shared: Path, district_code: str, target: Path) -> None:
    """Copy the rows of one district (and its province and city) from the national files."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = {
        "provinces.csv": district_code[:2],
        "cities.csv": district_code[:4],
        "areas.csv": district_code,
        "streets.csv": district_code,
    }
    for name, prefix in wanted.items():
        with (
            (shared / name).open(encoding="utf-8-sig") as source,
            (target / name).open("w", encoding="utf-8", newline="") as out,
        ):
            reader = csv.reader(source)
            writer = CsvWriter(out, bom=False)
            writer.writerow(next(reader))
            for row in reader:
                if row[0].startswith(prefix) and (name != "cities.csv" or row[0] == prefix):
                    writer.writerow(row)


def _demo_divisions(target: Path) -> None:
    from gridgov.demo.seed import HIERARCHY, STREETS

    target.mkdir(parents=True, exist_ok=True)
    (province, province_name, _), (city, city_name, _), (area, area_name, _) = HIERARCHY
    (target / "provinces.csv").write_text(f"code,name\n{province},{province_name}\n")
    (target / "cities.csv").write_text(f"code,name,provinceCode\n{city},{city_name},{province}\n")
    (target / "areas.csv").write_text(
        f"code,name,cityCode,provinceCode\n{area},{area_name},{city},{province}\n"
    )
    streets = "".join(f"{code},{name},{area},{province},{city}\n" for code, name in STREETS)
    (target / "streets.csv").write_text("code,name,areaCode,provinceCode,cityCode\n" + streets)


def build_district(
    *, residents: int, shared: Path, workdir: Path, district_code: str = "310104", seed: int = 1
) -> District:
    from gridgov.audit.services import SystemActor

    rng = random.Random(seed)
    if (shared / "streets.csv").exists():
        _subset_divisions(shared, district_code, workdir / "divisions")
    else:  # without the national files: the demo district's two real streets
        _demo_divisions(workdir / "divisions")
        district_code = "310104"
    outline = district_outline(district_code)  # before any write: the map files may be missing
    divisions_import(workdir / "divisions", actor=SystemActor("bench"))
    streets = list(
        OrgUnit.objects.filter(level="street", parent__code=district_code).order_by("code")
    )
    grid_count = max(1, residents // RESIDENTS_PER_GRID)
    community_count = max(1, grid_count // GRIDS_PER_COMMUNITY)
    communities = []
    for i in range(community_count):
        street = streets[i % len(streets)]
        code = f"{street.code}{i // len(streets) + 1:03d}"
        unit, _ = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": f"{street.name[:-2]}第{i // len(streets) + 1}社区",
                "level": "community",
                "parent": street,
                "path": f"{street.path}{code}/",
            },
        )
        communities.append(unit)
    importer = User.objects.create(username="bench_importer", must_change_password=False)
    Membership.objects.bulk_create(
        [Membership(user=importer, role=Role.COMMUNITY_STAFF, org_unit=c) for c in communities]
    )
    areas, outline_found = _grid_areas(district_code, outline, communities, streets, grid_count)
    features = []
    for g in range(grid_count):
        community = communities[g % len(communities)]
        number = g // len(communities) + 1
        code = f"{community.code}{number:03d}"
        features.append(
            {
                "type": "Feature",
                "geometry": as_geojson(areas[code]),
                "properties": {
                    "code": code,
                    "name": f"{community.name}第{number}网格",
                    "households": HOUSEHOLDS_PER_GRID,
                },
            }
        )
    for community in communities:
        mine = [f for f in features if f["properties"]["code"].startswith(community.code)]
        grids_import_geojson(
            json.dumps({"type": "FeatureCollection", "features": mine}).encode(), actor=importer
        )
    grids = list(
        OrgUnit.objects.filter(level="grid", path__startswith=communities[0].path[:16]).order_by(
            "code"
        )
    ) or list(OrgUnit.objects.filter(level="grid").order_by("code"))
    grid_worker = User.objects.create(username="bench_gridworker", must_change_password=False)
    Membership.objects.create(user=grid_worker, role=Role.GRID_WORKER, org_unit=grids[0])
    street_staff = User.objects.create(username="bench_street", must_change_password=False)
    Membership.objects.create(
        user=street_staff, role=Role.STREET_STAFF, org_unit=grids[0].parent.parent
    )
    all_grids = list(OrgUnit.objects.filter(level="grid").order_by("code"))
    return District(
        district_code,
        all_grids,
        importer,
        grid_worker,
        street_staff,
        _housing(all_grids, rng, areas),
        outline_found,
    )


def _grid_areas(
    district_code: str,
    outline: BaseGeometry | None,
    communities: list[OrgUnit],
    streets: list[OrgUnit],
    grid_count: int,
) -> tuple[dict[str, BaseGeometry], bool]:
    """The area of every grid (by code) and whether the district's real outline was used.

    Inside the outline: cells of about equal size, in an order where neighbours follow each
    other (geography.cells), given out in runs street by street, community by community, so
    that a community's grids lie together and its street's communities next to each other.
    A district without an outline in the province map file gets a lattice of squares in
    Shanghai, as before (with a warning)."""
    order = [
        f"{community.code}{number:03d}"
        for street in streets
        for c, community in enumerate(communities)
        if community.parent_id == street.pk
        for number in range(1, len(range(c, grid_count, len(communities))) + 1)
    ]
    if outline is None:
        logger.warning(
            "District %s has no outline in the province map file: its grids are laid on a "
            "lattice instead.",
            district_code,
        )
        by_code = {code: g for g, code in enumerate(_lattice_order(communities, grid_count))}
        return {code: _lattice_square(by_code[code]) for code in order}, False
    pieces = cells(outline, grid_count)
    areas = {}
    for g, code in enumerate(order):
        run = pieces[g * len(pieces) // grid_count : (g + 1) * len(pieces) // grid_count]
        areas[code] = run[0] if len(run) == 1 else polygonal(union_all(run))
    return areas, True


def _lattice_order(communities: list[OrgUnit], grid_count: int) -> list[str]:
    return [
        f"{communities[g % len(communities)].code}{g // len(communities) + 1:03d}"
        for g in range(grid_count)
    ]


def _lattice_square(g: int) -> BaseGeometry:
    x0, y0 = 121.40 + (g % 50) * 0.004, 31.15 + (g // 50) * 0.003
    return box(x0, y0, x0 + 0.004, y0 + 0.003)


def _housing(
    grids: list[OrgUnit], rng: random.Random, areas: dict[str, BaseGeometry]
) -> dict[int, list[str]]:
    """Compounds of the four kinds in every community, buildings in every grid (placed
    inside it) and their rooms, in bulk; returns each grid's building addresses for the
    resident file."""
    compounds: dict[int, list[Compound]] = {}
    for grid in grids:
        community = grid.parent
        if community.pk not in compounds:
            compounds[community.pk] = Compound.objects.bulk_create(
                [
                    Compound(
                        community=community,
                        name=f"{community.name[:-2]}{'东西南北'[k]}苑",
                        kind=kind,
                    )
                    for k, kind in enumerate(COMPOUND_KINDS)
                ]
            )
    buildings, counts = [], {}
    for g, grid in enumerate(grids):
        compound = compounds[grid.parent_id][g % len(COMPOUND_KINDS)]
        counts[compound.pk] = counts.get(compound.pk, 0) + HOUSEHOLDS_PER_GRID
        # Four dwellings a floor, two stairwells: tall enough for the grid's households.
        floors = max(rng.choice([6, 6, 7, 11, 18, 24]), -(-HOUSEHOLDS_PER_GRID // 32))
        area = areas.get(grid.code)
        spots = (
            points_inside(area, BUILDINGS_PER_GRID)
            if area is not None
            else [(None, None)] * BUILDINGS_PER_GRID
        )
        buildings += [
            Building(
                compound=compound,
                grid=grid,
                number=f"{g // 4 * 10 + b + 1}号楼",
                floors=floors,
                lon=lon,
                lat=lat,
            )
            for b, (lon, lat) in enumerate(spots)
        ]
    buildings = Building.objects.bulk_create(buildings, batch_size=5000)
    for compound_id, households in counts.items():
        Compound.objects.filter(pk=compound_id).update(household_count=households)
    rooms, addresses = [], {}
    per_building = -(-HOUSEHOLDS_PER_GRID // BUILDINGS_PER_GRID)
    by_pk = {c.pk: c for cs in compounds.values() for c in cs}
    for building in buildings:
        compound = by_pk[building.compound_id]
        for r in range(per_building):
            unit, floor, door = r % 2 + 1, r // 4 + 1, r % 4 // 2 + 1
            number = f"{floor}{unit}{door:02d}"
            rooms.append(Room(building=building, unit_number=str(unit), number=number))
            addresses.setdefault(building.grid_id, []).append(
                f"{compound.name} {building.number} {unit}单元 {number}室"
            )
        if len(rooms) >= 20000:
            Room.objects.bulk_create(rooms, batch_size=5000)
            rooms = []
    Room.objects.bulk_create(rooms, batch_size=5000)
    return addresses


# An urban age pyramid in five-year bands (0–4 … 95–99), shaped like a large Chinese city's.
AGE_BANDS = [3.5, 4.5, 4.3, 3.5, 5.0, 7.0, 9.5, 8.5, 7.5, 7.0]
AGE_BANDS += [7.0, 7.0, 7.0, 6.5, 4.5, 2.5, 1.8, 1.2, 0.5, 0.2]
HOUSEHOLD_SIZES = ([1, 2, 3, 4, 5], [25, 33, 24, 12, 6])
REGISTRATIONS = (
    ["户籍人口", "常住人口", "流动人口"],
    [0.58, 1 - 0.58 - MIGRANT_SHARE, MIGRANT_SHARE],
)


def write_resident_csv(path: Path, district: District, residents: int, seed: int = 1) -> int:
    """Households of 1–5 people spread over the grids' dwellings, streamed to ``path``."""
    rng = random.Random(seed)
    today = date(2026, 6, 30)
    written = 0
    used: dict[tuple[date, str], int] = {}

    def unique_id(birth: date, sex: str) -> str:
        n = used.get((birth, sex), 0)
        used[(birth, sex)] = n + 1
        sequence = (n % 500) * 2 + (1 if sex == "M" else 0)
        body = f"{district.code}{birth:%Y%m%d}{sequence:03d}"
        return body + ric.calc_check_digit(body + "0")

    def occupation(age: int) -> str:
        if rng.random() < 0.02:
            return ""  # not yet recorded
        if age < 6:
            return "无业"
        if age < 22:
            return "学生"
        if age >= 60:
            return "退休"
        return rng.choices(["在职", "灵活就业", "无业"], [78, 12, 10])[0]

    def education(age: int) -> str:
        if rng.random() < 0.03:
            return ""
        for below, level in ((6, "未上学"), (12, "小学"), (15, "初中"), (18, "高中")):
            if age < below:
                return level
        return rng.choices(*ADULT_EDUCATION)[0]

    def tags(age: int, alone: bool) -> str:
        chosen = [name for name, rate in TAG_RATES if rng.random() < rate]
        if alone and age >= 60:
            chosen.append("独居老人")
        return ",".join(chosen)

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = CsvWriter(handle, bom=False)
        writer.writerow(HEADER)
        household = 0
        while written < residents:
            grid = district.grids[household % len(district.grids)]
            dwellings = district.addresses.get(grid.pk) or [f"{grid.name} {household % 40 + 1}号"]
            address = dwellings[household // len(district.grids) % len(dwellings)]
            household += 1
            size = rng.choices(*HOUSEHOLD_SIZES)[0]
            surname = rng.choice(SURNAMES)
            registration = rng.choices(*REGISTRATIONS)[0]
            household_phone = ""
            for member in range(min(size, residents - written)):
                band = rng.choices(range(len(AGE_BANDS)), weights=AGE_BANDS)[0]
                age = band * 5 + rng.randrange(5)
                if member == 0:
                    age = max(age, 18 + rng.randrange(10))
                birth = today - timedelta(days=age * 365 + rng.randrange(365))
                sex = rng.choice("MF")
                # Children are reached through the household's phone, mostly recorded.
                if age >= 16:
                    phone = household_phone = fictitious_phone(rng)
                else:
                    phone = household_phone if rng.random() < 0.8 else ""
                writer.writerow(
                    [
                        grid.code,
                        f"H{household:07d}",
                        address,
                        "家庭户",
                        surname
                        + rng.choice(GIVEN)
                        + (rng.choice(GIVEN) if rng.random() < 0.7 else ""),
                        "",
                        "",
                        "居民身份证",
                        unique_id(birth, sex),
                        phone,
                        "户主" if member == 0 else rng.choice(["配偶", "子女", "父母"]),
                        registration,
                        rng.choices(*ETHNICITIES)[0],
                        occupation(age),
                        education(age),
                        tags(age, size == 1),
                    ]
                )
                written += 1
    return written


WORKERS_PER_GRID = 2  # one full-time grid worker per 500 residents (the plans' ratio)


def seed_staff(district):
    """Full-time grid workers for every grid, written in bulk."""
    from django.contrib.auth.hashers import make_password

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.events.synthetic import GridStaff
    from gridgov.org.models import Grid, GridAssignment

    password = make_password(None)
    grids = list(Grid.objects.select_related("unit", "unit__parent").order_by("unit__code"))
    names = [("gw", g) for g in grids] + [("gw2", g) for g in grids][
        : len(grids) * (WORKERS_PER_GRID - 1)
    ]
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench_{prefix}_{g.unit.code}",
                password=password,
                must_change_password=False,
            )
            for prefix, g in names
        ]
    )
    pairs = list(zip(users, (g for _p, g in names), strict=True))
    Membership.objects.bulk_create(
        [Membership(user=u, role=Role.GRID_WORKER, org_unit=g.unit) for u, g in pairs]
    )
    GridAssignment.objects.bulk_create(
        [
            GridAssignment(grid=g.unit, user=u, duty="full_time", start_date=date(2025, 1, 1))
            for u, g in pairs
        ]
    )
    workers: dict[int, list] = {}
    for user, grid in pairs:
        workers.setdefault(grid.pk, []).append(user)
    return [
        GridStaff(g.unit, workers[g.pk], ((g.min_lon + g.max_lon) / 2, (g.min_lat + g.max_lat) / 2))
        for g in grids
    ]


def generate_events(staff, count: int, seed: int = 7) -> float:
    """A year of events through the bulk path (COPY on PostgreSQL); returns seconds."""
    from django.db import transaction
    from django.utils import timezone

    from gridgov.core.bulk import insert_many
    from gridgov.events import synthetic
    from gridgov.events.calendar import WorkCalendar
    from gridgov.events.models import Category, Event

    categories = list(Category.objects.filter(is_active=True, parent__isnull=False))
    end = timezone.now()
    started = time.perf_counter()
    pairs = synthetic.build(
        rng=random.Random(seed),
        staff=staff,
        categories=categories,
        count=count,
        start=end - timedelta(days=365),
        end=end,
        calendar=WorkCalendar.load(),
    )
    batch = []
    for event, _steps in pairs:
        batch.append(event)
        if len(batch) == 5000:
            with transaction.atomic():
                insert_many(Event, batch)
            batch = []
    with transaction.atomic():
        insert_many(Event, batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_event")
    return time.perf_counter() - started


def queue_import(district: District, csv_path: Path):
    """Record the import job of the resident file; a district-sized file is larger than the
    default upload limit, so the limit is raised first, as an administrator would, on the
    record."""
    from gridgov.core.services import policy_update
    from gridgov.people import imports

    admin = User.objects.create(username="district_sysadmin", must_change_password=False)
    Membership.objects.create(
        user=admin, role=Role.SYSTEM_ADMIN, org_unit=OrgUnit.objects.get(code=district.code)
    )
    size_mb = csv_path.stat().st_size // 2**20 + 1
    policy_update(
        actor=admin,
        key="people.import",
        value={"max_file_mb": max(50, size_mb)},
        note="synthetic district file",
    )
    return imports.job_create(
        actor=district.importer, upload_path=csv_path, file_name=csv_path.name, mode="all"
    )


def import_residents(district: District, csv_path: Path):
    """The resident file through the product's import (validation, SM4, blind indexes,
    de-duplication, history, audit), run in this process; returns the finished job."""
    from gridgov.people import imports

    job = imports.run_import(queue_import(district, csv_path))
    _date_most_tags()
    return job


def _date_most_tags() -> None:
    """An import knows a tag's source, not since when: most files have been completed by the
    grid workers since (one in fifteen still waits), spread over the last six years."""
    from django.db.models.functions import Mod

    from gridgov.people.models import ResidentTag

    tags = ResidentTag.objects.annotate(fifteenth=Mod("pk", 15), year=Mod("pk", 6))
    for year in range(6):
        tags.filter(year=year).exclude(fifteenth=0).update(valid_from=date(2020 + year, 7, 1))
