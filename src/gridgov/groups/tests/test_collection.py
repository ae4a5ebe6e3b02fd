"""The collection plan: the method by the compound's households at each boundary, the share
aged 60+ from the registry with the assisted flag (and unknown rather than guessed), the
grid workers' load, the KPI 群功能与需求匹配度 counted by hand (综合群 included), scoping
through the selectors, the API and the pages."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.accounts.roles import Role
from gridgov.groups import selectors_collection as sel
from gridgov.groups.models import Group
from gridgov.groups.policies_collection import CollectionPolicy

KPI_CODES = {"groups.function_match"}


def _years_ago(years: int, today: date) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


@pytest.fixture
def world(org_tree, make_user):
    from gridgov.org.models import Building, Compound

    def compound(name, households, kind="commercial", community="c1", grid="g1a"):
        c = Compound.objects.create(
            community=org_tree[community], name=name, kind=kind, household_count=households
        )
        building = Building.objects.create(compound=c, grid=org_tree[grid], number="1")
        return c, building

    return {
        "tree": org_tree,
        "compound": compound,
        "staff": make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"]),
        "worker_b": make_user(Role.GRID_WORKER, org_tree["g1b"]),
        "outsider": make_user(Role.GRID_WORKER, org_tree["g2a"]),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"]),
    }


def _household(grid, building=None, number="H1"):
    from gridgov.org.models import Room
    from gridgov.people.models import Household

    room = None
    if building is not None:
        room = Room.objects.create(building=building, unit_number="1", number=number)
    return Household.objects.create(
        grid=grid,
        scope_path=grid.path,
        number=number,
        address=f"{number}室",
        room=room,
        kind="family",
    )


def _residents(household, ages: list[int], **extra):
    from gridgov.people.models import Resident

    today = date.today()
    for k, age in enumerate(ages):
        Resident.objects.create(
            household=household,
            scope_path=household.scope_path,
            name=f"居民{household.number}{k}",
            sex="F",
            birth_date=_years_ago(age, today),
            id_type="none",
            relation="head" if k == 0 else "other",
            registration="registered",
            **extra,
        )


def _group(community, compounds, function="notice", state="approved", **extra):
    group = Group.objects.create(
        name=f"群{Group.objects.count() + 1}",
        platform="wechat",
        function=function,
        manager="committee",
        community=community,
        scope_path=community.path,
        state=state,
        **extra,
    )
    group.compounds.set(compounds)
    return group


def test_method_at_each_boundary():
    policy = CollectionPolicy()
    assert sel.size_and_method(100, policy) == ("small", "building_head_spot_check")
    assert sel.size_and_method(101, policy) == ("medium", "grid_worker_check")
    assert sel.size_and_method(499, policy) == ("medium", "grid_worker_check")
    assert sel.size_and_method(500, policy) == ("large", "online_site_check")
    assert sel.size_and_method(1, policy) == ("small", "building_head_spot_check")
    assert sel.size_and_method(0, policy) == ("", "")  # households not recorded


def test_plan_methods_and_the_aged_flag(world):
    tree = world["tree"]
    world["compound"]("小一", 100)
    _aged, aged_b = world["compound"]("老年", 2)
    medium_low, _ = world["compound"]("中一", 101)
    medium_high, _ = world["compound"]("中二", 499)
    large, _ = world["compound"]("大一", 500)
    _, unrecorded_b = world["compound"]("未录", 0)
    # 老年 (2 households, both on file): 10 residents by room, 3 aged 60+ (one exactly 60 today) → 30 %
    # exactly: not assisted. An archived 90-year-old and a deceased one do not count.
    h1 = _household(tree["g1a"], aged_b, "101")
    _residents(h1, [60, 61, 62, 30, 30])
    h2 = _household(tree["g1a"], aged_b, "102")
    _residents(h2, [59, 40, 40, 10, 5])
    from django.utils import timezone

    _residents(h2, [90], archived_at=timezone.now())
    _residents(h2, [88], residence="deceased")
    plans, version = sel.collection_plan(actor=world["staff"])
    by_name = {p.compound.name: p for p in plans}
    assert version == 0
    assert by_name["小一"].method == "building_head_spot_check"
    assert by_name["中一"].method == by_name["中二"].method == "grid_worker_check"
    assert by_name["大一"].method == "online_site_check"
    assert by_name["未录"].method == "" and by_name["未录"].size == ""
    p = by_name["老年"]
    assert (p.residents, p.aged, p.households_on_file) == (10, 3, 2)
    assert p.aged_share == 30.0 and p.assisted is False
    # One more aged resident: 4 of 11 = 36.4 % > 30 % → assisted.
    _residents(h2, [75])
    p = {q.compound.name: q for q in sel.collection_plan(actor=world["staff"])[0]}["老年"]
    assert p.assisted is True and round(p.aged_share, 1) == 36.4
    # Nobody on file: unknown, never "not assisted".
    assert by_name["大一"].aged_share is None and by_name["大一"].assisted is None
    assert by_name["大一"].aged_unknown == "none_on_file"
    # 中一 has 101 households and 1 on file (< 50 %): unknown, not guessed from one flat.
    _residents(_household(tree["g1a"], _building(medium_low), "201"), [80, 80])
    p = {q.compound.name: q for q in sel.collection_plan(actor=world["staff"])[0]}["中一"]
    assert p.residents == 2 and p.aged_share is None and p.aged_unknown == "few_on_file"
    assert p.assisted is None
    # 未录 has no household count: its share stands on the residents placed.
    _residents(_household(tree["g1a"], unrecorded_b, "301"), [70, 20])
    p = {q.compound.name: q for q in sel.collection_plan(actor=world["staff"])[0]}["未录"]
    assert p.aged_share == 50.0 and p.assisted is True


def _building(compound):
    return compound.buildings.first()


def test_households_without_a_room_count_through_a_one_compound_grid(world):
    tree = world["tree"]
    only, _ = world["compound"]("独栋", 4, grid="g1b")
    shared_a, _ = world["compound"]("甲", 4, grid="g1a")
    shared_b, _ = world["compound"]("乙", 4, grid="g1a")
    # g1b's buildings all belong to 独栋: its households without a room count there.
    _residents(_household(tree["g1b"], None, "B1"), [70, 70, 20])
    _residents(_household(tree["g1b"], None, "B2"), [20])
    # g1a holds two compounds: a household without a room there is placed in neither.
    _residents(_household(tree["g1a"], None, "A1"), [70, 70])
    plans = {p.compound.name: p for p in sel.collection_plan(actor=world["staff"])[0]}
    assert (plans["独栋"].residents, plans["独栋"].aged) == (4, 2)
    assert plans["独栋"].aged_share == 50.0 and plans["独栋"].assisted is True
    assert plans["甲"].residents == plans["乙"].residents == 0
    assert plans["甲"].assisted is None


def test_worker_load_flags(world, make_user):
    tree = world["tree"]
    compound, _ = world["compound"]("负载", 300)
    worker, other = world["worker"], world["worker_b"]
    busy = make_user(Role.GRID_WORKER, tree["g1a"])
    from gridgov.org.models import GridAssignment

    for user, grid in [(worker, "g1a"), (other, "g1b"), (busy, "g1a")]:
        GridAssignment.objects.create(
            user=user, grid=tree[grid], duty="full_time", start_date=date(2025, 1, 1)
        )
    for _ in range(3):
        _group(tree["c1"], [compound], responsible=worker)
    # A refused or dissolved group is no load.
    _group(tree["c1"], [compound], responsible=worker, state="rejected")
    _group(tree["c1"], [compound], responsible=worker, status="dissolved")
    for _ in range(6):
        _group(tree["c1"], [compound], responsible=busy, state="pending")
    loads = {w.user.pk: w for w in sel.worker_loads(actor=world["staff"])}
    assert (loads[worker.pk].groups, loads[worker.pk].flag) == (3, "")
    assert (loads[busy.pk].groups, loads[busy.pk].flag) == (6, "many")
    # Assigned to a grid of the community and responsible for no group: too few.
    assert (loads[other.pk].groups, loads[other.pk].flag) == (0, "few")
    # Five is still within the range.
    Group.objects.filter(responsible=busy).first().delete()
    loads = {w.user.pk: w for w in sel.worker_loads(actor=world["staff"])}
    assert (loads[busy.pk].groups, loads[busy.pk].flag) == (5, "")
    # Another community's grid worker sees none of them.
    assert sel.worker_loads(actor=world["outsider"]) == []


def test_function_match_kpi_by_hand(world):
    from django.utils import timezone

    from gridgov.core.models import PolicyVersion
    from gridgov.kpis.registry import REGISTRY, parse_period

    tree = world["tree"]
    c = world["compound"]
    commercial, _ = c("商品房", 300, "commercial")
    old, _ = c("老旧", 300, "old")
    mixed_only, _ = c("综合", 300, "commercial")
    mixed_plus, _ = c("综合加", 300, "commercial")
    empty, _ = c("无群", 300, "subsidised")
    rural, _ = c("村", 300, "rural", community="c2", grid="g2a")
    # 商品房: 通知 + 服务 → met.
    _group(tree["c1"], [commercial], "notice")
    _group(tree["c1"], [commercial], "service")
    # 老旧: 通知 + 服务, no 互助 → unmet (a pending 互助群 and a dissolved one do not count).
    _group(tree["c1"], [old], "notice")
    _group(tree["c1"], [old], "service")
    _group(tree["c1"], [old], "mutual_aid", state="pending")
    _group(tree["c1"], [old], "mutual_aid", status="dissolved")
    # 综合: only a 综合群 → unmet by default (it counts for nothing).
    _group(tree["c1"], [mixed_only], "mixed")
    # 综合加: a 综合群 and a 通知群 → unmet by default, met once 综合群 covers 服务.
    _group(tree["c1"], [mixed_plus], "mixed")
    _group(tree["c1"], [mixed_plus], "notice")
    # 村 (the other district): 通知 + 互助 → met.
    _group(tree["c2"], [rural], "notice")
    _group(tree["c2"], [rural], "mutual_aid")
    # 无群 has no registered group: outside the denominator.

    kpi = REGISTRY["groups.function_match"]
    period = parse_period("month")

    def value(unit):
        v = kpi.snapshot_values(tree[unit].path, period)[None]
        return v.numerator, v.denominator, v.value

    assert value("d1") == (1, 4, 25.0)
    assert value("c1") == (1, 4, 25.0)
    assert value("d2") == (1, 1, 100.0)
    plans = {p.compound.name: p for p in sel.collection_plan(actor=world["staff"])[0]}
    assert plans["老旧"].unmet == ["mutual_aid"] and plans["老旧"].matched is False
    assert plans["综合"].unmet == ["notice", "service"]
    assert plans["综合加"].unmet == ["service"]
    assert plans["商品房"].unmet == [] and plans["商品房"].matched is True
    assert plans["无群"].matched is None and plans["无群"].unmet == [
        "notice",
        "service",
        "mutual_aid",
    ]
    assert "村" not in plans  # another district's compound

    PolicyVersion.objects.create(
        key="groups.function_match",
        version=1,
        value={
            "needs": {
                "commercial": ["notice", "service"],
                "old": ["notice", "service", "mutual_aid"],
                "work_unit": ["notice", "service"],
                "subsidised": ["notice", "service", "mutual_aid"],
                "rural": ["notice", "mutual_aid"],
            },
            "mixed_covers": ["notice", "service"],
        },
    )
    assert value("d1") == (3, 4, 75.0)
    # A group registered after the moment does not count for it.
    later = _group(tree["c1"], [old], "mutual_aid")
    Group.objects.filter(pk=later.pk).update(created_at=timezone.now() + timezone.timedelta(1))
    assert value("d1") == (3, 4, 75.0)


def test_scoping_of_the_plan(world):
    tree = world["tree"]
    mine, _ = world["compound"]("本网格", 300, grid="g1a")
    theirs, _ = world["compound"]("他网格", 300, grid="g1b")
    _group(tree["c1"], [mine], "notice")
    names = {p.compound.name for p in sel.collection_plan(actor=world["worker"])[0]}
    assert names == {"本网格"}
    assert {p.compound.name for p in sel.collection_plan(actor=world["staff"])[0]} == {
        "本网格",
        "他网格",
    }
    assert sel.collection_plan(actor=world["outsider"])[0] == []
    # Asking for a compound outside the area gives nothing.
    assert sel.collection_plan(actor=world["outsider"], compounds=[mine])[0] == []


def test_api_and_pages(world, client):
    tree = world["tree"]
    compound, building = world["compound"]("幸福家园", 120, "old")
    _residents(_household(tree["g1a"], building, "101"), [70, 70, 30])
    from gridgov.org.models import Compound

    # Two households, one on file (50 %: enough).
    Compound.objects.filter(pk=compound.pk).update(household_count=2)
    _group(tree["c1"], [compound], "notice", responsible=world["worker"])

    client.force_login(world["staff"])
    body = client.get("/api/v1/chat-groups/collection-plan").json()
    row = body["compounds"][0]
    assert row["compound_name"] == "幸福家园" and row["method"] == "building_head_spot_check"
    assert row["aged_share"] == 66.7 and row["assisted"] is True
    assert row["unmet_functions"] == ["service", "mutual_aid"]
    assert row["functions_matched"] is False and row["groups_registered"] == 1
    assert body["workers"][0]["flag"] == "few" and body["workers"][0]["groups"] == 1
    page = client.get("/groups/collection/").content.decode()
    assert "幸福家园" in page and 'data-assisted="yes"' in page and "66.7" in page
    group = Group.objects.get()
    detail = client.get(f"/groups/{group.uid}/").content.decode()
    assert 'id="group-collection"' in detail and 'data-method="building_head_spot_check"' in detail
    form = client.get("/groups/new/").content.decode()
    assert 'data-assisted="yes"' in form

    client.force_login(world["outsider"])
    body = client.get("/api/v1/chat-groups/collection-plan").json()
    assert body["compounds"] == [] and body["workers"] == [] and body["count"] == 0
    assert "幸福家园" not in client.get("/groups/collection/").content.decode()
