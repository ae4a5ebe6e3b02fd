"""The matching proposal wired to the product: propose over a community's needs in 匹配中
(the optimum where greedy is worse, explanations, unserved reasons, scoping), and
confirm / change / reject through the order rules, stale proposals refused (409), two
dispatchers confirming at once (one wins)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.lists import matching_services as ms
from gridgov.lists import selectors, services
from gridgov.lists.models import MatchProposalRow, Need, ServiceOrder
from gridgov.lists.services import NeedInput


def _household(actor, grid, number, *, tag=None, birth="1950-05-05"):
    from gridgov.people import services as people
    from gridgov.people.models import ResidentTag, TagCategory

    household = people.household_create(
        actor=actor, grid=grid, number=number, address=f"{number}号", kind="family"
    )
    resident = people.resident_create(
        actor=actor,
        household=household,
        data={
            "name": "王" + "一二三四五六七八九十"[len(number) + ord(number[-1]) % 9],
            "phone": "13912345678",
            "id_type": "none",
            "sex": "F",
            "birth_date": birth,
            "relation": "head",
            "registration": "permanent",
        },
    )
    if tag:
        category, _ = TagCategory.objects.get_or_create(code=tag, defaults={"name": tag})
        ResidentTag.objects.create(
            resident=resident, category=category, scope_path=resident.scope_path
        )
    return household


def _matching_need(actor, household, category="meals", priority="normal") -> Need:
    need, _ = services.need_register(
        actor=actor,
        data=NeedInput(household=str(household.uid), category=category, priority=priority),
    )
    return services.need_transition(
        actor=actor, need=need, action="start_matching", version=need.version
    )


def _resource(actor, owner, name, *, area, lon, lat, capacity=1, categories=("meals",), **kw):
    return services.resource_create(
        actor=actor,
        data={
            "name": name,
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": f"{name}服务社",
            "categories": list(categories),
            "owner": owner.code,
            "capacity": capacity,
            "area_paths": [u.code for u in area],
            "lon": lon,
            "lat": lat,
            **kw,
        },
    )


@pytest.fixture
def scene(org_tree, make_user):
    """Community c1: a red need in grid g1a and a plain need in grid g1b, both 助餐. R1
    (serves the whole community) stands at g1a's centre; R2 (serves g1a only) a little
    east of it. Greedy gives the red need its nearest R1 and leaves the g1b need unserved;
    the optimum sends the red need to R2 and the other to R1."""
    t = org_tree
    staff = make_user(Role.COMMUNITY_STAFF, t["c1"])
    street = make_user(Role.STREET_STAFF, t["s1"])
    red = _household(staff, t["g1a"], "A1", tag="living_alone_elderly")
    plain = _household(staff, t["g1b"], "B1")
    need_red = _matching_need(staff, red)
    need_plain = _matching_need(staff, plain)
    r1 = _resource(street, t["s1"], "社区食堂", area=[t["c1"]], lon=121.405, lat=31.205)
    r2 = _resource(street, t["s1"], "网格助餐点", area=[t["g1a"]], lon=121.408, lat=31.205)
    return {
        "t": t,
        "staff": staff,
        "street": street,
        "red": need_red,
        "plain": need_plain,
        "r1": r1,
        "r2": r2,
        "make_user": make_user,
    }


def _rows(proposal) -> dict:
    return {row.need_id: row for row in ms.proposal_rows(proposal)}


def test_propose_finds_the_optimum_where_greedy_is_worse_with_explanations(scene):
    proposal = ms.propose(actor=scene["staff"], unit=scene["t"]["c1"].code)
    rows = _rows(proposal)
    assert rows[scene["red"].pk].resource == scene["r2"]
    assert rows[scene["plain"].pk].resource == scene["r1"]
    # red (3) × normal (2) + none (1) × normal (2); greedy serves only the red need
    assert proposal.objective["priority_served"] == 8
    assert proposal.greedy_objective["priority_served"] == 6
    assert proposal.needs_total == 2 and proposal.proposed_count == 2
    red = rows[scene["red"].pk].explanation
    assert red["priority"] == 6 and red["colour"] == "red"
    assert red["via"] == scene["t"]["g1a"].path and red["via_name"] == scene["t"]["g1a"].name
    assert 250 < red["distance_m"] < 320
    assert [a["resource"] for a in red["alternatives"]] == [str(scene["r1"].uid)]
    assert red["alternatives"][0]["distance_m"] < 50
    assert red["capacity_left"] == 1 and red["capacity_left_after"] == 0
    assert rows[scene["red"].pk].rank == 1  # highest priority first
    assert AuditRecord.objects.filter(action="lists.match.propose").count() == 1
    # The proposal only proposes: nothing is dispatched until a person confirms.
    assert not ServiceOrder.objects.exists()


def test_confirm_all_dispatches_and_never_breaks_capacity_or_eligibility(scene):
    t = scene["t"]
    picky = _resource(
        scene["street"],
        t["s1"],
        "低保助餐",
        area=[t["c1"]],
        lon=121.415,
        lat=31.205,
        capacity=5,
        eligible_tags=["dibao"],
    )
    proposal = ms.propose(actor=scene["staff"], unit=t["c1"].code)
    assert all(row.resource != picky for row in ms.proposal_rows(proposal))
    result = ms.confirm_all(actor=scene["staff"], proposal=proposal)
    assert len(result.confirmed) == 2 and not result.skipped
    orders = ServiceOrder.objects.all()
    assert {(o.need_id, o.resource_id) for o in orders} == {
        (scene["red"].pk, scene["r2"].pk),
        (scene["plain"].pk, scene["r1"].pk),
    }
    for order in orders:
        assert order.dispatched_by == scene["staff"]
        assert selectors.capacity_used(order.resource) <= order.resource.capacity
    assert not ServiceOrder.objects.filter(resource=picky).exists()
    # Capacity is used up now: a new proposal proposes nobody for a new need.
    late = _matching_need(scene["staff"], _household(scene["staff"], t["g1a"], "A9"))
    again = _rows(ms.propose(actor=scene["staff"], unit=t["c1"].code))
    assert again[late.pk].unserved_reason == "no_candidate"
    assert again[late.pk].explanation["rejected"] == {"capacity": 2, "tags": 1}
    dispatched = Need.objects.filter(pk__in=[scene["red"].pk, scene["plain"].pk])
    assert set(dispatched.values_list("state", flat=True)) == {Need.State.DISPATCHED}
    states = set(proposal.rows.values_list("state", flat=True))
    assert states == {MatchProposalRow.State.CONFIRMED}
    assert AuditRecord.objects.filter(action="lists.match.confirm").count() == 2
    assert AuditRecord.objects.filter(action="lists.order.dispatch").count() == 2


def test_unserved_needs_carry_their_reason(scene):
    t = scene["t"]
    third = _matching_need(scene["staff"], _household(scene["staff"], t["g1b"], "B2"))
    lonely = _matching_need(
        scene["staff"], _household(scene["staff"], t["g1a"], "A2"), category="legal_aid"
    )
    _resource(
        scene["street"],
        t["s1"],
        "法律援助站",
        area=[t["c1"]],
        lon=121.41,
        lat=31.205,
        categories=("legal_aid",),
        eligible_tags=["dibao"],
    )
    proposal = ms.propose(actor=scene["staff"], unit=t["c1"].code)
    rows = _rows(proposal)
    # Two equal needs in g1b, one place at R1 (their only candidate): one goes unserved.
    pair = [rows[third.pk], rows[scene["plain"].pk]]
    unserved = [r for r in pair if r.state == MatchProposalRow.State.UNSERVED]
    assert len(unserved) == 1 and unserved[0].unserved_reason == "candidates_full"
    assert {c["resource"] for c in unserved[0].explanation["candidates"]} == {str(scene["r1"].uid)}
    assert rows[lonely.pk].unserved_reason == "no_candidate"
    assert rows[lonely.pk].explanation["rejected"] == {"tags": 1}
    with pytest.raises(Conflict):
        ms.confirm(actor=scene["staff"], row=unserved[0], version=1)
    # A category filter proposes over that category only.
    legal = ms.propose(actor=scene["staff"], unit=t["c1"].code, category="legal_aid")
    assert [r.need_id for r in ms.proposal_rows(legal)] == [lonely.pk]


def test_stale_proposals_are_refused_with_a_clear_409(scene):
    proposal = ms.propose(actor=scene["staff"], unit=scene["t"]["c1"].code)
    rows = _rows(proposal)
    red, plain = rows[scene["red"].pk], rows[scene["plain"].pk]
    # Someone dispatched the red need by hand meanwhile.
    services.order_dispatch(
        actor=scene["street"],
        need=scene["red"],
        resource_uid=scene["r2"].uid,
        version=scene["red"].version,
    )
    with pytest.raises(Conflict) as exc:
        ms.confirm(actor=scene["staff"], row=red, version=red.version)
    assert exc.value.status == 409 and exc.value.code == "proposal_stale"
    assert "no longer waits for a match" in str(exc.value.message)
    assert ms.row_is_stale(MatchProposalRow.objects.select_related("need").get(pk=red.pk))
    # R1's only place went to another need meanwhile.
    other = _matching_need(scene["staff"], _household(scene["staff"], scene["t"]["g1a"], "A3"))
    services.order_dispatch(
        actor=scene["street"], need=other, resource_uid=scene["r1"].uid, version=other.version
    )
    with pytest.raises(Conflict) as exc:
        ms.confirm(actor=scene["staff"], row=plain, version=plain.version)
    assert exc.value.code == "no_capacity" and "no capacity left" in str(exc.value.message)
    assert ServiceOrder.objects.count() == 2  # nothing half-written
    plain.refresh_from_db()
    assert plain.state == MatchProposalRow.State.PROPOSED and plain.order is None


def test_a_met_need_is_refused_in_chinese_too(scene):
    from django.utils import translation

    proposal = ms.propose(actor=scene["staff"], unit=scene["t"]["c1"].code)
    row = _rows(proposal)[scene["red"].pk]
    Need.objects.filter(pk=scene["red"].pk).update(state=Need.State.MET)
    with translation.override("zh-hans"), pytest.raises(Conflict) as exc:
        ms.confirm(actor=scene["staff"], row=row, version=row.version)
    assert "不再等待匹配" in str(exc.value.message) and "已满足" in str(exc.value.message)


def test_change_and_reject(scene):
    proposal = ms.propose(actor=scene["staff"], unit=scene["t"]["c1"].code)
    rows = _rows(proposal)
    red, plain = rows[scene["red"].pk], rows[scene["plain"].pk]
    with pytest.raises(ValidationFailed):  # no reason
        ms.reject(actor=scene["staff"], row=plain, version=plain.version, reason=" ")
    rejected = ms.reject(
        actor=scene["staff"], row=plain, version=plain.version, reason="家属已安排"
    )
    assert rejected.state == MatchProposalRow.State.REJECTED and rejected.reason == "家属已安排"
    assert Need.objects.get(pk=scene["plain"].pk).state == Need.State.MATCHING
    with pytest.raises(Conflict):  # decided rows take no second decision
        ms.reject(actor=scene["staff"], row=plain, version=rejected.version, reason="again")
    with pytest.raises(Conflict):  # not a candidate of the g1b need: serves g1a only
        ms.change(
            actor=scene["staff"], row=plain, version=plain.version, resource_uid=scene["r2"].uid
        )
    order = ms.change(
        actor=scene["staff"], row=red, version=red.version, resource_uid=scene["r1"].uid
    )
    assert order.resource == scene["r1"] and order.need_id == scene["red"].pk
    red.refresh_from_db()
    assert red.state == MatchProposalRow.State.CHANGED and red.order == order
    assert AuditRecord.objects.filter(action="lists.match.change").count() == 1
    assert AuditRecord.objects.filter(action="lists.match.reject").count() == 1


def test_scoping_a_dispatcher_never_sees_another_community(scene):
    t = scene["t"]
    outsider = scene["make_user"](Role.COMMUNITY_STAFF, t["c2"])
    theirs = _matching_need(outsider, _household(outsider, t["g2a"], "Z1"))
    # A resource kept by community c2 that says it serves c1 too.
    crossing = _resource(
        outsider, t["c2"], "华阳食堂", area=[t["c1"], t["c2"]], lon=121.405, lat=31.205, capacity=9
    )
    proposal = ms.propose(actor=scene["staff"], unit=t["c1"].code)
    rows = list(ms.proposal_rows(proposal))
    assert theirs.pk not in {r.need_id for r in rows}
    resources_named = {r.resource_id for r in rows} | {
        a["resource"] for r in rows for a in r.explanation.get("alternatives", [])
    }
    assert crossing.pk not in resources_named and str(crossing.uid) not in resources_named
    # The outsider may not propose for c1, nor read or decide c1's proposal.
    with pytest.raises(ValidationFailed):
        ms.propose(actor=outsider, unit=t["c1"].code)
    with pytest.raises(NotFound):
        ms.proposal_get(actor=outsider, uid=proposal.uid)
    row = rows[0]
    with pytest.raises(PermissionDenied):
        ms.confirm(actor=outsider, row=row, version=row.version)
    own = ms.propose(actor=outsider, unit=t["c2"].code)
    assert [r.need_id for r in ms.proposal_rows(own)] == [theirs.pk]
    assert list(ms.proposal_list(actor=outsider)) == [own]
    worker = scene["make_user"](Role.GRID_WORKER, t["g1a"])
    with pytest.raises(PermissionDenied):  # a grid worker does not dispatch
        ms.propose(actor=worker, unit=t["g1a"].code)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
def test_two_dispatchers_confirming_the_same_need_at_once_one_wins(org_tree, make_user):
    t = org_tree
    staff = make_user(Role.COMMUNITY_STAFF, t["c1"])
    leader = make_user(Role.GRID_LEADER, t["c1"])
    need = _matching_need(staff, _household(staff, t["g1a"], "P1"))
    _resource(staff, t["c1"], "食堂", area=[t["c1"]], lon=121.405, lat=31.205, capacity=3)
    # Two proposals (one each) propose the same need.
    rows = [
        ms.proposal_rows(ms.propose(actor=who, unit=t["c1"].code)).get() for who in (staff, leader)
    ]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name, actor, row):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            ms.confirm(actor=actor, row=row, version=row.version)
            outcomes[name] = "ok"
        except Conflict as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("a", staff, rows[0])),
        threading.Thread(target=act, args=("b", leader, rows[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(v).__name__ for v in outcomes.values()) == ["Conflict", "str"]
    loser = next(v for v in outcomes.values() if isinstance(v, Conflict))
    assert loser.status == 409
    assert ServiceOrder.objects.filter(need=need).count() == 1
    assert Need.objects.get(pk=need.pk).state == Need.State.DISPATCHED
    assert MatchProposalRow.objects.filter(state=MatchProposalRow.State.CONFIRMED).count() == 1


# The API and the pages ------------------------------------------------------------------------


def test_api_propose_read_confirm_change_reject(scene, login_client, client):
    from django.test import Client

    t = scene["t"]
    api = login_client(scene["staff"])
    bad = api.post("/api/v1/matches", {"unit": t["c2"].code}, content_type="application/json")
    assert bad.status_code == 422 and "unit" in bad.json()["details"]
    made = api.post("/api/v1/matches", {"unit": t["c1"].code}, content_type="application/json")
    assert made.status_code == 201
    body = made.json()
    assert body["needs_total"] == 2 and body["objective"]["priority_served"] == 8
    assert body["greedy_objective"]["priority_served"] == 6
    rows = {r["need"]: r for r in body["rows"]}
    red, plain = rows[str(scene["red"].uid)], rows[str(scene["plain"].uid)]
    assert red["resource"] == str(scene["r2"].uid) and red["actions"] == [
        "confirm",
        "change",
        "reject",
    ]
    assert red["explanation"]["alternatives"][0]["name"] == "社区食堂"
    assert "住户" not in made.content.decode() and "王" not in made.content.decode()
    base = f"/api/v1/matches/{body['uid']}/rows"
    done = api.post(
        f"{base}/{red['uid']}/confirm", {"version": red["version"]}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["state"] == "confirmed"
    assert done.json()["order"] and done.json()["actions"] == []
    again = api.post(
        f"{base}/{red['uid']}/confirm", {"version": red["version"]}, content_type="application/json"
    )
    assert again.status_code == 409
    no_reason = api.post(
        f"{base}/{plain['uid']}/reject", {"version": 1}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    changed = api.post(
        f"{base}/{plain['uid']}/change",
        {"version": 1, "resource": str(scene["r2"].uid)},
        content_type="application/json",
    )
    assert changed.status_code == 409 and changed.json()["code"] == "no_capacity"
    rejected = api.post(
        f"{base}/{plain['uid']}/reject",
        {"version": 1, "reason": "居民暂不需要"},
        content_type="application/json",
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    listed = api.get("/api/v1/matches").json()
    assert listed["count"] == 1 and listed["items"][0]["uid"] == body["uid"]
    # A dispatcher of the other community sees nothing of it.
    outsider = login_client(scene["make_user"](Role.COMMUNITY_STAFF, t["c2"]), Client())
    assert outsider.get(f"/api/v1/matches/{body['uid']}").status_code == 404
    assert outsider.get("/api/v1/matches").json()["count"] == 0
    assert (
        outsider.post(
            f"{base}/{plain['uid']}/reject",
            {"version": 2, "reason": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_api_confirming_a_dispatched_need_is_409_in_chinese(scene, login_client):
    from django.test import Client

    t = scene["t"]
    api = login_client(scene["staff"], Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    body = api.post("/api/v1/matches", {"unit": t["g1a"].code}, content_type="application/json")
    row = body.json()["rows"][0]
    services.order_dispatch(
        actor=scene["street"],
        need=scene["red"],
        resource_uid=scene["r1"].uid,
        version=scene["red"].version,
    )
    shown = api.get(f"/api/v1/matches/{body.json()['uid']}").json()["rows"][0]
    assert shown["stale"] is True and shown["actions"] == ["reject"]
    refused = api.post(
        f"/api/v1/matches/{body.json()['uid']}/rows/{row['uid']}/confirm",
        {"version": row["version"]},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert "不再等待匹配" in refused.json()["message"] and "已派单" in refused.json()["message"]
    assert ServiceOrder.objects.count() == 1


def test_pages_run_a_proposal_and_confirm_all(scene, login_client):
    t = scene["t"]
    web = login_client(scene["staff"])
    index = web.get("/lists/matching/")
    assert index.status_code == 200
    assert t["c1"].name in index.content.decode() and t["g1b"].name in index.content.decode()
    assert "2 needs wait for a match" in index.content.decode()
    bad = web.post("/lists/matching/", {"unit": t["c2"].code})
    assert bad.status_code == 200 and "Choose a community or grid" in bad.content.decode()
    ran = web.post("/lists/matching/", {"unit": t["c1"].code})
    assert ran.status_code == 302
    page = web.get(ran["Location"]).content.decode()
    for text in ("网格助餐点", "社区食堂", "Why:", "Alternatives:", "serves 网格001", "m"):
        assert text in page
    assert "this proposal serves 2 more" in page
    proposal = ms.proposal_list(actor=scene["staff"]).get()
    confirmed = web.post(f"/lists/matching/{proposal.uid}/confirm-all/", follow=True)
    assert "2 service orders were dispatched" in confirmed.content.decode()
    assert ServiceOrder.objects.count() == 2
    # Rejecting a decided row: a clear error, nothing written.
    row = proposal.rows.first()
    web.post(
        f"/lists/matching/{proposal.uid}/rows/{row.uid}/",
        {"action": "reject", "version": "1", "reason": "x"},
    )
    row.refresh_from_db()
    assert row.state == MatchProposalRow.State.CONFIRMED
    # Linked from the needs list and from the need page.
    assert "/lists/matching/" in web.get("/lists/needs/").content.decode()
    detail = web.get(f"/lists/needs/{scene['plain'].uid}/").content.decode()
    assert "propose-link" not in detail  # dispatched: no candidates section
    fresh = _matching_need(scene["staff"], _household(scene["staff"], t["g1b"], "B7"))
    detail = web.get(f"/lists/needs/{fresh.uid}/").content.decode()
    assert f"/lists/matching/?unit={t['g1b'].code}&amp;category=meals" in detail


def test_page_rows_change_and_reject(scene, login_client):
    web = login_client(scene["staff"])
    proposal = ms.propose(actor=scene["staff"], unit=scene["t"]["c1"].code)
    rows = _rows(proposal)
    red, plain = rows[scene["red"].pk], rows[scene["plain"].pk]
    url = f"/lists/matching/{proposal.uid}/rows"
    changed = web.post(
        f"{url}/{red.uid}/",
        {"action": "change", "version": "1", "resource": str(scene["r1"].uid)},
    )
    assert changed.status_code == 302 and changed["Location"].endswith(f"#row-{red.uid}")
    assert ServiceOrder.objects.get().resource == scene["r1"]
    response = web.post(
        f"{url}/{plain.uid}/", {"action": "reject", "version": "1", "reason": "已转介"}, follow=True
    )
    assert "The proposal was rejected." in response.content.decode()
    plain.refresh_from_db()
    assert plain.state == MatchProposalRow.State.REJECTED and plain.reason == "已转介"
