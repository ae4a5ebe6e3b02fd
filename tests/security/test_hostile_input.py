"""Malformed and hostile input is answered with a 4xx naming the problem, never a 500, and
nothing of it is stored (issue: control characters, 500s from malformed input)."""

from __future__ import annotations

import json

import pytest

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

LONE = '"\\ud800"'  # a JSON string holding an unpaired surrogate


@pytest.fixture
def staff(org_tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="community1")


@pytest.fixture
def bearer(staff):
    from gridgov.accounts.services import token_create

    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=staff, name='t')[1]}"}


@pytest.fixture
def household(org_tree, staff):
    from gridgov.people.services import household_create

    return household_create(
        actor=staff, grid=org_tree["g1a"], number="H0001", address="一小区 1号楼", kind="family"
    )


@pytest.fixture
def resident(staff, household):
    from gridgov.people.services import resident_create

    return resident_create(
        actor=staff,
        household=household,
        data={
            "name": "张三",
            "sex": "M",
            "birth_date": "1980-05-01",
            "id_type": "none",
            "relation": "head",
            "registration": "registered",
        },
    )


@pytest.fixture
def event(staff):
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event

    return report_event(
        actor=None,
        data=ReportInput(channel=Channel.RESIDENT, title="路灯不亮", lon=121.405, lat=31.205),
    )[0]


def _raw(client, method, path, body: str, headers):
    return getattr(client, method)(path, data=body, content_type="application/json", **headers)


def _stored_text() -> str:
    """Every text column of the tables the write endpoints fill."""
    from gridgov.events.models import Event, EventAction
    from gridgov.people.models import Household, Resident

    rows = []
    for model in (Household, Resident, Event, EventAction):
        rows += list(model.objects.values())
    return json.dumps(rows, default=str, ensure_ascii=False)


def test_lone_surrogate_in_json_is_refused_on_write_endpoints(
    client, bearer, household, resident, event
):
    cases = [
        (
            "post",
            "/api/v1/households",
            f'{{"grid": "310104003001001", "number": {LONE}, "address": "x"}}',
        ),
        ("patch", f"/api/v1/households/{household.uid}", f'{{"address": {LONE}}}'),
        (
            "post",
            "/api/v1/residents",
            f'{{"household": "{household.uid}", "data": '
            f'{{"name": {LONE}, "sex": "M", "birth_date": "1980-05-01", "id_type": "none", '
            '"relation": "head", "registration": "registered"}}',
        ),
        (
            "patch",
            f"/api/v1/residents/{resident.uid}",
            f'{{"version": {resident.version}, "data": {{"ethnicity": {LONE}}}}}',
        ),
        ("post", "/api/v1/events", f'{{"title": {LONE}, "lon": 121.405, "lat": 31.205}}'),
        ("post", f"/api/v1/events/{event.uid}/actions", f'{{"action": "accept", "note": {LONE}}}'),
        (
            "post",
            f"/api/v1/residents/{resident.uid}/reveal",
            f'{{"field": "phone", "reason": {LONE}}}',
        ),
    ]
    before = _stored_text()
    for method, path, body in cases:
        response = _raw(client, method, path, body, bearer)
        assert response.status_code == 422, (path, response.status_code, response.content[:300])
        assert response.json()["code"] == "validation_failed"
        assert "surrogate" in json.dumps(response.json()["details"]), path
    assert _stored_text() == before


def test_ten_megabyte_json_body_is_413(client, bearer):
    body = json.dumps({"title": "x" * (10 * 1024 * 1024), "lon": 121.4, "lat": 31.2})
    response = _raw(client, "post", "/api/v1/events", body, bearer)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/residents",
        "/api/v1/households",
        "/api/v1/events",
        "/api/v1/org-units",
        "/api/v1/grids",
        "/api/v1/notifications",
        "/api/v1/alerts",
    ],
)
@pytest.mark.parametrize("param", ["offset", "limit"])
def test_huge_offset_and_limit_are_422(client, bearer, path, param):
    response = client.get(path, {param: str(2**63)}, **bearer)
    assert response.status_code == 422, response.content[:300]
    assert response.json()["details"][0]["field"] == param


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_kpi_queries_at_the_ends_of_the_calendar_are_422(client, bearer, day):
    for path in ("/api/v1/kpis/events.on_time_rate/values", "/api/v1/kpis/scores"):
        for period in ("month", "quarter", "year", "day", "week"):
            response = client.get(path, {"date": day, "period": period}, **bearer)
            assert response.status_code in (404, 422), (path, period, response.content[:300])


@pytest.mark.parametrize("end", ["0000-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59"])
def test_open311_dates_out_of_range_are_400(client, org_tree, end):
    response = client.get(
        "/open311/v2/requests.json", {"end_date": end, "jurisdiction_id": "310104"}
    )
    assert response.status_code == 400, response.content[:300]
    assert (
        "end_date" in response.json()[0]["description"]
        or "start_date" in response.json()[0]["description"]
    )


def test_multipart_without_boundary_is_400(client, bearer):
    response = client.generic(
        "POST",
        "/api/v1/imports",
        b'--x\r\nContent-Disposition: form-data; name="mode"\r\n\r\nall\r\n--x--\r\n',
        content_type="multipart/form-data",
        **bearer,
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "bad_request"


def test_long_upload_file_name_is_422_naming_the_file(client, bearer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.people.models import ImportJob

    upload = SimpleUploadedFile("a" * 5000 + ".csv", "姓名\n张三\n".encode(), "text/csv")
    response = client.post("/api/v1/imports", {"file": upload, "mode": "all"}, **bearer)
    assert response.status_code == 422, response.content[:300]
    assert "file" in json.dumps(response.json()["details"])
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("days", [-1_000_000_000, -5, 0, 10**12])
def test_token_days_out_of_range_are_422_naming_days(staff, login_client, days):
    from gridgov.accounts.models import ApiToken

    before = ApiToken.objects.count()
    client = login_client(staff)
    response = client.post(
        "/api/v1/me/tokens", {"name": "phone", "days": days}, content_type="application/json"
    )
    assert response.status_code == 422, response.content[:300]
    assert "days" in json.dumps(response.json()["details"])
    assert ApiToken.objects.count() == before


def test_nul_in_query_string_path_and_form_is_refused(client, staff, login_client, bearer):
    api = client.get("/api/v1/residents", {"q": "张\x00"}, **bearer)
    assert api.status_code == 422 and api.json()["details"][0]["field"] == "q"
    assert client.get("/api/v1/policies/a%00b", **bearer).status_code in (400, 404)
    page = login_client(staff).get("/people/residents/", {"q": "\x00"})
    assert page.status_code == 422 and "U+0000" in page.content.decode()
