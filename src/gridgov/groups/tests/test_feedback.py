"""Residents' feedback on their chat groups: only the groups serving their compound, one
rating a month (changed when given again), satisfaction from the month's ratings once
enough residents rated (filling the month's report), suggestions masked, the 金点子 limit
per community and month, the API, the pages, and the refusals."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.groups import selectors_feedback, services
from gridgov.groups import services_feedback as feedback
from gridgov.groups.models import GroupRating, Suggestion
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.groups.tests.world import compounds_of, group_data
from gridgov.org.models import Room
from gridgov.people import services as people
from gridgov.residents.selectors import resident_for
from gridgov.residents.services import bind_account

NOW = date(2026, 11, 20)


@pytest.fixture
def town(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    places = compounds_of(org_tree)
    group = services.group_create(actor=staff, data=group_data(places, name="幸福家园服务群"))
    group = services.group_transition(actor=staff, group=group, action="approve", version=1)
    other = services.group_create(
        actor=staff,
        data=group_data(
            places,
            name="和平里通知群",
            compounds=[places["peace"].pk],
            buildings=[places["peace_1"].pk],
        ),
    )
    other = services.group_transition(actor=staff, group=other, action="approve", version=1)
    room = Room.objects.create(building=places["happy_1"], unit_number="1", number="101")
    made = []
    for n in range(6):
        household = people.household_create(
            actor=staff,
            grid=org_tree["g1a"],
            number=f"H{n}",
            address="幸福家园1号楼",
            kind="family",
        )
        household.room = room
        household.save()
        resident = people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": f"{'赵钱孙李周吴'[n]}华",
                "id_type": "none",
                "sex": "F",
                "birth_date": "1950-01-01",
                "relation": "head",
                "registration": "permanent",
            },
        )
        user = make_user(Role.RESIDENT, org_tree["c1"], username=f"jumin{n}")
        bind_account(staff, user=user, resident=resident)
        made.append(user)
    return {"staff": staff, "group": group, "other": other, "residents": made, "tree": org_tree}


@pytest.mark.django_db
def test_rating_once_a_month_and_only_own_groups(town):
    resident = town["residents"][0]
    with time_machine.travel(NOW, tick=False):
        own = feedback.groups_of_resident(resident_for(resident))
        assert [g.name for g in own] == ["幸福家园服务群"]
        for bad in (0, 6, "x"):
            with pytest.raises(ValidationFailed) as caught:
                feedback.rating_give(actor=resident, group_uid=town["group"].uid, stars=bad)
            assert "stars" in caught.value.details
        feedback.rating_give(actor=resident, group_uid=town["group"].uid, stars=4)
        feedback.rating_give(actor=resident, group_uid=town["group"].uid, stars=2)
        with pytest.raises(NotFound):
            feedback.rating_give(actor=resident, group_uid=town["other"].uid, stars=5)
    (rating,) = GroupRating.objects.all()
    assert rating.stars == 2 and rating.month == date(2026, 11, 1)


@pytest.mark.django_db
def test_an_unbound_account_is_told(town, make_user):
    stranger = make_user(Role.RESIDENT, town["tree"]["c1"])
    with pytest.raises(PermissionDenied) as caught:
        feedback.rating_give(actor=stranger, group_uid=town["group"].uid, stars=5)
    assert caught.value.code == "not_a_verified_resident"


@pytest.mark.django_db
def test_satisfaction_from_enough_ratings_fills_the_report(town):
    group = town["group"]
    with time_machine.travel(NOW, tick=False):
        for user, stars in zip(town["residents"][:4], (5, 4, 4, 1), strict=True):
            feedback.rating_give(actor=user, group_uid=group.uid, stars=stars)
        assert feedback.month_satisfaction(group, date(2026, 11, 1)) == (None, 4)
        feedback.rating_give(actor=town["residents"][4], group_uid=group.uid, stars=3)
        assert feedback.month_satisfaction(group, date(2026, 11, 1)) == (60.0, 5)
        snapshot = snapshot_save(
            actor=town["staff"], group=group, month="2026-11", data={"activity_pct": 70}
        )
    assert snapshot.satisfaction_pct == 60.0
    other = town["other"]
    with time_machine.travel(NOW, tick=False):
        reported = snapshot_save(
            actor=town["staff"], group=other, month="2026-11", data={"satisfaction_pct": 95}
        )
    assert reported.satisfaction_pct == 95


@pytest.mark.django_db
def test_suggestions_masked_and_the_golden_limit(town, make_user):
    from gridgov.core.services import policy_update

    admin = make_user(Role.SYSTEM_ADMIN, town["tree"]["d1"])
    policy_update(actor=admin, key="groups.feedback", value={"golden_per_month": 2}, note="试行")
    group = town["group"]
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationFailed):
            feedback.suggestion_send(actor=town["residents"][0], group_uid=group.uid, text=" ")
        sent = [
            feedback.suggestion_send(
                actor=user, group_uid=group.uid, text=f"建议{n}，联系13812345678"
            )
            for n, user in enumerate(town["residents"][:3])
        ]
    assert "13812345678" not in sent[0].text and sent[0].scope_path == group.scope_path
    staff = town["staff"]
    feedback.golden_set(actor=staff, suggestion=sent[0], golden=True)
    feedback.golden_set(actor=staff, suggestion=sent[1], golden=True)
    with pytest.raises(Conflict) as caught:
        feedback.golden_set(actor=staff, suggestion=sent[2], golden=True)
    assert caught.value.code == "golden_limit"
    feedback.golden_set(actor=staff, suggestion=sent[0], golden=False)
    feedback.golden_set(actor=staff, suggestion=sent[2], golden=True)
    assert set(Suggestion.objects.filter(golden=True).values_list("pk", flat=True)) == {
        sent[1].pk,
        sent[2].pk,
    }
    outsider = make_user(Role.COMMUNITY_STAFF, town["tree"]["c2"])
    with pytest.raises(NotFound):
        selectors_feedback.suggestion_get(actor=outsider, uid=sent[1].uid)


@pytest.mark.django_db
def test_api_and_pages(town, client, login_client):
    resident = town["residents"][0]
    login_client(resident)
    with time_machine.travel(NOW, tick=False):
        mine = client.get("/api/v1/my-chat-groups").json()
        assert [g["name"] for g in mine] == ["幸福家园服务群"] and mine[0]["my_stars"] is None
        uid = mine[0]["uid"]
        bad = client.post(
            f"/api/v1/my-chat-groups/{uid}/rating",
            data={"stars": 9},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        assert bad.status_code == 422 and "stars" in bad.json()["details"]
        ok = client.post(
            f"/api/v1/my-chat-groups/{uid}/rating",
            data={"stars": 5},
            content_type="application/json",
        )
        assert ok.status_code == 200 and ok.json()["stars"] == 5
        sent = client.post(
            f"/api/v1/my-chat-groups/{uid}/suggestions",
            data={"text": "希望晚上也有人回复"},
            content_type="application/json",
        )
        assert sent.status_code == 201
        page = client.get("/groups/resident/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "幸福家园服务群" in page and "5 ★" in page
        client.post(f"/groups/resident/{uid}/", {"action": "rate", "stars": "3"})
        assert GroupRating.objects.get().stars == 3
        assert client.get("/api/v1/suggestions").status_code == 403
        login_client(town["staff"])
        listed = client.get("/api/v1/suggestions?month=2026-11").json()
        assert listed["count"] == 1
        picked = client.post(
            f"/api/v1/suggestions/{listed['items'][0]['uid']}/golden",
            data={"golden": True},
            content_type="application/json",
        )
        assert picked.status_code == 200 and picked.json()["golden"] is True
        board = client.get("/groups/suggestions/?month=2026-11").content.decode()
        assert "希望晚上也有人回复" in board and "Unpick" in board
