"""A deterministic synthetic district for benchmarks: the real streets of one district
from a divisions CSV, generated communities and grids, and a resident CSV in the import
template's shape (valid, fictitious ID and phone numbers)."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.demo.people import GIVEN, SURNAMES, fictitious_phone
from gridgov.org.models import OrgUnit
from gridgov.org.services import divisions_import, grids_import_geojson

RESIDENTS_PER_GRID = 1000
GRIDS_PER_COMMUNITY = 8
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
    "特殊人群",
]


@dataclass
class District:
    code: str
    grids: list[OrgUnit]
    importer: User
    grid_worker: User
    street_staff: User


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
            writer = csv.writer(out)
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
    features = []
    for g in range(grid_count):
        community = communities[g % len(communities)]
        number = g // len(communities) + 1
        x0, y0 = 121.40 + (g % 50) * 0.004, 31.15 + (g // 50) * 0.003
        ring = [[x0, y0], [x0 + 0.004, y0], [x0 + 0.004, y0 + 0.003], [x0, y0 + 0.003], [x0, y0]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "code": f"{community.code}{number:03d}",
                    "name": f"{community.name}第{number}网格",
                    "households": 400,
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
    rng.random()
    return District(
        district_code,
        list(OrgUnit.objects.filter(level="grid").order_by("code")),
        importer,
        grid_worker,
        street_staff,
    )


def write_resident_csv(path: Path, district: District, residents: int, seed: int = 1) -> int:
    """Households of 1–4 people spread over the grids; an urban age pyramid."""
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

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        household = 0
        while written < residents:
            grid = district.grids[household % len(district.grids)]
            household += 1
            size = rng.choice([1, 2, 2, 3, 3, 3, 4])
            surname = rng.choice(SURNAMES)
            for member in range(min(size, residents - written)):
                age = min(99, int(rng.triangular(0, 95, 38)))
                birth = today - timedelta(days=age * 365 + rng.randrange(365))
                sex = rng.choice("MF")
                writer.writerow(
                    [
                        grid.code,
                        f"H{household:07d}",
                        f"{grid.name} {household % 40 + 1}号楼 {household % 600 + 101}室",
                        "家庭户",
                        surname + rng.choice(GIVEN) + rng.choice(GIVEN),
                        "",
                        "",
                        "居民身份证",
                        unique_id(birth, sex),
                        fictitious_phone(rng) if age >= 16 else "",
                        "户主" if member == 0 else rng.choice(["配偶", "子女", "父母"]),
                        rng.choice(["户籍人口", "常住人口", "流动人口"]),
                        "退役军人" if rng.random() < 0.01 else "",
                    ]
                )
                written += 1
    return written
