"""Monthly snapshots through the API and the form: one per group per month, "not
measured" kept as NULL and shown as 未测量, impossible numbers a 422 naming the field,
free text masked, the class with its rule and policy version."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.groups import services
from gridgov.groups.models import Snapshot
from gridgov.groups.tests.world import compounds_of, group_data


@pytest.fixture
def registered(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    places = compounds_of(org_tree)
    group = services.group_create(actor=staff, data=group_data(places))
    pending = services.group_create(actor=staff, data=group_data(places, name="待批群"))
    group = services.group_transition(actor=staff, group=group, action="approve", version=1)
    return {"staff": staff, "group": group, "pending": pending, "tree": org_tree}


def test_api_month_entered_once_not_measured_null(registered, client, login_client):
    group = registered["group"]
    login_client(registered["staff"])
    url = f"/api/v1/chat-groups/{group.uid}/snapshots"
    body = {
        "month": "2026-10",
        "activity_pct": 42,
        "members_total": 200,
        "age_60_plus": 80,
        "false_information": True,
        "remarks": "群主 13912345678 说明",
    }
    created = client.post(url, data=body, content_type="application/json")
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["klass"] == "rectify" and out["class_rule"].startswith("groups.classes v0")
    assert out["publish_hours"] is None and out["response_hours"] is None
    assert out["indicator_set"] == 1 and "13912345678" not in out["remarks"]
    snap = Snapshot.objects.get()
    assert snap.publish_hours is None and snap.age_0_18 is None
    again = client.post(url, data=body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "snapshot_exists"
    corrected = client.post(
        url,
        data={**body, "false_information": False, "version": 1},
        content_type="application/json",
    )
    assert corrected.status_code == 200 and corrected.json()["klass"] == "potential"
    assert Snapshot.objects.count() == 1
    listing = client.get("/api/v1/snapshots?month=2026-10&klass=potential").json()
    assert listing["count"] == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"members_total": 100, "age_60_plus": 101}, "age_60_plus"),
        ({"members_total": -1}, "members_total"),
        ({"complaints": -3}, "complaints"),
        ({"activity_pct": 120}, "activity_pct"),
        ({"response_hours": -1}, "response_hours"),
    ],
)
def test_impossible_numbers_name_the_field(registered, client, login_client, extra, field):
    login_client(registered["staff"])
    response = client.post(
        f"/api/v1/chat-groups/{registered['group'].uid}/snapshots",
        data={"month": "2026-10", **extra},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert not Snapshot.objects.exists()


def test_unregistered_group_and_scope(registered, client, login_client, make_user):
    login_client(registered["staff"])
    pending = client.post(
        f"/api/v1/chat-groups/{registered['pending'].uid}/snapshots",
        data={"month": "2026-10"},
        content_type="application/json",
    )
    assert pending.status_code == 409 and pending.json()["code"] == "group_not_registered"
    login_client(make_user(Role.COMMUNITY_STAFF, registered["tree"]["c2"]))
    out = client.post(
        f"/api/v1/chat-groups/{registered['group'].uid}/snapshots",
        data={"month": "2026-10"},
        content_type="application/json",
    )
    assert out.status_code == 404


def test_form_shows_not_measured_and_the_class(registered, client, login_client):
    group = registered["group"]
    login_client(registered["staff"])
    page = client.get(f"/groups/{group.uid}/report/?month=2026-10", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "未测量".encode() in page.content
    saved = client.post(
        f"/groups/{group.uid}/report/",
        {
            "month": "2026-10",
            "activity_pct": "85",
            "response_hours": "1.5",
            "satisfaction_pct": "93",
            "false_information": "no",
        },
    )
    assert saved.status_code == 302
    detail = client.get(f"/groups/{group.uid}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert (
        "高效能群" in detail
        and "分类规则第 0 版: 高效能群 — 活跃度" in detail
        and "未测量" in detail
    )
    bad = client.post(
        f"/groups/{group.uid}/report/",
        {"month": "2026-09", "members_total": "10", "age_60_plus": "11"},
    )
    assert bad.status_code == 200 and b"is-invalid" in bad.content
