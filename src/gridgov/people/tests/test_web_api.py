import re

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.people import services
from gridgov.people.models import Resident

pytestmark = pytest.mark.django_db
# A run of digits inside a token of letters and digits (a UUID's hex, a CSRF token) is not a
# number anyone reads: only a free-standing run counts.
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


@pytest.fixture
def family(staff, household, resident_data, ids):
    from datetime import date

    head = services.resident_create(actor=staff, household=household, data=resident_data())
    child = services.resident_create(
        actor=staff,
        household=household,
        data=resident_data(
            name="张小宝", relation="child", phone="", id_number=ids(birth=date(2018, 3, 3))
        ),
    )
    return head, child


def assert_nothing_unmasked(text: str, *secrets):
    assert not FULL_ID.search(text), FULL_ID.search(text)
    assert not FULL_PHONE.search(text), FULL_PHONE.search(text)
    for secret in secrets:
        assert secret not in text


def test_lists_details_api_and_exports_are_masked(staff, family, login_client):
    head, child = family
    client = login_client(staff)
    pages = [
        client.get("/people/residents/"),
        client.get(f"/people/households/{head.household.uid}/"),
        client.get("/api/v1/residents"),
        client.get(f"/api/v1/residents/{head.uid}"),
        client.get("/people/residents/?q=zs"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert_nothing_unmasked(response.content.decode())
    assert head.id_number_masked in pages[0].content.decode()
    export = client.post("/people/residents/export/")
    body = b"".join(export.streaming_content).decode("utf-8")
    assert_nothing_unmasked(body)
    assert "张小宝" in body and "Exported by community1" in body  # the watermark
    record = AuditRecord.objects.get(action="people.export")
    assert record.changes["rows"] == 2 and record.changes["masked"] is True


def test_full_export_needs_the_permission_and_is_audited(
    org_tree, staff, family, make_user, login_client
):
    import io

    import openpyxl

    head, _child = family
    district = make_user(Role.DISTRICT_STAFF, org_tree["d1"])
    full = {"format": "xlsx", "full": "1"}
    denied = login_client(district).post("/people/residents/export/", full)
    assert denied.status_code == 403
    client = login_client(staff)
    response = client.post("/people/residents/export/", full)
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [c for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row]
    from gridgov.people.privacy import reveal_id_number

    assert reveal_id_number(head) in values
    assert AuditRecord.objects.filter(action="people.export", changes__masked=False).exists()


def test_reveal_through_page_and_api(staff, family, login_client):
    head, _child = family
    client = login_client(staff)
    from gridgov.people.privacy import reveal_phone

    page = client.post(
        f"/people/residents/{head.uid}/reveal/", {"field": "phone", "reason": "回访"}
    )
    assert reveal_phone(head) in page.content.decode()
    api = client.post(
        f"/api/v1/residents/{head.uid}/reveal",
        {"field": "id_number", "reason": "核实"},
        content_type="application/json",
    )
    assert api.status_code == 200 and len(api.json()["value"]) == 18
    assert AuditRecord.objects.filter(action="people.resident.reveal").count() == 2
    bad = client.post(
        f"/api/v1/residents/{head.uid}/reveal",
        {"field": "id_number", "reason": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422


def test_api_create_update_and_errors(staff, household, login_client, resident_data):
    client = login_client(staff)
    data = resident_data()
    created = client.post(
        "/api/v1/residents",
        {"household": str(household.uid), "data": data},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id_number"].count("*") == 12 and data["id_number"] not in created.content.decode()
    patch = client.patch(
        f"/api/v1/residents/{body['uid']}",
        {"version": 1, "data": {"education": "college"}},
        content_type="application/json",
    )
    assert patch.status_code == 200 and patch.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/residents/{body['uid']}",
        {"version": 1, "data": {"education": "bachelor"}},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    bad = client.post(
        "/api/v1/residents",
        {"household": str(household.uid), "data": {**data, "phone": "abc"}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "phone" in bad.json()["details"]
    assert Resident.objects.count() == 1


def test_household_page_and_forms(staff, family, login_client):
    head, _child = family
    client = login_client(staff)
    page = client.get(f"/people/households/{head.household.uid}/")
    assert "张小宝" in page.content.decode()
    form = client.get(f"/people/households/{head.household.uid}/residents/new/")
    assert form.status_code == 200
    invalid = client.post(
        f"/people/households/{head.household.uid}/residents/new/",
        {
            "name": "",
            "id_type": "resident_id",
            "id_number": "123",
            "relation": "child",
            "registration": "registered",
        },
    )
    assert invalid.status_code == 400 and "id_number" in invalid.context["errors"]
    live = client.post(
        f"/people/households/{head.household.uid}/residents/new/",
        {"name": "李四", "id_number": "123"},
        headers={"HX-Request": "true"},
    )
    assert "ID number: " in live.content.decode() and "id_number" not in live.content.decode()
    assert Resident.objects.count() == 2


def test_grid_worker_sees_only_their_grid(
    org_tree, staff, family, other_household, make_user, login_client, resident_data
):
    services.resident_create(
        actor=make_user(Role.COMMUNITY_STAFF, org_tree["c2"]),
        household=other_household,
        data=resident_data(name="外区人"),
    )
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    client = login_client(worker)
    names = [r["name"] for r in client.get("/api/v1/residents").json()["items"]]
    assert sorted(names) == ["张三", "张小宝"]
    outsider = Resident.objects.get(name="外区人")
    assert client.get(f"/api/v1/residents/{outsider.uid}").status_code == 404


def test_personal_data_field_registry_is_complete():
    """Every column of the people app is either registered personal data (with category,
    purpose, legal basis, retention; sensitive ones with an impact assessment) or listed
    as not personal (SECURITY.md F1, F8)."""
    from django.apps import apps

    from gridgov.people.privacy import NON_PERSONAL_FIELDS, NON_PERSONAL_MODELS, PERSONAL_FIELDS

    for model in apps.get_app_config("people").get_models():
        for field in model._meta.concrete_fields:
            key = f"people.{model.__name__}.{field.name}"
            if model.__name__ in NON_PERSONAL_MODELS or field.name in NON_PERSONAL_FIELDS:
                continue
            assert key in PERSONAL_FIELDS, f"{key} is not in the personal-data registry"
            entry = PERSONAL_FIELDS[key]
            assert entry.category and entry.purpose and entry.retention
            assert entry.legal_basis in {"statutory_duty", "consent"}
            if entry.sensitive:
                assert entry.impact_assessment, key


def test_grid_worker_creates_a_household_in_their_grid(org_tree, make_user, login_client):
    from gridgov.people.models import Household

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    client = login_client(worker)
    form = client.get("/people/households/new/")
    assert [g.code for g in form.context["grids"]] == [org_tree["g1a"].code]
    response = client.post(
        "/people/households/new/",
        {"grid": org_tree["g1a"].code, "number": "H9", "address": "9号楼", "kind": "family"},
    )
    assert response.status_code == 302 and Household.objects.get().number == "H9"
    refused = client.post(
        "/people/households/new/",
        {"grid": org_tree["g2a"].code, "number": "H9", "address": "x", "kind": "family"},
    )
    assert refused.status_code == 400 and Household.objects.count() == 1


def test_verify_through_page_and_api_and_the_needs_work_filters(
    staff, family, login_client, org_tree, make_user
):
    from datetime import timedelta

    from django.utils import timezone

    head, child = family
    # The head's record has every required field; the child's lacks the phone and more.
    Resident.objects.filter(pk=head.pk).update(
        ethnicity="汉族", occupation="employed", education="college"
    )
    long_ago = timezone.now() - timedelta(days=400)
    Resident.objects.update(verified_at=long_ago)
    client = login_client(staff)

    def listed(check, unit=""):
        response = client.get(
            "/api/v1/residents", {"check": check, "unit": unit or org_tree["c1"].code}
        )
        assert response.status_code == 200, response.content
        return {item["name"] for item in response.json()["items"]}

    assert listed("stale") == {"张三", "张小宝"}
    assert listed("incomplete") == {"张小宝"}
    assert listed("stale", unit=org_tree["c2"].code) == set()  # another community: nothing
    bad = client.get("/api/v1/residents", {"check": "everything"})
    assert bad.status_code == 422 and "check" in bad.json()["details"]

    page = client.get(f"/people/households/{head.household.uid}/").content.decode()
    assert "due for verification" in page
    response = client.post(f"/people/residents/{head.uid}/verify/", {"version": head.version})
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.verified_at > long_ago and head.version == 2
    assert head.history.filter(action="verify").exists()
    assert AuditRecord.objects.filter(action="people.resident.verify").count() == 1
    # A stale version or garbage is refused and changes nothing.
    client.post(f"/people/residents/{head.uid}/verify/", {"version": "abc"})
    client.post(f"/people/residents/{head.uid}/verify/", {"version": 1})
    head.refresh_from_db()
    assert head.version == 2

    api = client.post(
        f"/api/v1/residents/{child.uid}/verify", {"version": child.version}, "application/json"
    )
    assert api.status_code == 200 and api.json()["version"] == child.version + 1
    assert api.json()["verified_at"]
    assert listed("stale") == set()
    conflict = client.post(
        f"/api/v1/residents/{child.uid}/verify", {"version": child.version}, "application/json"
    )
    assert conflict.status_code == 409
    garbage = client.post(
        f"/api/v1/residents/{child.uid}/verify", {"version": "abc"}, "application/json"
    )
    assert garbage.status_code == 422
    child.refresh_from_db()
    assert child.version == api.json()["version"]  # nothing changed by the refusals
    # Out of scope: a worker of another grid cannot verify.
    outsider = make_user(Role.GRID_WORKER, org_tree["g2a"], username="outsider")
    other = login_client(outsider)
    response = other.post(
        f"/api/v1/residents/{child.uid}/verify", {"version": child.version + 1}, "application/json"
    )
    assert response.status_code == 404
