"""The visits API: create with a client UUID (resend, tamper), scope, per-indicator errors,
the sync batch, review rules, the catalogue, and sensitive answers hidden by role."""

from __future__ import annotations

import json
import uuid

import pytest

from gridgov.people import services as people
from gridgov.visits.models import Visit

pytestmark = pytest.mark.django_db


def _body(world, **fields):
    data = world.visit_input(**fields)
    return {k: v for k, v in data.__dict__.items()}


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_create_resend_and_tamper(world, login_client):
    client = login_client(world.worker)
    body = _body(world)
    first = _post(client, "/api/v1/visits", body)
    assert first.status_code == 201, first.content
    again = _post(client, "/api/v1/visits", body)
    assert again.status_code == 200 and again.json()["uid"] == first.json()["uid"]
    tampered = _post(client, "/api/v1/visits", {**body, "outcome": "partial"})
    assert tampered.status_code == 409 and tampered.json()["code"] == "client_uuid_reused"
    assert Visit.objects.count() == 1


def test_outside_scope_is_404_and_nothing_stored(world, login_client):
    client = login_client(world.worker)
    response = _post(client, "/api/v1/visits", _body(world, household=str(world.household_out.uid)))
    assert response.status_code == 404
    assert not Visit.objects.exists()
    visit_out = uuid.uuid4()
    assert client.get(f"/api/v1/visits/{visit_out}").status_code == 404


def test_unknown_indicator_and_bad_value_name_the_indicator(world, login_client):
    client = login_client(world.worker)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = _post(
        client,
        "/api/v1/visits",
        _body(world, outcome="partial", answers={"QQ1": 1, "F02": 99}),
    )
    assert response.status_code == 422
    details = response.json()["details"]
    assert "QQ1" in details["answers.QQ1"][0]
    assert "60岁以上人数" in details["answers.F02"][0]
    assert "members aged 60+" in details["answers.F02"][0]


def test_sensitive_answer_without_consent_is_refused_with_the_reason(world, login_client):
    client = login_client(world.worker)
    body = _body(world)
    body["answers"] = {**body["answers"], "P01": True}
    response = _post(client, "/api/v1/visits", body)
    assert response.status_code == 422
    assert "consent" in response.json()["details"]["answers.P01"][0]


def test_sync_batch_answers_per_record(world, login_client):
    client = login_client(world.worker)
    good = _body(world)
    bad = _body(world, outcome="partial", answers={"B01": "多"})
    response = _post(
        client, "/api/v1/visits/sync", {"records": [good, bad, good, {**good, "note": "改"}]}
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 200, 409]
    assert results[1]["details"]["answers.B01"]
    assert Visit.objects.count() == 1
    too_many = _post(client, "/api/v1/visits/sync", {"records": [good] * 101})
    assert too_many.status_code == 422


def test_review_rules_over_the_api(world, login_client):
    leader = login_client(world.leader)
    created = _post(leader, "/api/v1/visits", _body(world)).json()
    own = _post(
        leader, f"/api/v1/visits/{created['uid']}/reviews", {"decision": "pass", "version": 1}
    )
    assert own.status_code == 403 and own.json()["code"] == "reviewer_is_collector"
    from django.test import Client

    staff = login_client(world.staff, c=Client(HTTP_ACCEPT_LANGUAGE="en"))
    returned = _post(
        staff,
        f"/api/v1/visits/{created['uid']}/reviews",
        {"decision": "return", "version": 1, "comments": {"answers.B01": "核对人数"}},
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["state"] == "returned"
    assert returned.json()["reviews"][0]["comments"] == {"answers.B01": "核对人数"}


def test_catalogue_and_tasks(world, login_client):
    client = login_client(world.staff)
    indicators = client.get("/api/v1/visit-indicators").json()
    assert len(indicators) == 86
    response = _post(
        client,
        "/api/v1/visit-tasks",
        {"household": str(world.household.uid), "due_date": "2030-01-01", "assignee": "worker_a"},
    )
    assert response.status_code == 201, response.content
    task = response.json()
    changed = client.patch(
        f"/api/v1/visit-tasks/{task['uid']}",
        data=json.dumps({"version": 1, "assignee": "worker_b"}),
        content_type="application/json",
    )
    assert changed.json()["assignee"] == "worker_b"
    out = _post(
        client,
        "/api/v1/visit-tasks",
        {"household": str(world.household_out.uid), "due_date": "2030-01-01"},
    )
    assert out.status_code == 404


def test_sensitive_answers_hidden_from_roles_without_the_label(world, login_client):
    people.consent_record(
        actor=world.staff,
        resident=world.head,
        purpose="care_services",
        notice_version="v1",
        method="paper",
    )
    worker = login_client(world.worker)
    body = _body(world)
    body["answers"] = {**body["answers"], "M01": 2}
    created = _post(worker, "/api/v1/visits", body).json()
    mine = {a["code"]: a for a in created["answers"]}
    assert mine["M01"]["hidden"] and mine["M01"]["value"] is None
    from django.test import Client

    staff = login_client(world.staff, c=Client(HTTP_ACCEPT_LANGUAGE="en"))
    seen = {a["code"]: a for a in staff.get(f"/api/v1/visits/{created['uid']}").json()["answers"]}
    assert seen["M01"]["value"] == 2 and not seen["M01"]["hidden"]
