"""Chat exports, warnings and the risk index through the API and the pages: consent and
upload (refusals in Chinese and English, nothing stored), the warning's check and grid
event, the risk pages, and what a grid worker and another community see."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts.roles import Role
from gridgov.groups import services
from gridgov.groups.models import ChatImport, EarlyWarning
from gridgov.groups.tests.world import compounds_of, group_data

NOW = datetime(2026, 11, 20, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SPIKE = "\n".join(f"2026-11-20 08:{i:02d}:00 居民{i}\n家里有人发热\n" for i in range(6))


@pytest.fixture
def office(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    places = compounds_of(org_tree)
    group = services.group_create(
        actor=staff, data=group_data(places, members_total="40", age_60_plus="10")
    )
    group = services.group_transition(actor=staff, group=group, action="approve", version=1)
    return {"staff": staff, "group": group, "places": places, "tree": org_tree}


def _file(text=SPIKE, name="export.txt"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


@pytest.mark.django_db
def test_api_consent_upload_warning_and_event(office, client, login_client):
    login_client(office["staff"])
    uid = office["group"].uid
    refused = client.post(
        f"/api/v1/chat-groups/{uid}/exports",
        data={"file": _file()},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 422 and refused.json()["code"] == "export_refused"
    assert "同意" in refused.json()["details"]["file"][0]
    bad = client.post(
        f"/api/v1/chat-groups/{uid}/consent",
        data={"notice": "", "noticed_on": "2026-11-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "notice" in bad.json()["details"]
    made = client.post(
        f"/api/v1/chat-groups/{uid}/consent",
        data={"notice": "群公告已告知成员", "noticed_on": "2026-11-01"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    with time_machine.travel(NOW, tick=False):
        wrong = client.post(
            f"/api/v1/chat-groups/{uid}/exports",
            data={"file": _file("随便一段话"), "file_format": "auto"},
        )
        assert wrong.status_code == 422
        assert "not a chat export" in wrong.json()["details"]["file"][0]
        assert ChatImport.objects.count() == 0
        done = client.post(f"/api/v1/chat-groups/{uid}/exports", data={"file": _file()})
    assert done.status_code == 201, done.content
    out = done.json()
    assert out["messages_new"] == 6 and out["warnings"] == 1 and out["hits"] == 6
    assert "text" not in out and "sender" not in out
    listed = client.get("/api/v1/warnings?state=open").json()
    assert listed["count"] == 1 and listed["items"][0]["topic"] == "health"
    warning_uid = listed["items"][0]["uid"]
    one = client.get(f"/api/v1/warnings/{warning_uid}").json()
    assert one["excerpts"] == ["家里有人发热"] * 5 and one["terms"] == {"发热": 6}
    stale = client.post(
        f"/api/v1/warnings/{warning_uid}/event",
        data={"version": 7},
        content_type="application/json",
    )
    assert stale.status_code == 409
    event = client.post(
        f"/api/v1/warnings/{warning_uid}/event",
        data={"version": 1},
        content_type="application/json",
    )
    assert event.status_code == 200, event.content
    assert event.json()["event"] and event.json()["state"] == "confirmed"
    again = client.post(
        f"/api/v1/warnings/{warning_uid}/decision",
        data={"verdict": "false_alarm", "version": 2},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    risk = client.get(f"/api/v1/compound-risk/{office['places']['happy'].pk}").json()
    assert risk["level"] in ("low", "medium", "high")
    assert {i["code"] for i in risk["inputs"]} >= {"warnings_per_1000", "elderly_share"}


@pytest.mark.django_db
def test_pages_consent_upload_check_and_risk(office, client, login_client, make_user):
    login_client(office["staff"])
    uid = office["group"].uid
    page = client.get(f"/groups/{uid}/exports/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "聊天记录导出" in page.content.decode()
    assert 'id="export-upload"' not in page.content.decode()  # no consent yet
    client.post(
        f"/groups/{uid}/exports/action/",
        {"action": "consent", "notice": "群公告", "noticed_on": "2026-11-01"},
    )
    page = client.get(f"/groups/{uid}/exports/").content.decode()
    assert 'id="export-upload"' in page
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/groups/{uid}/exports/action/",
            {"action": "upload", "file": _file("not a chat"), "encoding": "utf-8"},
            follow=True,
        )
        assert "not a chat export" in response.content.decode()
        response = client.post(
            f"/groups/{uid}/exports/action/",
            {"action": "upload", "file": _file(), "encoding": "utf-8"},
            follow=True,
        )
    assert "Export read: 6 new of 6 messages, 1 warnings." in response.content.decode()
    warning = EarlyWarning.objects.get()
    listing = client.get("/groups/warnings/").content.decode()
    assert office["group"].name in listing and "nothing checked yet" in listing
    detail = client.get(f"/groups/warnings/{warning.uid}/").content.decode()
    assert "家里有人发热" in detail and 'value="57001" selected' in detail
    client.post(
        f"/groups/warnings/{warning.uid}/action/",
        {"action": "false_alarm", "note": "演练", "version": "1"},
    )
    warning.refresh_from_db()
    assert warning.state == "false_alarm" and warning.decision_note == "演练"
    assert "0%" in client.get("/groups/warnings/?state=all").content.decode()
    risk = client.get("/groups/risk/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "幸福家园" in risk and "小区风险指数" in risk
    one = client.get(f"/groups/risk/{office['places']['happy'].pk}/").content.decode()
    assert "Share aged 60+ (%)" in one and "25.0" in one
    # Another community's compound and warning are 404 to its staff.
    other = make_user(Role.COMMUNITY_STAFF, office["tree"]["c2"])
    login_client(other)
    assert client.get(f"/groups/warnings/{warning.uid}/").status_code == 404
    assert client.get(f"/groups/risk/{office['places']['happy'].pk}/").status_code == 404
    assert client.get("/api/v1/warnings").json()["count"] == 0


@pytest.mark.django_db
def test_report_remarks_count_like_messages(office, make_user):
    """An admin's monthly remarks naming a watched term count on the day entered."""
    from gridgov.groups.models import KeywordDay
    from gridgov.groups.services_snapshots import snapshot_save

    with time_machine.travel(NOW, tick=False):
        snapshot_save(
            actor=office["staff"],
            group=office["group"],
            month="2026-11",
            data={"remarks": "本月有居民反映漏水，已报修；另有燃气味投诉"},
        )
    days = {(r.topic, r.day): r.hits for r in KeywordDay.objects.all()}
    assert days == {("water", date(2026, 11, 20)): 1, ("safety", date(2026, 11, 20)): 1}


@pytest.mark.django_db
def test_risk_layer_on_the_grid_map(office, client, login_client, make_user):
    """The grid map carries the risk layer for whoever sees chat groups: each compound with
    placed buildings at their mean position, coloured by level, linking to its inputs."""
    import json
    import re

    for building, lon in (
        (office["places"]["happy_1"], 121.402),
        (office["places"]["happy_2"], 121.412),
    ):
        building.lon, building.lat = lon, 31.205
        building.save()
    login_client(office["staff"])
    page = client.get("/org/grids/map/").content.decode()
    layers = json.loads(re.search(r'id="map-layers"[^>]*>(.*?)</script>', page).group(1))
    (risk,) = [layer for layer in layers if layer["key"] == "groups-risk"]
    (point,) = risk["points"]  # 和平里 has no placed building
    assert point["lon"] == pytest.approx(121.407) and point["lat"] == pytest.approx(31.205)
    # Measured: no warnings (25, 15), aged 60+ 50 points (15), no open case (10):
    # 750 / 65 = 11.5
    assert point["label"] == "幸福家园 · 11.5 · low (低)" and point["colour"] == "#198754"
    assert point["url"] == f"/groups/risk/{office['places']['happy'].pk}/"
    # Someone who sees the grids but not the chat groups gets no such layer.
    handler = make_user(Role.DEPARTMENT_HANDLER, office["tree"]["d1"])
    login_client(handler)
    response = client.get("/org/grids/map/")
    if response.status_code == 200:
        assert "groups-risk" not in response.content.decode()
