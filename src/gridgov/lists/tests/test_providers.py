"""Provider accounts (服务提供方): linked to resources by staff (audited), they see and act
on their own resources' service orders only (pages and API; another provider's order is a
404), with the household masked; overdue orders are listed with the overdue work and
escalated once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.lists import selectors, services
from gridgov.lists.models import Need, ServiceOrder


def _resource(staff, tree, name):
    return services.resource_create(
        actor=staff,
        data={
            "name": name,
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": f"{name}社",
            "categories": ["meals"],
            "owner": tree["c1"].code,
            "capacity": 5,
            "area_paths": [tree["c1"].code],
        },
    )


def _order(staff, household, resource, category="meals"):
    need, _merged = services.need_register(
        actor=staff,
        data=services.NeedInput(
            household=str(household.uid), category=category, text="午餐 联系13912345678"
        ),
    )
    need = services.need_transition(
        actor=staff, need=need, action="start_matching", version=need.version
    )
    return services.order_dispatch(
        actor=staff, need=need, resource_uid=resource.uid, version=need.version
    )


@pytest.fixture
def world(org_tree, make_user):
    """Community staff of c1; two households of g1a (one named resident each); two meal
    resources, each with its provider account and one order waiting for acceptance."""
    from gridgov.people import services as people

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    households = []
    for number, name, phone in [
        ("P0101", "钱服务", "13711112222"),
        ("P0202", "孙服务", "13733334444"),
    ]:
        household = people.household_create(
            actor=staff, grid=org_tree["g1a"], number=number, address="3号楼402室", kind="family"
        )
        people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "F",
                "birth_date": "1950-01-01",
                "phone": phone,
                "relation": "head",
                "registration": "permanent",
            },
        )
        households.append(household)
    res_a, res_b = _resource(staff, org_tree, "甲助餐"), _resource(staff, org_tree, "乙助餐")
    prov_a = make_user(Role.SERVICE_PROVIDER, org_tree["c1"], username="prov_a")
    prov_b = make_user(Role.SERVICE_PROVIDER, org_tree["c1"], username="prov_b")
    services.operator_add(actor=staff, resource=res_a, username="prov_a")
    services.operator_add(actor=staff, resource=res_b, username="prov_b")
    order_a = _order(staff, households[0], res_a)
    order_b = _order(staff, households[1], res_b)
    return {
        "tree": org_tree,
        "staff": staff,
        "households": households,
        "resources": (res_a, res_b),
        "providers": (prov_a, prov_b),
        "orders": (order_a, order_b),
    }


def test_operator_link_is_added_and_removed_by_staff_and_audited(world, make_user):
    staff, tree = world["staff"], world["tree"]
    res_a = world["resources"][0]
    prov_b = world["providers"][1]
    assert AuditRecord.objects.filter(
        action="lists.resource.operator_add", changes__operator="prov_a"
    ).exists()
    # A second link of the same account: 409; an unknown name, a staff account and a provider
    # of another district all get the same answer.
    with pytest.raises(Conflict):
        services.operator_add(actor=staff, resource=res_a, username="prov_a")
    make_user(Role.SERVICE_PROVIDER, tree["d2"], username="prov_far")
    make_user(Role.GRID_WORKER, tree["g1a"], username="not_a_provider")
    answers = set()
    for name in ("nobody", "not_a_provider", "prov_far"):
        with pytest.raises(ValidationFailed) as caught:
            services.operator_add(actor=staff, resource=res_a, username=name)
        answers.add(str(caught.value.details["username"]))
    assert len(answers) == 1
    # Someone without lists.manage over the resource cannot link anyone.
    worker = make_user(Role.GRID_WORKER, tree["g1a"])
    with pytest.raises(PermissionDenied):
        services.operator_add(actor=worker, resource=res_a, username="prov_b")
    # Linked to both, prov_b sees both orders; unlinked, it sees its own again only.
    services.operator_add(actor=staff, resource=res_a, username="prov_b")
    assert selectors.order_list(actor=prov_b).count() == 2
    services.operator_remove(actor=staff, resource=res_a, user_id=prov_b.pk)
    assert selectors.order_list(actor=prov_b).count() == 1
    removed = AuditRecord.objects.get(action="lists.resource.operator_remove")
    assert removed.changes["operator"] == "prov_b" and removed.outcome == "success"
    with pytest.raises(NotFound):
        services.operator_remove(actor=staff, resource=res_a, user_id=prov_b.pk)


def test_operator_link_on_the_resource_page(world, login_client):
    staff = world["staff"]
    res_a = world["resources"][0]
    client = login_client(staff)
    page = client.get(f"/lists/resources/{res_a.uid}/")
    assert b'id="operators"' in page.content and b"prov_a" in page.content
    url = f"/lists/resources/{res_a.uid}/operators/"
    assert client.post(url, {"username": "prov_b"}).status_code == 302
    assert res_a.operators.count() == 2
    prov_b = world["providers"][1]
    client.post(url, {"remove": str(prov_b.pk)})
    assert list(res_a.operators.values_list("user__username", flat=True)) == ["prov_a"]
    assert AuditRecord.objects.filter(action="lists.resource.operator_remove").count() == 1


def test_provider_sees_only_its_own_orders(world, login_client):
    prov_a = world["providers"][0]
    order_a, order_b = world["orders"]
    client = login_client(prov_a)
    assert client.get("/").url == "/lists/serve/"
    home = client.get("/lists/serve/")
    text = home.content.decode()
    assert home.status_code == 200 and str(order_a.uid) in text and str(order_b.uid) not in text
    assert "乙助餐" not in text
    # Another provider's order: 404 on every page and in the API, like a missing one.
    assert client.get(f"/lists/serve/{order_b.uid}/").status_code == 404
    assert (
        client.post(f"/lists/serve/{order_b.uid}/action/", {"action": "accept"}).status_code == 404
    )
    assert client.get(f"/api/v1/service-orders/{order_b.uid}").status_code == 404
    listed = client.get("/api/v1/service-orders").json()
    assert [o["uid"] for o in listed["items"]] == [str(order_a.uid)]
    # Accepting someone else's order through the API: 404, and the order is untouched.
    taken = client.post(
        f"/api/v1/service-orders/{order_b.uid}/transitions",
        {"action": "accept", "version": order_b.version},
        content_type="application/json",
    )
    assert taken.status_code == 404
    order_b.refresh_from_db()
    assert order_b.state == ServiceOrder.State.DISPATCHED
    # The service refuses it too, should a caller reach it with the other's order.
    with pytest.raises(PermissionDenied):
        services.order_transition(actor=prov_a, order=order_b, action="accept", version=1)
    # Nothing of the staff's lists: needs, resources, dispatch, the staff order pages.
    need_a = order_a.need
    for url in (
        "/lists/needs/",
        "/lists/resources/",
        "/lists/orders/",
        f"/lists/orders/{order_a.uid}/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get("/api/v1/needs").status_code == 403
    assert client.get(f"/api/v1/needs/{need_a.uid}").status_code == 403
    dispatch = client.post(
        f"/api/v1/needs/{need_a.uid}/service-orders",
        {"resource": str(world["resources"][0].uid), "version": need_a.version},
        content_type="application/json",
    )
    assert dispatch.status_code == 403


def test_provider_data_is_masked(world, login_client):
    prov_a = world["providers"][0]
    order_a = world["orders"][0]
    client = login_client(prov_a)
    for response in (
        client.get("/lists/serve/"),
        client.get(f"/lists/serve/{order_a.uid}/"),
        client.get("/api/v1/service-orders"),
        client.get(f"/api/v1/service-orders/{order_a.uid}"),
    ):
        body = response.content.decode()
        assert response.status_code == 200
        for clear in ("钱服务", "13711112222", "13912345678", "P0101", "402室"):
            assert clear not in body, clear
    detail = client.get(f"/api/v1/service-orders/{order_a.uid}").json()
    assert detail["household_number"] == "P***1"
    assert detail["need_text"] == "午餐 联系139****5678" and detail["category"] == "meals"
    # Staff read the same order with the number in clear.
    staff_view = login_client(world["staff"]).get(f"/api/v1/service-orders/{order_a.uid}")
    assert staff_view.json()["household_number"] == "P0101"


def test_provider_accepts_starts_completes_and_the_need_follows(world, login_client):
    prov_a = world["providers"][0]
    order_a = world["orders"][0]
    client = login_client(prov_a)
    page = client.get(f"/lists/serve/{order_a.uid}/")
    assert [a for a, _t in page.context["actions"]] == ["accept", "refuse"]
    # The address is shown only once accepted.
    assert not page.context["can_reveal"]
    assert (
        client.post(f"/lists/serve/{order_a.uid}/address/", {"reason": "上门"}).status_code == 302
    )
    early = client.post(
        f"/lists/serve/{order_a.uid}/address/", {"reason": "上门"}, HTTP_HX_REQUEST="true"
    )
    assert early.status_code == 200 and b"accepted and not yet completed" in early.content
    assert not AuditRecord.objects.filter(action="lists.order.reveal_address").exists()
    for version, data in enumerate(
        [{"action": "accept"}, {"action": "start"}, {"action": "complete", "hours": "2"}], start=1
    ):
        response = client.post(f"/lists/serve/{order_a.uid}/action/", {**data, "version": version})
        assert response.status_code == 302
        if data["action"] == "accept":
            revealed = client.post(f"/lists/serve/{order_a.uid}/address/", {"reason": "上门送餐"})
            assert "3号楼402室" in revealed.content.decode()
            record = AuditRecord.objects.get(action="lists.order.reveal_address")
            assert record.actor_id == prov_a.pk and record.changes["reason"] == "上门送餐"
    order_a.refresh_from_db()
    assert order_a.state == ServiceOrder.State.COMPLETED and str(order_a.hours) == "2.0"
    need = Need.objects.get(pk=order_a.need_id)
    assert need.state == Need.State.IN_SERVICE
    assert need.log.filter(action="serve", actor_name="system:order:prov_a").exists()
    # Rating and cancelling stay with staff.
    rated = client.post(
        f"/api/v1/service-orders/{order_a.uid}/transitions",
        {
            "action": "rate",
            "version": order_a.version,
            "resident_rating": 5,
            "need_met": "yes",
            "outcome_rating": 5,
        },
        content_type="application/json",
    )
    assert rated.status_code == 403
    order_a.refresh_from_db()
    assert order_a.state == ServiceOrder.State.COMPLETED


def test_provider_refuses_through_the_api(world, login_client):
    prov_b = world["providers"][1]
    order_b = world["orders"][1]
    client = login_client(prov_b)
    url = f"/api/v1/service-orders/{order_b.uid}/transitions"
    no_reason = client.post(
        url, {"action": "refuse", "version": 1}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    refused = client.post(
        url,
        {"action": "refuse", "version": 1, "reason": "本周满员"},
        content_type="application/json",
    )
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert refused.json()["actions"] == []
    assert Need.objects.get(pk=order_b.need_id).state == Need.State.MATCHING
    stale = client.post(url, {"action": "accept", "version": 1}, content_type="application/json")
    assert stale.status_code == 409


def test_overdue_orders_are_listed_and_escalated_once(world, login_client, make_user):
    from gridgov.core.models import Notification

    staff, tree = world["staff"], world["tree"]
    street = make_user(Role.STREET_STAFF, tree["s1"])
    order_a, order_b = world["orders"]
    order_a = services.order_transition(actor=staff, order=order_a, action="accept", version=1)
    past = timezone.now() - timedelta(hours=1)
    # a: accepted, not started by its first-service time; b: not accepted in time.
    ServiceOrder.objects.filter(pk=order_a.pk).update(start_due=past)
    ServiceOrder.objects.filter(pk=order_b.pk).update(accept_due=past)
    overdue = selectors.order_list(actor=staff, state="overdue")
    assert set(overdue.values_list("pk", flat=True)) == {order_a.pk, order_b.pk}
    client = login_client(staff)
    home = client.get("/")
    queue = next(
        q for s in home.context["sections"] for q in s.queues if q.key == "lists_orders_overdue"
    )
    assert queue.count == 2 and queue.url == "/lists/orders/?state=overdue"
    listed = client.get(queue.url)
    assert listed.status_code == 200 and len(listed.context["orders"]) == 2
    # The provider's own home shows it as overdue too.
    provider_home = login_client(world["providers"][0]).get("/lists/serve/")
    assert provider_home.context["sections"][2]["count"] == 1
    # Escalation: the started-late order only, once, to the community's and the street's
    # dispatchers; the accept timeout sends b back to matching instead.
    assert services.orders_escalate_overdue() == 1
    assert services.orders_escalate_overdue() == 0
    assert services.orders_time_out() == 1
    notices = Notification.objects.filter(kind="overdue", subject_id=str(order_a.uid))
    assert {n.recipient_id for n in notices} == {staff.pk, street.pk}
    assert AuditRecord.objects.filter(action="lists.order.escalate_overdue").count() == 1
    assert set(selectors.order_list(actor=staff, state="overdue").values_list("pk", flat=True)) == {
        order_a.pk
    }
    # Started, it is no longer overdue.
    services.order_transition(actor=staff, order=order_a, action="start", version=order_a.version)
    assert not selectors.order_list(actor=staff, state="overdue").exists()


def test_demo_provider_is_linked_by_seed_providers(org_tree, make_user):
    from gridgov.demo.lists_providers import seed_providers
    from gridgov.people import services as people

    make_user(Role.SERVICE_PROVIDER, org_tree["s1"], username="demo_provider")
    street = make_user(Role.STREET_STAFF, org_tree["s1"], username="demo_street")
    household = people.household_create(
        actor=make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        grid=org_tree["g1a"],
        number="D0001",
        address="1号楼101室",
        kind="family",
    )
    need, _merged = services.need_register(
        actor=street,
        data=services.NeedInput(household=str(household.uid), category="meals", text="午餐"),
    )
    services.need_transition(actor=street, need=need, action="start_matching", version=1)
    # No resource in the street: one is added through the services, linked, and the waiting
    # need dispatched to it.
    resource = seed_providers()
    assert resource is not None and resource.scope_path == org_tree["s1"].path
    assert list(resource.operators.values_list("user__username", flat=True)) == ["demo_provider"]
    order = ServiceOrder.objects.get(resource=resource)
    assert order.need_id == need.pk and order.state == ServiceOrder.State.DISPATCHED
    assert seed_providers() == resource  # idempotent
    assert resource.operators.count() == 1 and resource.orders.count() == 1
