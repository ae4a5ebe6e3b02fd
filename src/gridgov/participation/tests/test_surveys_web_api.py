"""Survey pages and API: the builder, publish, the resident's form without JavaScript (the
skip rule enforced by the server), the API's 422 naming the question and 409 on a second
answer, the worker's entry form, the open link (404 and throttled), results with hidden
cells, the XLSX export (audited) and the QR code."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.audit.models import AuditRecord
from gridgov.participation import services_surveys as services
from gridgov.participation.models import Survey, SurveyResponse
from gridgov.participation.tests.test_surveys import _build, _publish, world  # noqa: F401


@pytest.fixture
def published(world):  # noqa: F811
    survey, qs = _build(world)
    return _publish(world, survey), qs


def test_builder_pages_and_publish(world, login_client):  # noqa: F811
    client = login_client(world["staff"])
    today = timezone.localdate()
    response = client.post(
        "/participation/surveys/new/",
        {
            "unit": "310104003001",
            "title": "满意度测评",
            "purpose": "satisfaction",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=3)).isoformat(),
            "anonymous": "on",
            "per": "resident",
        },
    )
    assert response.status_code == 302
    survey = Survey.objects.get(title="满意度测评")
    response = client.post(
        f"/participation/surveys/{survey.uid}/questions/new/", {"template": "trust"}
    )
    assert response.status_code == 302
    response = client.post(
        f"/participation/surveys/{survey.uid}/questions/new/",
        {"kind": "single", "text": "只有一个选项", "options": "是"},
    )
    assert response.status_code == 422
    assert "at least two options" in response.content.decode()
    page = client.get(f"/participation/surveys/{survey.uid}/")
    assert page.status_code == 200 and "0–100" in page.content.decode()
    survey.refresh_from_db()
    response = client.post(
        f"/participation/surveys/{survey.uid}/action/",
        {"action": "publish", "version": survey.version},
    )
    survey.refresh_from_db()
    assert response.status_code == 302 and survey.state == "published"
    assert survey.target_count == 7


def test_resident_answers_without_javascript(world, published, login_client):  # noqa: F811
    survey, qs = published
    client = login_client(world["user"])
    home = client.get("/participation/me/")
    assert "/participation/me/surveys/" in home.content.decode()
    listing = client.get("/participation/me/surveys/")
    assert survey.title in listing.content.decode()
    page = client.get(f"/participation/me/surveys/{survey.uid}/")
    body = page.content.decode()
    # Without JavaScript the rule is written out beside the question.
    assert page.status_code == 200 and "data-show-if" in body and "需要" in body
    form = {f"q{qs[0].pk}": "o2", f"q{qs[1].pk}": "o1", f"q{qs[2].pk}": "4", f"q{qs[3].pk}": "70"}
    refused = client.post(f"/participation/me/surveys/{survey.uid}/", form)
    assert refused.status_code == 422
    assert qs[1].text in refused.content.decode()
    assert not SurveyResponse.objects.exists()
    del form[f"q{qs[1].pk}"]
    done = client.post(f"/participation/me/surveys/{survey.uid}/", form)
    assert done.status_code == 302 and done.url.endswith("/thanks/")
    assert client.get(done.url).status_code == 200
    again = client.get(f"/participation/me/surveys/{survey.uid}/")
    assert 'id="already"' in again.content.decode()


def test_api_errors_name_the_question(world, published, login_client):  # noqa: F811
    survey, qs = published
    client = login_client(world["user"])
    url = f"/api/v1/participation/surveys/{survey.uid}/responses"
    bad = client.post(
        url,
        data={"answers": {str(qs[0].pk): "o1", str(qs[1].pk): ["o1"], str(qs[2].pk): "nine"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    details = bad.json()["details"]
    assert qs[2].text[:20] in details[f"q{qs[2].pk}"][0]
    assert f"q{qs[3].pk}" in details  # the trust score is required
    good = {str(qs[0].pk): "o1", str(qs[1].pk): ["o1"], str(qs[2].pk): 5, str(qs[3].pk): 88}
    created = client.post(url, data={"answers": good}, content_type="application/json")
    assert created.status_code == 201 and created.json()["survey_version"] == 1
    twice = client.post(url, data={"answers": good}, content_type="application/json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_answered"
    staff = login_client(world["staff"])
    results = staff.get(f"/api/v1/participation/surveys/{survey.uid}/results").json()
    assert results["responses"] == {"value": None, "suppressed": True, "reason": "small"}
    assert results["min_cell"] == 5 and results["target"] == 7


def test_api_builder_and_close(world, login_client):  # noqa: F811
    client = login_client(world["staff"])
    today = timezone.localdate()
    created = client.post(
        "/api/v1/participation/surveys",
        data={
            "unit": "310104003001",
            "title": "认知度调查",
            "purpose": "awareness",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=5)).isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    uid = created.json()["uid"]
    q = client.post(
        f"/api/v1/participation/surveys/{uid}/questions",
        data={"template": "awareness"},
        content_type="application/json",
    )
    assert q.status_code == 201 and q.json()["measures"] == "awareness"
    bad = client.post(
        f"/api/v1/participation/surveys/{uid}/questions",
        data={"kind": "scale5", "text": "信任", "measures": "trust"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "measures" in bad.json()["details"]
    version = client.get(f"/api/v1/participation/surveys/{uid}").json()["version"]
    published = client.post(
        f"/api/v1/participation/surveys/{uid}/actions",
        data={"action": "publish", "version": version},
        content_type="application/json",
    )
    assert published.status_code == 200 and published.json()["state"] == "published"
    stale = client.post(
        f"/api/v1/participation/surveys/{uid}/actions",
        data={"action": "close", "version": version},
        content_type="application/json",
    )
    assert stale.status_code == 409
    closed = client.post(
        f"/api/v1/participation/surveys/{uid}/actions",
        data={"action": "close", "version": published.json()["version"]},
        content_type="application/json",
    )
    assert closed.json()["state"] == "closed"


def test_worker_enters_a_door_to_door_answer(world, published, login_client):  # noqa: F811
    survey, qs = published
    client = login_client(world["worker"])
    page = client.get(f"/participation/assist/surveys/{survey.uid}/")
    body = page.content.decode()
    assert page.status_code == 200
    # Names masked; residents of the other grid are not offered.
    assert "居民乙" not in body.split('id="f-resident"')[1].split("</select>")[0], body
    resident = world["residents"][1]
    form = {
        "resident": str(resident.uid),
        "channel": "door",
        f"q{qs[0].pk}": "o2",
        f"q{qs[2].pk}": "5",
        f"q{qs[3].pk}": "95",
    }
    done = client.post(f"/participation/assist/surveys/{survey.uid}/", form)
    assert done.status_code == 302
    response = SurveyResponse.objects.get()
    assert response.assisted_by == world["worker"] and response.channel == "door"


def test_public_link_answers_and_throttles(world, client, settings):  # noqa: F811
    survey, qs = _build(world, anonymous=True, public_link=True)
    survey = _publish(world, survey)
    assert client.get("/participation/s/nope/").status_code == 404
    page = client.get(f"/participation/s/{survey.token}/?via=qr")
    assert page.status_code == 200 and 'value="qr"' in page.content.decode()
    form = {f"q{qs[0].pk}": "o2", f"q{qs[2].pk}": "3", f"q{qs[3].pk}": "60", "via": "qr"}
    done = client.post(f"/participation/s/{survey.token}/", form)
    assert done.status_code == 200 and 'id="thanks"' in done.content.decode()
    response = SurveyResponse.objects.get()
    assert response.channel == "qr" and response.respondent_key is None
    from gridgov.core.models import PolicyVersion

    PolicyVersion.objects.create(
        key="participation.surveys",
        version=1,
        value={"public_per_ip_per_hour": 2},
        note="test",
        created_by=world["staff"],
    )
    from gridgov.core.policies import policy_cache_forget

    policy_cache_forget("participation.surveys")
    limited = client.get(f"/participation/s/{survey.token}/")
    assert limited.status_code == 429 and limited["Retry-After"]


def test_results_page_export_and_qr(world, login_client):  # noqa: F811
    survey, qs = _build(world, anonymous=True, public_link=True)
    survey = _publish(world, survey)
    for resident in world["residents"][:6]:
        services.response_submit_assisted(
            actor=world["staff"],
            survey=survey,
            resident_uid=str(resident.uid),
            channel="phone",
            answers={str(qs[0].pk): "o2", str(qs[2].pk): 5, str(qs[3].pk): 80},
        )
    client = login_client(world["staff"])
    page = client.get(f"/participation/surveys/{survey.uid}/results/")
    body = page.content.decode()
    assert page.status_code == 200 and "suppressed" in body
    charts = json.loads(body.split('id="survey-charts" type="application/json">')[1].split("<")[0])
    assert charts and all(v is None or v == 0 or v >= 5 for c in charts for v in c["values"])
    assert client.get(f"/participation/surveys/{survey.uid}/export/").status_code == 405
    export = client.post(f"/participation/surveys/{survey.uid}/export/")
    assert export.status_code == 200
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert len(book.sheetnames) == 2
    assert AuditRecord.objects.filter(action="participation.survey.export").count() == 1
    qr = client.get(f"/participation/surveys/{survey.uid}/qr.svg")
    assert qr.status_code == 200 and qr.content.startswith(b"<?xml") or b"<svg" in qr.content
