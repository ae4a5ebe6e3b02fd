import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import PermissionDenied, ValidationFailed
from gridgov.core.policies import REGISTRY, policy_get, policy_in_force
from gridgov.core.services import policy_update

pytestmark = pytest.mark.django_db


def test_defaults_are_version_zero_and_documented():
    lockout = policy_in_force("accounts.login_lockout")
    assert lockout.version == 0
    assert (lockout.value.max_failures, lockout.value.lock_minutes) == (5, 30)
    session = policy_get("accounts.session")
    assert (session.idle_minutes, session.absolute_hours) == (30, 12)
    size = policy_get("org.grid_size")
    assert (size.min_households, size.max_households) == (300, 500)
    assert policy_get("accounts.password").min_length == 8
    for definition in REGISTRY.values():
        assert str(definition.title) and str(definition.description)


def test_update_adds_a_version_and_is_audited(org_tree, make_user):
    from gridgov.audit.models import AuditRecord

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    row = policy_update(
        actor=secadmin,
        key="accounts.login_lockout",
        value={"max_failures": 6, "lock_minutes": 45},
        note="assessor advice",
    )
    assert row.version == 1
    assert policy_get("accounts.login_lockout").max_failures == 6
    record = AuditRecord.objects.get(action="policy.update")
    assert record.changes["before"]["max_failures"] == 5
    assert record.changes["after"]["max_failures"] == 6
    row2 = policy_update(
        actor=secadmin, key="accounts.login_lockout", value={"max_failures": 5}, note="back"
    )
    assert row2.version == 2
    assert policy_in_force("accounts.login_lockout").version == 2


@pytest.mark.parametrize(
    "value",
    [
        {"max_failures": 1},  # below the floor
        {"max_failures": "five"},  # wrong type
        {"unknown": 1},  # not a field
    ],
)
def test_invalid_values_are_refused_and_nothing_is_stored(org_tree, make_user, value):
    from gridgov.core.models import PolicyVersion

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    with pytest.raises(ValidationFailed) as exc:
        policy_update(actor=secadmin, key="accounts.login_lockout", value=value, note="x")
    assert exc.value.details
    assert not PolicyVersion.objects.exists()


def test_grid_size_range_must_be_ordered(org_tree, make_user):
    sysadmin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    with pytest.raises(ValidationFailed):
        policy_update(
            actor=sysadmin,
            key="org.grid_size",
            value={"min_households": 600, "max_households": 500},
            note="x",
        )


def test_security_policies_belong_to_the_security_admin(org_tree, make_user):
    sysadmin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    with pytest.raises(PermissionDenied):
        policy_update(
            actor=sysadmin, key="accounts.login_lockout", value={"max_failures": 6}, note="x"
        )
    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    with pytest.raises(PermissionDenied):
        policy_update(actor=secadmin, key="org.grid_size", value={}, note="x")


def test_a_reason_is_required(org_tree, make_user):
    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    with pytest.raises(ValidationFailed) as exc:
        policy_update(actor=secadmin, key="accounts.session", value={}, note=" ")
    assert "note" in exc.value.details


def test_policy_page_and_api(org_tree, make_user, login_client):
    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    client = login_client(secadmin)
    page = client.get("/policies/accounts.session/")
    assert page.status_code == 200
    response = client.post(
        "/policies/accounts.session/",
        {"idle_minutes": "20", "absolute_hours": "10", "note": "tighter"},
    )
    assert response.status_code == 302
    assert policy_get("accounts.session").idle_minutes == 20
    bad = client.post(
        "/policies/accounts.session/", {"idle_minutes": "abc", "absolute_hours": "10", "note": "x"}
    )
    assert bad.status_code == 200 and "idle_minutes" in bad.context["errors"]
    api = client.get("/api/v1/policies/accounts.session")
    assert api.json()["version"] == 1
    bad_put = client.put(
        "/api/v1/policies/accounts.session",
        data={"value": {"idle_minutes": 2}, "note": "x"},
        content_type="application/json",
    )
    assert bad_put.status_code == 422
    assert bad_put.json()["code"] == "validation_failed"
    assert "idle_minutes" in str(bad_put.json()["details"])


def test_session_api_writes_need_the_csrf_header(org_tree, make_user, login_client):
    from django.test import Client

    secadmin = make_user(Role.SECURITY_ADMIN, org_tree["d1"])
    client = login_client(secadmin, Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en"))
    body = {"value": {"idle_minutes": 25}, "note": "x"}
    refused = client.put(
        "/api/v1/policies/accounts.session", data=body, content_type="application/json"
    )
    assert refused.status_code == 403
    assert policy_get("accounts.session").idle_minutes == 30
    client.get("/policies/accounts.session/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.put(
        "/api/v1/policies/accounts.session",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["version"] == 1 and accepted.json()["value"]["idle_minutes"] == 25
    assert policy_get("accounts.session").idle_minutes == 25


def test_structured_policy_values_read_as_sentences(org_tree, make_user, login_client):
    """Time limits, targets and weights by name in the reader's language, never as JSON."""
    import html

    sysadmin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    client = login_client(sysadmin)
    page = html.unescape(client.get("/policies/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    page = page.split("<main", 1)[1]  # the page's content, not the htmx settings
    assert "即时: 30 分钟" in page and "限时: 3 个工作日" in page
    assert "按期处置率: 目标值 95，黄色预警线 85" in page
    assert "入户走访: 姓名、性别" in page
    for raw in ('{"', "events.on_time_handling", "working_days", "same_day"):
        assert raw not in page, raw
    edit = html.unescape(
        client.get("/policies/events.sla/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert "当日: 24 小时" in edit and "默认值: 0.25" in edit
