"""The votes' pages and API with a bound resident: cast over the API (201 and a receipt,
then 409), the refusals' codes, the staff pages, the receipt check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.participation.models import Ballot, Topic, Turnout
from gridgov.participation.tests.vote_world import bind, household, resident
from gridgov.participation.workflow import move_topic


@pytest.fixture
def world(org_tree, make_user, login_client):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    topic = Topic.objects.create(
        org_unit=org_tree["c1"], title="停车位", source=Topic.Source.COMMITTEE, created_by=staff
    )
    move_topic(actor=staff, topic=topic, action="select", version=1)
    voter = make_user(Role.RESIDENT, org_tree["g1a"])
    bind(voter, resident(household(org_tree["g1a"], "W1"), "网页居民"))
    return {"staff": staff, "topic": topic, "voter": voter, "login": login_client}


def test_staff_sets_up_and_opens_then_the_resident_casts(world, client):
    world["login"](world["staff"])
    response = client.post(
        f"/participation/votes/new/{world['topic'].pk}/",
        {
            "question": "是否划线停车？",
            "options": "同意\n不同意",
            "kind": "binding",
            "secrecy": "secret",
            "electorate_form": "persons",
            "method": "both",
            "closes_at": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    uid = response.url.rstrip("/").split("/")[-1]
    assert client.get("/participation/votes/").status_code == 200
    page = client.get(f"/participation/votes/{uid}/")
    assert page.status_code == 200
    response = client.post(f"/participation/votes/{uid}/action/", {"action": "open", "version": 1})
    assert response.status_code == 302
    vote = client.get(f"/api/v1/participation/votes/{uid}").json()
    assert vote["state"] == "open" and vote["electorate_size"] == 1
    client.logout()

    world["login"](world["voter"])
    assert "是否划线停车" in client.get("/participation/me/votes/").content.decode()
    assert client.get(f"/participation/me/votes/{uid}/").status_code == 200
    url = f"/api/v1/participation/votes/{uid}/ballots"
    stale = client.post(url, {"choice": 0, "version": 1}, content_type="application/json")
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_ballot")
    cast = client.post(
        url, {"choice": 0, "version": vote["version"]}, content_type="application/json"
    )
    assert cast.status_code == 201
    receipt = cast.json()["receipt"]
    again = client.post(
        url, {"choice": 1, "version": vote["version"]}, content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_voted")
    assert (Turnout.objects.count(), Ballot.objects.count()) == (1, 1)
    check = client.post(
        f"/api/v1/participation/votes/{uid}/receipt-check",
        {"code": receipt},
        content_type="application/json",
    )
    assert check.json() == {"counted": True}
    page = client.post(f"/participation/me/votes/{uid}/receipt/", {"code": receipt})
    assert 'id="counted"' in page.content.decode()
    client.logout()

    world["login"](world["staff"])
    closed = client.post(
        f"/api/v1/participation/votes/{uid}/close",
        {"version": vote["version"]},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["outcome"] == "passed"
    results = client.get(f"/api/v1/participation/votes/{uid}/results").json()
    assert (results["voters"], results["counts"], results["turnout"]) == (1, [1, 0], 1.0)
    assert 'id="vote-outcome"' in client.get(f"/participation/votes/{uid}/").content.decode()


def test_casting_on_the_page_shows_the_receipt_once(world, client):
    from gridgov.participation import services_votes as services

    vote = services.vote_create(
        actor=world["staff"],
        topic=world["topic"],
        data={"question": "q", "options": ["a", "b"], "closes_at": timezone.now() + timedelta(1)},
    )
    vote = services.vote_open(actor=world["staff"], vote=vote, version=vote.version)
    world["login"](world["voter"])
    page = client.post(
        f"/participation/me/votes/{vote.uid}/", {"choice": "1", "version": vote.version}
    )
    assert page.status_code == 200 and 'id="receipt"' in page.content.decode()
    page = client.get(f"/participation/me/votes/{vote.uid}/")
    assert 'id="receipt"' not in page.content.decode() and 'id="voted"' in page.content.decode()
    again = client.post(
        f"/participation/me/votes/{vote.uid}/", {"choice": "0", "version": vote.version}
    )
    assert again.status_code == 409


def test_the_participation_page_shows_the_votes_card(world, client):
    from gridgov.participation import services_votes as services

    vote = services.vote_create(
        actor=world["staff"],
        topic=world["topic"],
        data={"question": "q", "options": ["a", "b"], "closes_at": timezone.now() + timedelta(1)},
    )
    vote = services.vote_open(actor=world["staff"], vote=vote, version=vote.version)
    world["login"](world["voter"])
    page = client.get("/participation/me/").content.decode()
    assert "1 open for you to vote" in page and "/participation/me/votes/" in page
    services.vote_cast(actor=world["voter"], vote=vote, choice=0, version=vote.version)
    assert "No open vote" in client.get("/participation/me/").content.decode()


def test_staff_designate_and_end_a_representative(world, client, org_tree, make_user):
    from gridgov.participation.models import Representative

    world["login"](world["staff"])
    page = client.get("/participation/votes/representatives/?q=网页").content.decode()
    assert "网*" in page and "网页居民" not in page
    person = world["voter"].resident_account.resident
    response = client.post(
        "/participation/votes/representatives/change/",
        {"step": "designate", "resident": str(person.uid)},
    )
    assert response.status_code == 302
    rep = Representative.objects.get(resident=person, ended_at__isnull=True)
    assert rep.community == org_tree["c1"]
    client.post(
        "/participation/votes/representatives/change/", {"step": "end", "representative": rep.pk}
    )
    rep.refresh_from_db()
    assert rep.ended_at is not None
    # Staff of another community cannot designate this resident.
    client.logout()
    world["login"](make_user(Role.COMMUNITY_STAFF, org_tree["c2"]))
    client.post(
        "/participation/votes/representatives/change/",
        {"step": "designate", "resident": str(person.uid)},
    )
    assert Representative.objects.filter(resident=person, ended_at__isnull=True).count() == 0
