"""`gridgov generate_district`: a small district end to end, its shape, determinism, and
refusals."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from stdnum.cn import ric

from gridgov.demo import district as synthetic
from gridgov.events.models import Event
from gridgov.org.models import Building, Compound, GridAssignment, OrgUnit, Room
from gridgov.people.models import Household, Resident, ResidentTag

pytestmark = pytest.mark.django_db
DIVISIONS = Path(__file__).resolve().parents[5] / "shared" / "data" / "divisions"


def test_a_small_district_end_to_end():
    out = StringIO()
    call_command(
        "generate_district",
        residents=2500,
        events=400,
        seed=5,
        divisions=str(DIVISIONS) if DIVISIONS.is_dir() else "",
        stdout=out,
    )
    assert "2,500 residents" in out.getvalue()
    grids = OrgUnit.objects.filter(level="grid")
    assert grids.count() == 2  # 1,000 residents a grid
    if DIVISIONS.is_dir():  # the real streets of 徐汇区
        streets = OrgUnit.objects.filter(level="street", parent__code="310104")
        assert streets.filter(name="天平路街道").exists() and streets.count() >= 13
    assert set(Compound.objects.values_list("kind", flat=True)) == {
        "commercial",
        "old",
        "work_unit",
        "subsidised",
    }
    buildings = Building.objects.count()
    assert buildings == 2 * synthetic.BUILDINGS_PER_GRID
    assert Room.objects.count() == buildings * 55  # 435 households over 8 buildings
    assert Resident.objects.count() == 2500
    households = Household.objects.count()
    assert 900 < households < 1150  # 2.41 people a household
    registrations = set(Resident.objects.values_list("registration", flat=True))
    assert {"registered", "permanent", "migrant"} <= registrations
    assert ResidentTag.objects.filter(category__code="living_alone_elderly").exists()
    assert GridAssignment.objects.filter(duty="full_time").count() == 2 * 2
    assert Event.objects.count() == 400
    assert Event.objects.values("state").distinct().count() > 5
    with pytest.raises(CommandError, match="already has grids"):
        call_command("generate_district", residents=10, stdout=StringIO())


def test_the_same_seed_gives_the_same_people(tmp_path):
    district = synthetic.build_district(
        residents=1200, shared=tmp_path / "none", workdir=tmp_path, seed=9
    )
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    synthetic.write_resident_csv(first, district, 1200, seed=9)
    synthetic.write_resident_csv(second, district, 1200, seed=9)
    synthetic.write_resident_csv(other, district, 1200, seed=10)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
    with first.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1200
    numbers = [r["证件号码"] for r in rows]
    assert len(set(numbers)) == 1200 and all(ric.is_valid(n) for n in numbers)
    ages = [2026 - int(n[6:10]) for n in numbers]
    assert sum(a >= 60 for a in ages) / len(ages) > 0.15  # an ageing city
    assert sum(r["户籍类别"] == "流动人口" for r in rows) / len(rows) > 0.1


@pytest.mark.parametrize(
    ("options", "message"),
    [({"residents": 0}, "at least 1"), ({"district_code": "31abc"}, "6-digit")],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_district", stdout=StringIO(), **options)
    assert not Resident.objects.exists()
