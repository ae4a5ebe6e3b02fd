"""The points API: a resident redeems (201 with the code once; 409 with nothing written when
the balance does not cover it), staff pick up by code and correct with a reason; the bad
input answers name the field in the request's language."""

from __future__ import annotations

import pytest

from gridgov.core.models import LedgerEntry
from gridgov.participation import services_points as points
from gridgov.participation.models import Redemption
from gridgov.participation.tests import ledger_world


@pytest.fixture
def world(org_tree, make_user):
    return ledger_world.build(org_tree, make_user)


def test_redeem_pick_up_and_refusals(world, login_client):
    from django.test import Client

    mother = world["mother"]
    resident = login_client(world["users"]["mother"], Client(HTTP_ACCEPT_LANGUAGE="en"))
    url = "/api/v1/participation/redemptions"
    body = {"item": str(world["item"].uid)}
    refused = resident.post(url, body, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_balance"
    assert not Redemption.objects.exists() and not LedgerEntry.objects.exists()
    points.credit_points(resident=mother, action="proposal_adopted", source=mother)
    points.credit_points(resident=mother, action="proposal_adopted", source=mother.household)
    placed = resident.post(url, body, content_type="application/json")
    assert placed.status_code == 201
    code = placed.json()["code"]
    mine = resident.get("/api/v1/participation/redemptions/mine").json()
    assert "code" not in mine[0] and mine[0]["state"] == "placed"
    me = resident.get("/api/v1/participation/points/me").json()
    assert me["balance"] == "10" and me["name_masked"] == "王**"

    staff = login_client(world["staff"], Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    bad = staff.post(
        "/api/v1/participation/redemptions/pickup", {"code": "12"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["details"]["code"] == ["领取码为 8 位数字。"]
    done = staff.post(
        "/api/v1/participation/redemptions/pickup", {"code": code}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["state"] == "picked_up"

    credit = LedgerEntry.objects.filter(amount=20).first().transaction_id
    no_reason = staff.post(
        "/api/v1/participation/points/corrections",
        {"transaction": credit, "reason": ""},
        content_type="application/json",
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["details"]
    other = login_client(world["other"], Client(HTTP_ACCEPT_LANGUAGE="en"))
    reversed_ = other.post(
        "/api/v1/participation/points/corrections",
        {"transaction": credit, "reason": "duplicate"},
        content_type="application/json",
    )
    # The credit was spent on the redemption: the balance (10) does not cover reversing 20.
    assert reversed_.status_code == 409 and reversed_.json()["code"] == "insufficient_balance"


def test_catalogue_price_must_be_whole_points(world, login_client):
    staff = login_client(world["staff"])
    item = world["item"]
    answer = staff.patch(
        f"/api/v1/participation/catalogue/{item.uid}",
        {"version": item.version, "price": 0},
        content_type="application/json",
    )
    assert answer.status_code == 422 and "price" in answer.json()["details"]
    answer = staff.patch(
        f"/api/v1/participation/catalogue/{item.uid}",
        {"version": item.version, "stock": 7},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["stock"] == 7


def test_the_participation_page_has_the_points_card(world, login_client):
    points.credit_points(resident=world["mother"], action="vote_cast", source=world["mother"])
    html = login_client(world["users"]["mother"]).get("/participation/me/").content.decode()
    assert 'data-part="points"' in html and "2 points · 0.00 hours" in html
