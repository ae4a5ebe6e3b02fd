"""Property-based fuzzing of the whole JSON API from its own OpenAPI document
(/api/v1/openapi.json): generated valid and invalid requests, signed in with a staff
member's bearer token so that they reach the handlers. No request may answer 5xx, and
every status code must be one the document declares. Bounded in examples per operation
so the run stays short on both databases."""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8


@pytest.fixture
def fuzz_staff(org_tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="fuzz_staff")


@pytest.fixture
def fuzz_headers(org_tree, make_user, fuzz_staff):
    from gridgov.accounts.services import token_create
    from gridgov.core.policies import REGISTRY
    from gridgov.core.services import policy_update
    from gridgov.people.services import household_create

    staff = fuzz_staff
    # Requests per minute far above the default, or the fuzzer would mostly meet 429.
    admin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    limits = REGISTRY["accounts.rate_limits"].schema().model_dump()
    limits.update(api_per_user_per_minute=100_000, api_per_token_per_minute=100_000)
    policy_update(actor=admin, key="accounts.rate_limits", value=limits, note="fuzz")
    household_create(
        actor=staff, grid=org_tree["g1a"], number="H0001", address="一小区 1号楼", kind="family"
    )
    # In process, like Django's test client: the request signals must not close the
    # connection that holds the test's transaction.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {token_create(user=staff, name='fuzz')[1]}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _document() -> dict:
    """The document as /api/v1/openapi.json serves it (JSON: status codes as strings)."""
    from gridgov.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


def _wsgi_schema():
    from django.core.wsgi import get_wsgi_application

    loaded = schemathesis.openapi.from_dict(_document())
    loaded.app = get_wsgi_application()  # requests run in process, in the test's transaction
    return loaded


schema = _wsgi_schema()


def test_the_fuzzed_document_is_the_served_one(fuzz_staff, login_client):
    response = login_client(fuzz_staff).get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == _document()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx_or_an_undocumented_status(case, fuzz_headers):
    response = case.call_and_validate(
        headers=fuzz_headers, checks=[not_a_server_error, status_code_conformance]
    )
    if os.environ.get("GRIDGOV_FUZZ_LOG"):
        with open(os.environ["GRIDGOV_FUZZ_LOG"], "a") as log:
            log.write(f"{case.operation.label} {response.status_code}\n")
