import random
from datetime import date

import pytest

from gridgov.accounts.roles import Role
from gridgov.demo.people import fictitious_id, fictitious_phone


@pytest.fixture
def ids():
    rng = random.Random(7)

    def make(birth=date(1980, 5, 1), sex="M", region="310104"):
        return fictitious_id(rng, birth, sex, region)

    make.phone = lambda: fictitious_phone(rng)
    return make


@pytest.fixture
def staff(org_tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="community1")


@pytest.fixture
def household(org_tree, staff):
    from gridgov.people.services import household_create

    return household_create(
        actor=staff,
        grid=org_tree["g1a"],
        number="H0001",
        address="宛平南路一小区 1号楼 1单元 101室",
        kind="family",
    )


@pytest.fixture
def other_household(org_tree, make_user):
    from gridgov.people.services import household_create

    other = make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="community2")
    return household_create(
        actor=other,
        grid=org_tree["g2a"],
        number="H0001",
        address="华阳社区 2号楼 201室",
        kind="family",
    )


@pytest.fixture
def resident_data(ids):
    def make(**overrides):
        data = {
            "name": "张三",
            "id_type": "resident_id",
            "id_number": ids(),
            "phone": ids.phone(),
            "relation": "head",
            "registration": "registered",
        }
        data.update(overrides)
        return data

    return make
