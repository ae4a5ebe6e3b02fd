"""The "网格+X" service models: a model for some grids of a street or community with
providers from the resource pool, its status, its items and their fees, a grid's catalogue,
the signature-service KPI by hand, the 网格服务日, scoping, the API and the pages."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.kpis.registry import REGISTRY, parse_period
from gridgov.operations import selectors_catalogue as selectors
from gridgov.operations import services_catalogue as services
from gridgov.operations.models import ServiceDay, ServiceItem, ServiceModel

pytestmark = pytest.mark.django_db

KPI_CODES = {"services.featured_share"}


@pytest.fixture
def staff(org_tree, make_user):
    return {
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1staff"),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"], username="s1staff"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="g1aworker"),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="c2staff"),
    }


def add_model(actor, org_tree, grids=("g1a",), service_type="featured", **data):
    return services.model_create(
        actor=actor,
        data={
            "name": "网格管家",
            "kind": "property",
            "service_type": service_type,
            "owner": org_tree["c1"].code,
            "grids": [org_tree[g].code for g in grids],
            **data,
        },
    )


def test_a_model_for_grids_of_its_unit(org_tree, staff):
    model = add_model(staff["community"], org_tree, grids=("g1a", "g1b"))
    assert model.scope_path == org_tree["c1"].path and model.status == "pilot"
    assert {g.code for g in model.grids.all()} == {org_tree["g1a"].code, org_tree["g1b"].code}
    for change, field in [
        ({"kind": "spa"}, "kind"),
        ({"service_type": "luxury"}, "service_type"),
        ({"grids": ()}, "grids"),
        ({"grids": ("g2a",)}, "grids"),  # not a grid of the community
        ({"owner": org_tree["g1a"].code}, "owner"),  # a grid keeps no model
        ({"providers": ["00000000-0000-0000-0000-000000000000"]}, "providers"),
        ({"name": ""}, "name"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            add_model(staff["community"], org_tree, **change)
        assert field in refused.value.details, change
    with pytest.raises(NotFound):
        add_model(staff["outsider"], org_tree)
    assert ServiceModel.objects.count() == 1


def test_status_items_and_the_catalogue(org_tree, staff):
    model = add_model(staff["community"], org_tree)
    basic = add_model(staff["community"], org_tree, service_type="basic", name="政策宣传")
    services.item_add(
        actor=staff["community"],
        model=model,
        data={"name": "代收快递", "fee_yuan": "0", "target_groups": "独居老人"},
    )
    services.item_add(
        actor=staff["community"],
        model=model,
        data={"name": "上门维修", "fee_yuan": "30", "fee_note": "次"},
    )
    for fee in ("-5", "abc", "1e9"):
        with pytest.raises(ValidationFailed):
            services.item_add(
                actor=staff["community"], model=model, data={"name": "x", "fee_yuan": fee}
            )
    assert ServiceItem.objects.count() == 2
    catalogue = selectors.grid_catalogue(org_tree["g1a"])
    assert [e.model.name for e in catalogue] == ["网格管家", "政策宣传"]  # signature first
    assert [i.name for i in catalogue[0].items] == ["上门维修", "代收快递"]
    assert selectors.grid_catalogue(org_tree["g1b"]) == []
    model = services.model_status(actor=staff["community"], model=model, status="active", version=1)
    with pytest.raises(Conflict):
        services.model_status(actor=staff["community"], model=model, status="active", version=2)
    ended = services.model_status(actor=staff["community"], model=basic, status="ended", version=1)
    with pytest.raises(Conflict):
        services.model_status(actor=staff["community"], model=ended, status="active", version=2)
    assert [e.model.name for e in selectors.grid_catalogue(org_tree["g1a"])] == ["网格管家"]


def test_featured_share_by_hand(org_tree, staff):
    """Grids of s1: g1a (signature model, running), g1b (basic only) → 1 / 2; an ended
    signature model does not count; the other district is never counted."""
    add_model(staff["community"], org_tree, grids=("g1a",))
    add_model(staff["community"], org_tree, grids=("g1b",), service_type="basic", name="宣传")
    ended = add_model(staff["community"], org_tree, grids=("g1b",), name="已停")
    services.model_status(actor=staff["community"], model=ended, status="ended", version=1)
    value = REGISTRY["services.featured_share"].snapshot_values(
        org_tree["s1"].path, parse_period("month")
    )[None]
    assert (value.numerator, value.denominator) == (1, 2)


def test_service_days(org_tree, staff):
    model = add_model(staff["community"], org_tree)
    day = services.day_record(
        actor=staff["community"],
        data={
            "grid": org_tree["g1a"].code,
            "held_on": "2026-11-15",
            "title": "网格服务日：义诊",
            "attendance": 86,
            "service_model": str(model.uid),
        },
    )
    assert day.scope_path == org_tree["g1a"].path and day.service_model == model
    for change, field in [
        ({"held_on": "2999-01-01"}, "held_on"),
        ({"attendance": -1}, "attendance"),
        ({"title": ""}, "title"),
        ({"grid": "nope"}, "grid"),
        ({"grid": org_tree["g1b"].code}, "service_model"),  # the model is not offered there
    ]:
        data = {
            "grid": org_tree["g1a"].code,
            "held_on": "2026-11-15",
            "title": "x",
            "attendance": 1,
            "service_model": str(model.uid),
            **change,
        }
        with pytest.raises(ValidationFailed) as refused:
            services.day_record(actor=staff["community"], data=data)
        assert field in refused.value.details, change
    with pytest.raises(NotFound):
        services.day_record(
            actor=staff["outsider"],
            data={
                "grid": org_tree["g1a"].code,
                "held_on": "2026-11-15",
                "title": "x",
                "attendance": 1,
            },
        )
    assert ServiceDay.objects.count() == 1
    assert list(selectors.day_list(actor=staff["worker"])) == [day]
    # The grid worker reads the community's models that run in their grid, not the others.
    elsewhere = add_model(staff["community"], org_tree, grids=("g1b",), name="别处")
    assert list(selectors.model_list(actor=staff["worker"])) == [model]
    assert elsewhere in selectors.model_list(actor=staff["street"])
    assert list(selectors.day_list(actor=staff["outsider"])) == []


def test_api_and_pages(org_tree, staff, client, login_client):
    login_client(staff["community"])
    base = "/api/v1/operations"
    bad = client.post(
        f"{base}/service-models",
        {
            "name": "x",
            "kind": "spa",
            "service_type": "featured",
            "owner": org_tree["c1"].code,
            "grids": [org_tree["g1a"].code],
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 422 and "kind" in bad.json()["details"]
    created = client.post(
        f"{base}/service-models",
        {
            "name": "助餐服务",
            "kind": "elderly",
            "service_type": "featured",
            "owner": org_tree["c1"].code,
            "grids": [org_tree["g1a"].code],
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    uid = created.json()["uid"]
    item = client.post(
        f"{base}/service-models/{uid}/items",
        {"name": "老年助餐", "fee_yuan": 12, "fee_note": "餐"},
        content_type="application/json",
    )
    assert item.status_code == 201
    catalogue = client.get(f"{base}/grids/{org_tree['g1a'].code}/catalogue").json()
    assert catalogue[0]["name"] == "助餐服务" and catalogue[0]["items"][0]["fee_yuan"] == 12
    assert client.get(f"{base}/grids/{org_tree['g2a'].code}/catalogue").status_code == 404
    status = client.post(
        f"{base}/service-models/{uid}/status",
        {"status": "active", "version": 1},
        content_type="application/json",
    )
    assert status.status_code == 200 and status.json()["status"] == "active"
    page = client.get("/operations/services/")
    assert page.status_code == 200 and "助餐服务" in page.content.decode()
    assert client.get(f"/operations/services/{uid}/").status_code == 200
    assert client.get(f"/operations/services/grids/{org_tree['g1a'].code}/").status_code == 200
    refused = client.post(
        "/operations/services/new/",
        {
            "name": "",
            "kind": "property",
            "service_type": "basic",
            "owner": org_tree["c1"].code,
            "grids": org_tree["g1a"].code,
        },
    )
    assert refused.status_code == 422
    login_client(staff["outsider"])
    assert client.get(f"{base}/service-models/{uid}").status_code == 404
    assert client.get(f"/operations/services/{uid}/").status_code == 404
