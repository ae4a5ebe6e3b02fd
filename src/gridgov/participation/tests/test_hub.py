"""The resident's participation page: a bound resident sees the parts' cards in order, an
unbound account is told what to do, staff without take_part are refused."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.participation import hub
from gridgov.residents.services import bind_account


@pytest.fixture
def resident_user(org_tree, make_user):
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="H1", address="1号", kind="family"
    )
    resident = people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "居甲",
            "id_type": "none",
            "sex": "M",
            "birth_date": "1980-01-01",
            "relation": "head",
            "registration": "permanent",
        },
    )
    user = make_user(Role.RESIDENT, org_tree["g1a"])
    return {"staff": staff, "resident": resident, "user": user, "make_user": make_user}


@pytest.fixture
def two_parts(monkeypatch):
    parts = {}
    monkeypatch.setattr(hub, "_parts", parts)

    @hub.register_resident_part(20)
    def second(user, resident):
        return hub.HubCard("second", "第二", "/b/", count=2)

    @hub.register_resident_part(10)
    def first(user, resident):
        return hub.HubCard("first", "第一", "/a/")

    @hub.register_resident_part(30)
    def nothing(user, resident):
        return None

    return parts


def test_bound_resident_sees_the_cards_in_order(resident_user, two_parts, client, login_client):
    bind_account(
        resident_user["staff"], user=resident_user["user"], resident=resident_user["resident"]
    )
    page = login_client(resident_user["user"], client).get("/participation/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index('data-part="first"') < html.index('data-part="second"')
    assert 'id="not-bound"' not in html


def test_unbound_account_is_told_what_to_do(resident_user, two_parts, client, login_client):
    html = login_client(resident_user["user"], client).get("/participation/me/").content.decode()
    assert 'id="not-bound"' in html and 'data-part="first"' not in html


def test_staff_without_take_part_are_refused(resident_user, client, login_client):
    response = login_client(resident_user["staff"], client).get("/participation/me/")
    assert response.status_code == 403
