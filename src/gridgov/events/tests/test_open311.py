"""Open311 GeoReport v2 over HTTP against a running server, with an independent client
(the ``georeport`` package for reads, plain form-encoded POSTs for creation) and the
Open311 project's JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import xmltodict
from georeport import GeoReport
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry

from gridgov.accounts.roles import Role

SCHEMAS = Path(__file__).resolve().parents[5] / "shared" / "data" / "open311-georeport-v2"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not SCHEMAS.is_dir(), reason="needs ../shared/data/open311-georeport-v2"),
]


def _validator(name: str) -> Draft7Validator:
    from referencing.jsonschema import DRAFT7

    registry = Registry().with_resources(
        (path.name, DRAFT7.create_resource(json.loads(path.read_text())))
        for path in SCHEMAS.glob("*.json")
        if path.name != "swagger.json"
    )
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft7Validator(schema, registry=registry, format_checker=FormatChecker())


def _valid(name: str, document) -> None:
    errors = sorted(_validator(name).iter_errors(document), key=str)
    assert not errors, [e.message for e in errors]


@pytest.fixture
def open311(live_server, org_tree, crew):
    from gridgov.accounts.services import token_create

    integration = crew["dispatcher"]
    _, api_key = token_create(
        user=integration, name="open311", kind="open311", jurisdiction=org_tree["d1"]
    )
    base = f"{live_server.url}/open311/v2"
    return {
        "base": base,
        "api_key": api_key,
        "json": GeoReport(base, jurisdiction="310104"),
        "xml": GeoReport(base, jurisdiction="310104", output_format="xml"),
    }


def _post(open311, fmt="json", **form):
    data = {
        "api_key": open311["api_key"],
        "service_code": "06010",
        "lat": "31.205",
        "long": "121.405",
        "description": "小区门口暴露垃圾",
        **form,
    }
    return requests.post(f"{open311['base']}/requests.{fmt}", data=data, timeout=10)


def test_services_list_and_definition(open311):
    services = open311["json"].get_service_list()
    _valid("services.json", services)
    codes = {s["service_code"] for s in services}
    assert {"06010", "06028", "09012", "52003"} <= codes
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)
    definition = open311["json"].get_service_definition("06010")
    _valid("service-definition.json", definition)
    xml_services = open311["xml"].get_service_list()
    assert {s["service_code"] for s in xml_services} == codes


def test_create_then_read_back_in_both_formats(open311):
    response = _post(open311, first_name="张", last_name="三", phone="13912345678")
    assert response.status_code == 201, response.text
    created = response.json()
    assert len(created) == 1 and created[0]["service_request_id"].startswith("E")
    code = created[0]["service_request_id"]
    one = open311["json"].get_service_request(code)
    _valid("request.json", one)
    assert (one["status"], one["service_code"]) == ("open", "06010")
    assert abs(one["lat"] - 31.205) < 0.001  # the centre of its 100 m cell
    assert "13912345678" not in json.dumps(one, ensure_ascii=False)
    many = open311["json"].get_service_requests(service_request_id=code)
    _valid("requests.json", many)
    xml_one = open311["xml"].get_service_request(code)
    assert xml_one["service_request_id"] == code and xml_one["status"] == "open"
    xml_created = xmltodict.parse(_post(open311, fmt="xml").content)
    assert xml_created["service_requests"]["request"]["service_request_id"].startswith("E")


def test_filters_by_status_code_and_dates(open311, advance):
    from gridgov.events.models import Event

    first = _post(open311).json()[0]["service_request_id"]
    second = _post(open311, service_code="06028", description="广场舞噪音").json()[0][
        "service_request_id"
    ]
    event = Event.objects.get(tracking_code=first)
    advance(event, "accept", "classify", "dispatch", "check_in", "handle", "verify_pass")
    client = open311["json"]
    closed = client.get_service_requests(status="closed")
    _valid("requests.json", closed)
    assert [r["service_request_id"] for r in closed] == [first]
    assert closed[0]["status_notes"]
    assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [second]
    assert [r["service_request_id"] for r in client.get_service_requests(service_code="06028")] == [
        second
    ]
    assert (
        client.get_service_requests(
            start_date="2001-01-01T00:00:00Z", end_date="2001-02-01T00:00:00Z"
        )
        == []
    )


def _error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    return body[0]


def test_spec_errors(open311):
    _error(_post(open311, api_key="gg_wrong"), 403)
    _error(_post(open311, service_code="99999"), 404)
    _error(_post(open311, lat="", long=""), 400)
    _error(_post(open311, lat="north", long="east"), 400)
    _error(_post(open311, description="很" * 2500), 400)
    base = open311["base"]
    _error(requests.get(f"{base}/services/99999.json", timeout=10), 404)
    _error(requests.get(f"{base}/requests/ENOPE.json?jurisdiction_id=310104", timeout=10), 404)
    _error(
        requests.get(f"{base}/requests.json?jurisdiction_id=310104&status=maybe", timeout=10), 400
    )
    _error(requests.get(f"{base}/requests.json", timeout=10), 400)  # two districts here
    xml = requests.get(f"{base}/services/99999.xml", timeout=10)
    assert xml.status_code == 404
    assert xmltodict.parse(xml.content)["errors"]["error"]["code"] == "404"


def test_api_key_outside_its_jurisdiction_is_refused(open311):
    response = _post(open311, long="121.505")  # a grid of the other district
    _error(response, 403)


def test_a_key_of_an_account_that_cannot_report(open311, make_user, org_tree):
    from gridgov.accounts.services import token_create
    from gridgov.core.errors import PermissionDenied, ValidationFailed

    auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"])
    with pytest.raises(PermissionDenied):
        token_create(user=auditor, name="x", kind="open311", jurisdiction=org_tree["d1"])
    handler = make_user(Role.DEPARTMENT_HANDLER, org_tree["d1"])
    with pytest.raises(ValidationFailed):
        token_create(user=handler, name="x", kind="open311", jurisdiction=org_tree["d1"])
    _, personal = token_create(user=handler, name="x")
    _error(_post(open311, api_key=personal), 403)
