"""Event input from every channel (the public report page, Open311, the API) refuses
control characters, unpaired surrogates and bidi overrides, and cuts nothing silently."""

from __future__ import annotations

import json

import pytest

from gridgov.events.models import Event, EventAction

pytestmark = pytest.mark.django_db

HOSTILE = {"nul": "路灯\x00不亮", "escape": "路灯\x1b[2J不亮", "rlo": "路灯\u202e不亮"}


def _stored() -> str:
    rows = list(Event.objects.values()) + list(EventAction.objects.values())
    return json.dumps(rows, default=str, ensure_ascii=False)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("field", ["title", "description", "address", "contact_name"])
def test_anonymous_report_refuses_hostile_text(kind, field, crew, client):
    form = {"title": "路灯不亮", "lon": "121.405", "lat": "31.205", field: HOSTILE[kind]}
    response = client.post("/events/report/", form)
    assert response.status_code in (400, 422)
    assert "U+" in response.content.decode()
    assert not Event.objects.exists()


def test_anonymous_report_in_chinese_names_the_problem(crew, client):
    response = client.post(
        "/events/report/",
        {"title": HOSTILE["nul"], "lon": "121.405", "lat": "31.205"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422 and "控制字符" in response.content.decode()


def test_report_service_normalises_every_channel(crew, report):
    """Below the boundaries too: a title with a line break is one line, NFC-normalised,
    and a bidi override is refused by the service every channel calls."""
    from gridgov.core.errors import ValidationFailed

    event = report(title="路灯\n不亮 Cafe\u0301", description="第一行\r\n第二行\t完")
    assert event.title == "路灯 不亮 Café" and event.description == "第一行\n第二行\t完"
    with pytest.raises(ValidationFailed) as refused:
        report(title="路灯\u202e不亮")
    assert "title" in refused.value.details


@pytest.fixture
def open311_key(crew, org_tree):
    from gridgov.accounts.services import token_create

    return token_create(
        user=crew["dispatcher"], name="o", kind="open311", jurisdiction=org_tree["d1"]
    )[1]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("field", ["description", "first_name", "address_string"])
def test_open311_post_refuses_hostile_text(kind, field, client, open311_key):
    form = {
        "api_key": open311_key,
        "jurisdiction_id": "310104",
        "service_code": "06010",
        "lat": "31.205",
        "long": "121.405",
        "description": "小区门口暴露垃圾",
        field: HOSTILE[kind],
    }
    response = client.post("/open311/v2/requests.json", form)
    assert response.status_code in (400, 422), response.content
    assert "U+" in response.json()[0]["description"]
    assert not Event.objects.exists()


def test_open311_xml_refusal_is_well_formed_xml(client, open311_key):
    import xml.etree.ElementTree as ET

    response = client.post(
        "/open311/v2/requests.xml",
        {"api_key": open311_key, "service_code": "06010", "description": HOSTILE["nul"]},
    )
    assert response.status_code == 422
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "errors" and "U+0000" in root.find("error/description").text


def test_open311_contact_name_over_the_limit_is_refused_not_cut(client, open311_key):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": open311_key,
            "jurisdiction_id": "310104",
            "service_code": "06010",
            "lat": "31.205",
            "long": "121.405",
            "description": "小区门口暴露垃圾",
            "first_name": "名" * 60,
        },
    )
    assert response.status_code == 400 and "contact_name" in response.json()[0]["description"]
    assert not Event.objects.exists()


def test_action_note_over_the_limit_is_refused_not_cut(crew, report, login_client):
    event = report()
    client = login_client(crew["dispatcher"])
    client.post(
        f"/events/{event.uid}/act/",
        {"action": "accept", "note": "记" * 1001, "version": event.version},
    )
    assert not EventAction.objects.filter(note__startswith="记记记").exists()
    event.refresh_from_db()
    assert event.state == "reported"


def test_api_event_title_surrogate_and_overlong_are_422(crew, login_client):
    client = login_client(crew["dispatcher"])
    body = '{"title": "\\udc00", "lon": 121.405, "lat": 31.205}'
    response = client.post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "title"
    long = client.post(
        "/api/v1/events",
        {"title": "题" * 101, "lon": 121.405, "lat": 31.205},
        content_type="application/json",
    )
    assert long.status_code == 422 and "title" in json.dumps(long.json()["details"])
    assert not Event.objects.exists()


@pytest.mark.parametrize("days", ["-5", "-1000000000", "0"])
def test_profile_page_refuses_a_token_that_would_be_born_expired(crew, login_client, days):
    from gridgov.accounts.models import ApiToken

    client = login_client(crew["dispatcher"])
    response = client.post("/accounts/me/", {"name": "phone", "days": days})
    assert response.status_code == 400
    assert "at least one day" in response.content.decode()
    assert not ApiToken.objects.filter(user=crew["dispatcher"]).exists()
