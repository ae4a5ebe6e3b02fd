"""Registry input: control characters, bidi overrides and unpaired surrogates are refused at
every boundary (API, pages, imports), and nothing is coerced or cut silently: wrong types
and out-of-range values are errors naming the field."""

from __future__ import annotations

import json

import pytest

from gridgov.accounts.services import token_create
from gridgov.people.models import Household, ImportJob, Resident
from gridgov.people.tests.test_imports import HEADER, rows_for, run, write_csv

pytestmark = pytest.mark.django_db

HOSTILE = {"nul": "张\x00三", "escape": "张\x1b[31m三", "rlo": "张\u202e三"}
HOSTILE_JSON = {**HOSTILE, "surrogate": "张\ud800三"}


def _stored() -> str:
    rows = list(Resident.objects.values()) + list(Household.objects.values())
    return json.dumps(rows, default=str, ensure_ascii=False)


@pytest.fixture
def bearer(staff):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=staff, name='t')[1]}"}


def _post_json(client, path, payload, headers, method="post"):
    # ensure_ascii keeps an unpaired surrogate as the JSON escape \ud800
    return getattr(client, method)(
        path, data=json.dumps(payload), content_type="application/json", **headers
    )


@pytest.mark.parametrize("kind", sorted(HOSTILE_JSON))
def test_api_refuses_hostile_text_in_names_and_households(
    kind, client, bearer, household, resident_data
):
    text = HOSTILE_JSON[kind]
    before = _stored()
    created = _post_json(
        client,
        "/api/v1/residents",
        {"household": str(household.uid), "data": resident_data(name=text)},
        bearer,
    )
    assert created.status_code == 422, created.content
    assert "name" in json.dumps(created.json()["details"])
    house = _post_json(
        client,
        "/api/v1/households",
        {"grid": "310104003001001", "number": text, "address": "x"},
        bearer,
    )
    assert house.status_code == 422 and "number" in json.dumps(house.json()["details"])
    assert _stored() == before


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_refuse_hostile_text_in_both_languages(
    kind, language, staff, household, login_client
):
    client = login_client(staff)
    before = _stored()
    response = client.post(
        f"/people/households/{household.uid}/edit/",
        {"address": HOSTILE[kind], "kind": "family", "status": "active"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 422
    page = response.content.decode()
    expected = "控制字符" if kind != "rlo" else "显示顺序"
    assert (expected if language == "zh-hans" else "character") in page
    assert _stored() == before


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_import_rejects_rows_with_hostile_text_naming_the_column(
    kind, org_tree, staff, ids, tmp_path
):
    rows = rows_for(ids, 3)
    rows[1][4] = HOSTILE[kind]  # 姓名 of the second row
    rows[2][2] = "1号楼" + HOSTILE[kind]  # 地址
    job = run(staff, write_csv(tmp_path / "r.csv", rows), mode="valid")
    problems = {(p["row"], p["column"]) for p in job.problems}
    assert any("name" in column for _row, column in problems), job.problems
    assert any("address" in column for _row, column in problems), job.problems
    assert HOSTILE[kind] not in _stored()
    for value in Resident.objects.values_list("name", flat=True):
        assert value.isprintable()


def test_import_refuses_over_long_values_instead_of_cutting(org_tree, staff, ids, tmp_path):
    header = [*HEADER, "民族"]
    rows = [[*row, "汉族"] for row in rows_for(ids, 3)]
    rows[0][1] = "H" * 40  # 户编号 over 32
    rows[0][-1] = "民" * 21  # 民族 over 20
    job = run(staff, write_csv(tmp_path / "r.csv", rows, header=header), mode="valid")
    columns = " ".join(p["column"] for p in job.problems)
    assert "household_number" in columns and "ethnicity" in columns, job.problems
    assert not Household.objects.filter(number__startswith="HHHH").exists()
    assert not Resident.objects.filter(ethnicity__startswith="民民").exists()
    assert job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "0001-01-01"),
        ("birth_date", 1.5),
        ("birth_date", 30000),
        ("ethnicity", ["汉"]),
        ("ethnicity", {"a": 1}),
        ("ethnicity", "汉" * 21),
        ("name", "张" * 51),
        ("phone", 13812345678),
        ("sex", True),
    ],
)
def test_api_refuses_wrong_types_and_out_of_range_values_naming_the_field(
    field, value, client, bearer, household, resident_data
):
    data = resident_data(**{field: value})
    if field == "birth_date":
        data.update(id_type="none", sex="M")
        data.pop("id_number")
    response = _post_json(
        client, "/api/v1/residents", {"household": str(household.uid), "data": data}, bearer
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["details"], response.json()
    assert not Resident.objects.exists()


def test_api_patch_refuses_list_for_ethnicity(client, bearer, household, resident_data, staff):
    from gridgov.people.services import resident_create

    resident = resident_create(actor=staff, household=household, data=resident_data())
    response = _post_json(
        client,
        f"/api/v1/residents/{resident.uid}",
        {"version": resident.version, "data": {"ethnicity": ["汉", "回"]}},
        bearer,
        method="patch",
    )
    assert response.status_code == 422 and "ethnicity" in response.json()["details"]
    resident.refresh_from_db()
    assert resident.ethnicity == ""


def test_household_address_over_the_limit_is_refused_not_cut(staff, household, login_client):
    client = login_client(staff)
    before = household.address
    response = client.post(
        f"/people/households/{household.uid}/edit/",
        {"address": "路" * 201, "kind": "family", "status": "active"},
        follow=True,
    )
    assert "At most 200 characters" in response.content.decode()
    household.refresh_from_db()
    assert household.address == before
