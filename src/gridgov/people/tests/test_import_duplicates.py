"""A row whose person is already on file is rejected saying where (masked), unless it is
the same person in the same household with the same details; no household is created for
rows that are not written. In both import modes."""

import pytest

from gridgov.accounts.roles import Role
from gridgov.people import imports, services
from gridgov.people.models import Household, Resident
from gridgov.people.tests.test_imports import HEADER, rows_for, run, write_csv

GRID = "310104003001001"


def row(ids_value, *, number, name, relation="户主", phone="", grid=GRID):
    return [grid, number, "1号楼 9室", "家庭户", name, "", "", "居民身份证", ids_value, phone]


def file_with(tmp_path, rows, name="d.csv"):
    header = HEADER[:10] + ["与户主关系"]
    return write_csv(tmp_path / name, [r + [r_rel] for r, r_rel in rows], header=header)


@pytest.fixture
def on_file(household, staff, ids):
    """张三, registered by hand in household H0001 of grid g1a."""
    number = ids()
    services.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "张三",
            "id_type": "resident_id",
            "id_number": number,
            "relation": "head",
            "registration": "registered",
        },
    )
    return number


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["all", "valid"])
def test_id_on_file_under_another_name_and_household_is_rejected_saying_where(
    mode, org_tree, staff, ids, on_file, tmp_path
):
    rows = [
        (row(on_file, number="H0777", name="李四"), "户主"),
        (row(ids(), number="H0778", name="王五"), "户主"),
    ]
    job = run(staff, file_with(tmp_path, rows), mode=mode)
    problem = next(p for p in job.problems if p["row"] == 3)
    assert "Already on file as resident 张* (" in problem["message"]
    assert on_file[:6] + "*" * 12 in problem["message"] and on_file[-4:] not in problem["message"]
    assert "household H0001" in problem["message"] and GRID in problem["message"]
    assert on_file not in problem["message"]
    assert job.rejected_rows == 1 and job.unchanged_rows == 0
    assert not Household.objects.filter(number="H0777").exists()  # never an empty household
    if mode == "all":
        assert job.status == "rejected" and Resident.objects.count() == 1
        assert not Household.objects.filter(number="H0778").exists()
    else:
        assert job.status == "done" and job.created_rows == 1
        assert Household.objects.get(number="H0778").members.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["all", "valid"])
def test_id_imported_before_under_another_household_is_not_unchanged(
    mode, org_tree, staff, ids, tmp_path
):
    number = ids()
    first = run(staff, file_with(tmp_path, [(row(number, number="H0001", name="张三"), "户主")]))
    assert first.created_rows == 1
    again = [(row(number, number="H0002", name="张三"), "户主")]
    job = run(staff, file_with(tmp_path, again, "again.csv"), mode=mode)
    assert (job.unchanged_rows, job.rejected_rows) == (0, 1)
    assert "household H0001" in job.problems[0]["message"]
    assert not Household.objects.filter(number="H0002").exists()


@pytest.mark.django_db
def test_same_person_same_household_same_details_stays_unchanged(org_tree, staff, ids, tmp_path):
    path = write_csv(tmp_path / "r.csv", rows_for(ids, 6))
    run(staff, path)
    again = run(staff, path)
    assert again.status == "done" and not again.problems
    assert (again.created_rows, again.unchanged_rows, again.rejected_rows) == (0, 6, 0)
    assert again.households["count"] == again.households["on_file"] == 2


@pytest.mark.django_db
def test_same_person_with_other_details_is_rejected_naming_them(org_tree, staff, ids, tmp_path):
    rows = rows_for(ids, 3)
    run(staff, write_csv(tmp_path / "r.csv", rows))
    rows[1][9] = ids.phone()  # a new phone number
    rows[2][11] = "流动人口"
    job = run(staff, write_csv(tmp_path / "r2.csv", rows), mode="valid")
    assert (job.unchanged_rows, job.rejected_rows) == (1, 2)
    messages = {p["row"]: p["message"] for p in job.problems}
    assert "(phone)" in messages[4] and "(registration status)" in messages[5]
    assert "edit them on their page" in messages[4]


@pytest.mark.django_db
def test_the_same_id_twice_in_one_file(org_tree, staff, ids, tmp_path):
    number = ids()
    rows = [
        (row(number, number="H0001", name="张三"), "户主"),
        (row(number, number="H0002", name="张山"), "户主"),
    ]
    job = run(staff, file_with(tmp_path, rows), mode="valid")
    assert (job.created_rows, job.rejected_rows, job.unchanged_rows) == (1, 1, 0)
    assert job.problems[0]["row"] == 4 and "as row 3" in job.problems[0]["message"]
    assert not Household.objects.filter(number="H0002").exists()


@pytest.mark.django_db
def test_a_person_on_file_in_another_district_is_not_described(
    org_tree, staff, ids, other_household, make_user, tmp_path
):
    other_staff = make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="c2staff")
    number = ids()
    services.resident_create(
        actor=other_staff,
        household=other_household,
        data={
            "name": "华阳人",
            "id_type": "resident_id",
            "id_number": number,
            "relation": "head",
            "registration": "registered",
        },
    )
    job = run(staff, file_with(tmp_path, [(row(number, number="H0009", name="张三"), "户主")]))
    message = job.problems[0]["message"]
    assert "outside your area" in message
    for canary in ("310105", "华阳", "H0001", "华*"):
        assert canary not in message
    assert not Household.objects.filter(number="H0009").exists()


@pytest.mark.django_db(transaction=True)
def test_duplicate_checks_are_batched_not_per_row(org_tree, staff, ids, tmp_path):
    """Pass 1 asks the database about rows already on file a thousand at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = write_csv(tmp_path / "many.csv", rows_for(ids, 1500))
    job = imports.job_create(actor=staff, upload_path=path, file_name=path.name, mode="preview")
    with CaptureQueriesContext(connection) as queries:
        imports.run_import(job)
    on_file = [q for q in queries if "people_resident" in q["sql"] and "import_key" in q["sql"]]
    assert 1 <= len(on_file) <= 4, len(on_file)
