"""The catalogue editor: a change is a new version with its audit record, a retired indicator
leaves new forms while old answers still read as given, bad edits store nothing, only the
catalogue's managers edit it, and the API's write path."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import PermissionDenied, ValidationFailed
from gridgov.visits import catalogue_services, services
from gridgov.visits.models import Indicator, IndicatorRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(world, make_user):
    return make_user(Role.DISTRICT_STAFF, world.org["d1"], username="district_d1")


def _form(indicator: Indicator, **fields) -> dict:
    data = catalogue_services.snapshot(indicator)
    post = {
        "version": str(indicator.version),
        "category": data["category"],
        "name": data["name"],
        "name_en": data["name_en"],
        "definition": data["definition"],
        "value_type": data["value_type"],
        "choices": "\n".join(" | ".join(c) for c in indicator.choices),
        "sensitivity": data["sensitivity"],
        "purposes": data["purposes"],
        "frequency": data["frequency"],
        "method": data["method"],
        "sort": str(data["sort"]),
        "required": "1" if data["required"] else "",
        "short_form": "1" if data["short_form"] else "",
    }
    post.update(fields)
    return post


def test_a_change_on_the_page_is_a_new_version_with_its_audit_record(manager, login_client):
    client = login_client(manager)
    assert client.get("/visits/catalogue/").status_code == 200
    b02 = Indicator.objects.get(code="B02")
    choices = "owner | 自有住房 | owned\nrented | 出租 | rented out\nvacant | 空置 | vacant"
    response = client.post("/visits/catalogue/B02/", _form(b02, choices=choices, name="居住情况"))
    assert response.status_code == 302, response.content.decode()[:2000]
    b02.refresh_from_db()
    assert b02.version == 2 and b02.name == "居住情况"
    assert [c[0] for c in b02.choices] == ["owner", "rented", "vacant"]
    revision = IndicatorRevision.objects.get(indicator=b02)
    assert revision.version == 1 and revision.changed_by == manager
    assert revision.definition["name"] == "居住状态"
    assert set(revision.changes) == {"name", "validation"}
    record = AuditRecord.objects.get(action="visits.indicator.update")
    assert record.target_id == "B02" and record.changes["version"] == 2
    assert record.changes["name"] == ["居住状态", "居住情况"]
    page = client.get("/visits/catalogue/B02/").content.decode()
    assert "v1 → v2" in page and "district_d1" in page and "居住状态 → 居住情况" in page


def test_retired_indicator_leaves_new_forms_but_old_answers_still_read(
    world, manager, login_client
):
    visit, _created = services.visit_submit(actor=world.worker, data=world.visit_input())
    b02 = Indicator.objects.get(code="B02")
    given = visit.answers.get(indicator=b02)
    assert given.indicator_version == 1
    # A later version renames the choice the answer used, then the indicator is retired.
    rules = {"choices": [["owner", "自有住房", "owned"], *b02.choices[1:]]}
    catalogue_services.indicator_update(
        actor=manager, indicator=b02, changes={"validation": rules}, expected_version=1
    )
    catalogue_services.indicator_retire(actor=manager, indicator=b02, expected_version=2)
    assert AuditRecord.objects.filter(action="visits.indicator.retire").count() == 1

    worker = login_client(world.worker, c=Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    form = worker.get(f"/visits/households/{world.household.uid}/new/").content.decode()
    assert 'name="a_B02"' not in form and 'name="a_B01"' in form
    staff = login_client(world.staff, c=Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    detail = staff.get(f"/visits/{visit.uid}/").content.decode()
    assert "居住状态" in detail and "自住" in detail  # as version 1 asked and named it
    assert "自有住房" not in detail and "已停用 · v1" in detail
    with pytest.raises(ValidationFailed) as refused:
        services.visit_submit(
            actor=world.worker, data=world.visit_input(outcome="partial", answers={"B02": "owner"})
        )
    assert "answers.B02" in refused.value.details


@pytest.mark.parametrize(
    ("changes", "field", "zh"),
    [
        ({"value_type": "choice", "validation": {}}, "validation", "至少需要两个选项"),
        ({"validation": {"min": 10, "max": 1}}, "validation", "最小值不能大于最大值"),
        ({"validation": {"max_length": 20}}, "validation", "不适用于"),
        ({"value_type": "text", "validation": {}}, "value_type", "不能更改类型"),
        ({"frequency": "daily", "purposes": ["nowhere"]}, "frequency", "请选择更新频次"),
    ],
)
def test_bad_edits_are_refused_in_both_languages_and_store_nothing(
    world, manager, changes, field, zh
):
    services.visit_submit(actor=world.worker, data=world.visit_input())  # B01 has answers
    b01 = Indicator.objects.get(code="B01")
    before = catalogue_services.snapshot(b01)
    audit_rows = AuditRecord.objects.count()
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        catalogue_services.indicator_update(
            actor=manager, indicator=b01, changes=changes, expected_version=1
        )
    assert zh in " ".join(refused.value.details[field])
    with translation.override("en"), pytest.raises(ValidationFailed) as refused_en:
        catalogue_services.indicator_update(
            actor=manager, indicator=b01, changes=changes, expected_version=1
        )
    english = " ".join(refused_en.value.details[field])
    assert english and not any("\u4e00" <= ch <= "\u9fff" for ch in english)
    b01.refresh_from_db()
    assert b01.version == 1 and catalogue_services.snapshot(b01) == before
    assert not IndicatorRevision.objects.exists()
    assert AuditRecord.objects.count() == audit_rows


def test_grid_worker_may_not_edit_the_catalogue(world, login_client):
    client = login_client(world.worker)
    assert client.get("/visits/catalogue/").status_code == 403
    b01 = Indicator.objects.get(code="B01")
    posted = client.post("/visits/catalogue/B01/", _form(b01, name="改名"))
    assert posted.status_code == 403
    api = client.patch(
        "/api/v1/visit-indicators/B01",
        data=json.dumps({"version": 1, "name": "改名"}),
        content_type="application/json",
    )
    assert api.status_code == 403
    with pytest.raises(PermissionDenied):
        catalogue_services.indicator_retire(actor=world.worker, indicator=b01, expected_version=1)
    b01.refresh_from_db()
    assert b01.version == 1 and b01.name != "改名" and b01.is_active


def test_api_write_path(manager, login_client):
    client = login_client(manager, c=Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))

    def send(method, url, body):
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")

    new = {
        "code": "X01",
        "category": "needs",
        "name": "需要助餐",
        "name_en": "needs meal service",
        "value_type": "choice",
        "validation": {"choices": [["yes", "需要", "yes"], ["no", "不需要", "no"]]},
        "purposes": ["visit"],
        "frequency": "monthly",
    }
    bad = send("post", "/api/v1/visit-indicators", {**new, "validation": {}})
    assert bad.status_code == 422 and "至少需要两个选项" in bad.json()["details"]["validation"][0]
    assert not Indicator.objects.filter(code="X01").exists()
    created = send("post", "/api/v1/visit-indicators", new)
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 1 and created.json()["is_active"]
    again = send("post", "/api/v1/visit-indicators", new)
    assert again.status_code == 422 and "code" in again.json()["details"]

    changed = send("patch", "/api/v1/visit-indicators/X01", {"version": 1, "required": True})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = send("patch", "/api/v1/visit-indicators/X01", {"version": 1, "required": False})
    assert stale.status_code == 409
    retired = send("patch", "/api/v1/visit-indicators/X01", {"version": 2, "is_active": False})
    assert retired.status_code == 200 and not retired.json()["is_active"]
    codes = {i["code"] for i in client.get("/api/v1/visit-indicators").json()}
    assert "X01" not in codes
    everything = client.get("/api/v1/visit-indicators?retired=true").json()
    assert "X01" in {i["code"] for i in everything}
    assert send("patch", "/api/v1/visit-indicators/NOPE", {"version": 1}).status_code == 404
    actions = set(AuditRecord.objects.filter(target_id="X01").values_list("action", flat=True))
    assert actions == {
        "visits.indicator.create",
        "visits.indicator.update",
        "visits.indicator.retire",
    }
