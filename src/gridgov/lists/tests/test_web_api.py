"""The pages and the API over the same services: a need registered on its page, matched on
its page, run through its order to 已满足; the API's dispatch race (409) and refusal;
masked personal data."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.lists.models import Need, ServiceOrder


@pytest.fixture
def office(org_tree, make_user):
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="W1", address="2号楼202", kind="family"
    )
    people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "赵页面",
            "id_type": "none",
            "sex": "M",
            "birth_date": "1960-01-01",
            "phone": "13987654321",
            "relation": "head",
            "registration": "permanent",
        },
    )
    return staff, household, org_tree


def test_pages_from_register_to_met(office, login_client):
    staff, household, tree = office
    client = login_client(staff)
    response = client.post(
        "/lists/resources/new/",
        {
            "name": "助餐点",
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": "阳光社工",
            "categories": ["meals"],
            "owner": tree["c1"].code,
            "capacity": "-3",
            "area_paths": tree["c1"].code,
        },
    )
    assert response.status_code == 200 and b"below zero" in response.content
    response = client.post(
        "/lists/resources/new/",
        {
            "name": "助餐点",
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": "阳光社工",
            "categories": ["meals"],
            "owner": tree["c1"].code,
            "capacity": "5",
            "area_paths": tree["c1"].code,
            "contact_phone": "13811112222",
        },
    )
    assert response.status_code == 302
    page = client.get("/lists/resources/")
    assert "助餐点".encode() in page.content and b"13811112222" not in page.content
    response = client.post(
        "/lists/needs/new/", {"household": "W1", "category": "meals", "text": "午餐"}
    )
    need = Need.objects.get()
    assert response.status_code == 302 and response.url == f"/lists/needs/{need.uid}/"
    detail = client.get(response.url)
    assert "赵页面".encode() not in detail.content and b"13987654321" not in detail.content
    client.post(
        f"/lists/needs/{need.uid}/action/", {"action": "start_matching", "version": need.version}
    )
    need.refresh_from_db()
    detail = client.get(f"/lists/needs/{need.uid}/")
    assert b'id="candidates"' in detail.content and "助餐点".encode() in detail.content
    resource = detail.context["candidates"][0].resource
    response = client.post(
        f"/lists/needs/{need.uid}/dispatch/", {"resource": resource.uid, "version": need.version}
    )
    order = ServiceOrder.objects.get()
    assert response.url == f"/lists/orders/{order.uid}/"
    for version, data in enumerate(
        [
            {"action": "accept"},
            {"action": "start"},
            {"action": "complete", "hours": "1.5"},
            {"action": "rate", "resident_rating": "5", "need_met": "yes", "outcome_rating": "4"},
        ],
        start=1,
    ):
        client.post(f"/lists/orders/{order.uid}/action/", {**data, "version": version})
    order.refresh_from_db()
    need.refresh_from_db()
    assert order.state == "rated" and need.state == "met"
    assert client.get("/lists/orders/").status_code == 200
    assert client.get("/").status_code == 200  # the workbench section


def test_api_dispatch_race_refusal_and_scope(office, login_client, make_user):
    from gridgov.lists import services

    staff, household, tree = office
    resource = services.resource_create(
        actor=staff,
        data={
            "name": "康复站",
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": "卫健",
            "categories": ["rehab"],
            "owner": tree["c1"].code,
            "capacity": 3,
            "area_paths": [tree["g1a"].code],
        },
    )
    client = login_client(staff)
    created = client.post(
        "/api/v1/needs",
        {"household": str(household.uid), "category": "rehab", "text": "腿伤"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()["need"]
    assert body["colour"] == "" and "start_matching" in body["actions"]
    merged = client.post(
        "/api/v1/needs",
        {"household": str(household.uid), "category": "rehab"},
        content_type="application/json",
    )
    assert merged.status_code == 200 and merged.json()["merged"] is True
    uid = body["uid"]
    moved = client.post(
        f"/api/v1/needs/{uid}/transitions",
        {"action": "start_matching", "version": merged.json()["need"]["version"]},
        content_type="application/json",
    ).json()
    candidates = client.get(f"/api/v1/needs/{uid}/candidates").json()
    assert [c["resource"] for c in candidates] == [str(resource.uid)]
    payload = {"resource": str(resource.uid), "version": moved["version"]}
    first = client.post(
        f"/api/v1/needs/{uid}/service-orders", payload, content_type="application/json"
    )
    second = client.post(
        f"/api/v1/needs/{uid}/service-orders", payload, content_type="application/json"
    )
    assert first.status_code == 201 and second.status_code == 409
    order = first.json()
    assert order["actions"] == ["accept", "refuse", "cancel"]
    refused = client.post(
        f"/api/v1/service-orders/{order['uid']}/transitions",
        {"action": "refuse", "version": order["version"], "reason": "人手不足"},
        content_type="application/json",
    )
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert client.get(f"/api/v1/needs/{uid}").json()["state"] == "matching"
    outsider = login_client(make_user(Role.COMMUNITY_STAFF, tree["c2"]))
    assert outsider.get(f"/api/v1/needs/{uid}").status_code == 404
    assert outsider.get("/api/v1/needs").json()["count"] == 0
    assert outsider.get(f"/api/v1/service-orders/{order['uid']}").status_code == 404


def test_need_page_in_chinese_names_rule_and_states_in_words(office, login_client):
    import re

    from gridgov.lists import services

    staff, household, _tree = office
    need, _ = services.need_register(
        actor=staff,
        data=services.NeedInput(household=str(household.uid), category="culture", text="书法"),
    )
    client = login_client(staff)
    page = client.get(f"/lists/needs/{need.uid}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    main = text[text.index("<main") :]
    visible = re.sub(r"<[^>]+>", " ", main)
    assert "需求：特殊群体红/黄/蓝分色 v0" in visible and "登记需求" in visible
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", visible)


def test_category_taxonomy_is_edited_on_its_page(org_tree, make_user, login_client):
    from gridgov.audit.models import AuditRecord
    from gridgov.lists.models import NeedCategory

    district = make_user(Role.DISTRICT_STAFF, org_tree["d1"])
    client = login_client(district)
    bad = client.post("/lists/categories/", {"code": "Bad Code", "name": "", "name_en": "x"})
    assert bad.status_code == 400 and not NeedCategory.objects.filter(name_en="x").exists()
    client.post(
        "/lists/categories/",
        {"code": "digital", "name": "数字助老", "name_en": "digital help", "is_active": "1"},
    )
    client.post(
        "/lists/categories/",
        {"code": "digital", "name": "数字助老", "name_en": "digital help", "is_active": "0"},
    )
    category = NeedCategory.objects.get(code="digital")
    assert category.name == "数字助老" and not category.is_active
    assert AuditRecord.objects.filter(action__startswith="lists.category.").count() == 2
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    assert login_client(staff).get("/lists/categories/").status_code == 403


def test_a_grid_event_is_marked_as_a_need(office, login_client):
    from gridgov.events.services import ReportInput, report_event

    staff, household, _tree = office
    event, _ = report_event(
        actor=staff,
        data=ReportInput(channel="staff", title="楼道老人行动不便", lon=121.405, lat=31.205),
    )
    client = login_client(staff)
    page = client.get(f"/events/{event.uid}/")
    assert b'id="mark-need"' in page.content
    form = client.get(f"/lists/needs/new/?event={event.tracking_code}")
    assert event.title.encode() in form.content
    client.post(
        "/lists/needs/new/",
        {"household": "W1", "category": "special_care", "event": event.tracking_code},
    )
    need = Need.objects.get()
    assert need.source == "event" and need.source_ref == str(event.uid)
    assert need.text == "楼道老人行动不便"
