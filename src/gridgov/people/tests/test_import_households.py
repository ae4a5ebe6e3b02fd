"""An office's 花名册 (no grid, household number or address columns) imports: the uploader
picks the grid, rows form households from the 与户主关系 order (or the address), the preview
shows them, and household numbers are generated."""

import csv
import io
import re

import openpyxl
import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import ImportRejected
from gridgov.people import imports
from gridgov.people.models import Household, ImportJob, Resident

ROSTER_HEADER = [
    "姓名",
    "性别",
    "身份证号",
    "联系电话",
    "出生日期",
    "与户主关系",
    "户籍类型",
    "特殊人群",
]


def roster_rows(ids):
    """Three households as a street office lists them: 户主 first, the family below."""
    return [
        ["张建国", "男", ids(birth=_d(1958, 3, 2), sex="M"), ids.phone(), "", "户主", "户籍", ""],
        ["李秀英", "女", ids(birth=_d(1960, 7, 9), sex="F"), "", "", "配偶", "户籍", ""],
        ["张伟", "男", ids(birth=_d(1985, 1, 20), sex="M"), ids.phone(), "", "子", "户籍", ""],
        ["王芳", "女", ids(birth=_d(1990, 5, 5), sex="F"), ids.phone(), "", "户主", "流动", ""],
        ["赵强", "男", "", "", "1948-10-01", "本人", "户籍", "独居老人"],
        ["赵小梅", "女", "", "", "2016-02-11", "孙女", "户籍", ""],
        ["钱桂兰", "女", ids(birth=_d(1925, 12, 1), sex="F"), "", "", "母亲", "户籍", ""],
    ]


def _d(y, m, d):
    from datetime import date

    return date(y, m, d)


def roster_csv(path, rows, encoding="gbk", title=True):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if title:
        writer.writerow(["宛平南路社区居民花名册"] + [""] * (len(ROSTER_HEADER) - 1))
    writer.writerow(ROSTER_HEADER)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def roster_xlsx(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(["宛平南路社区居民花名册"])
    sheet.append(ROSTER_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def run(actor, path, mode="all", **options):
    job = imports.job_create(
        actor=actor, upload_path=path, file_name=path.name, mode=mode, **options
    )
    return imports.run_import(job)


def households_by_head():
    return {
        h.members.get(relation="head").name: sorted(m.name for m in h.members.all())
        for h in Household.objects.prefetch_related("members")
    }


EXPECTED = {
    "张建国": ["张伟", "张建国", "李秀英"],
    "王芳": ["王芳"],
    "赵强": ["赵小梅", "赵强", "钱桂兰"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["gbk.csv", "xlsx"])
def test_roster_imports_with_the_households_its_head_rows_say(kind, org_tree, staff, ids, tmp_path):
    rows = roster_rows(ids)
    path = (
        roster_xlsx(tmp_path / "花名册.xlsx", rows)
        if kind == "xlsx"
        else roster_csv(tmp_path / "花名册.csv", rows)
    )
    job = run(staff, path, target_grid="310104003001002")
    assert job.status == "done", (job.message, job.problems)
    assert (job.created_rows, job.rejected_rows) == (7, 0)
    assert households_by_head() == EXPECTED
    g1b = org_tree["g1b"]
    assert set(Household.objects.values_list("grid", flat=True)) == {g1b.pk}
    numbers = sorted(Household.objects.values_list("number", flat=True))
    assert numbers == [f"I{job.pk}-00003", f"I{job.pk}-00006", f"I{job.pk}-00007"]
    assert all(h.import_job_id == job.pk for h in Household.objects.all())
    zhao = Resident.objects.get(name="赵强")
    assert zhao.relation == "head" and zhao.tags.get().category.name == "独居老人"
    assert Resident.objects.get(name="钱桂兰").relation == "parent"
    assert Resident.objects.get(name="赵小梅").relation == "grandchild"
    assert Resident.objects.get(name="王芳").registration == "migrant"
    assert Resident.objects.get(name="张伟").registration == "registered"


@pytest.mark.django_db
def test_the_preview_shows_the_households_found(org_tree, staff, ids, tmp_path):
    rows = roster_rows(ids)
    rows.insert(0, ["孤行", "男", "", "", "1970-01-01", "子", "户籍", ""])  # no 户主 above
    path = roster_csv(tmp_path / "p.csv", rows)
    job = run(staff, path, mode="preview", target_grid="310104003001001")
    assert job.status == "checked" and Resident.objects.count() == 0
    households = job.households
    assert households["source"] == "relation" and households["count"] == 3
    assert households["sizes"] == [[1, 1], [3, 2]]
    assert households["ungrouped"] == 1
    first = households["first"][0]
    assert first["head"] == "张建国" and first["members"] == 3 and first["rows"] == "4–6"
    assert re.fullmatch(rf"I{job.pk}-\d{{5}}", first["number"])
    problem = job.problems[0]
    assert problem["row"] == 3 and problem["column"] == "relation"
    assert "no 户主 (or 本人) row above" in problem["message"]


@pytest.mark.django_db
def test_members_of_a_head_with_errors_are_not_imported_alone(org_tree, staff, ids, tmp_path):
    rows = roster_rows(ids)
    rows[0][2] = rows[0][2][:-1] + ("0" if rows[0][2][-1] != "0" else "1")  # bad check digit
    job = run(staff, roster_csv(tmp_path / "h.csv", rows), "valid", target_grid="310104003001001")
    assert job.status == "done" and job.created_rows == 4 and job.rejected_rows == 3
    messages = {p["row"]: p["message"] for p in job.problems}
    assert "户主 of this household (row 3)" in messages[4]
    assert "户主 of this household (row 3)" in messages[5]
    assert set(households_by_head()) == {"王芳", "赵强"}


@pytest.mark.django_db
def test_reimport_with_a_newborn_adds_them_to_the_existing_household(
    org_tree, staff, ids, tmp_path
):
    rows = roster_rows(ids)
    run(staff, roster_csv(tmp_path / "a.csv", rows), target_grid="310104003001001")
    rows.insert(3, ["张小宝", "男", "", "", "2025-06-01", "孙子", "户籍", ""])
    job = run(staff, roster_csv(tmp_path / "b.csv", rows), target_grid="310104003001001")
    assert job.status == "done", job.problems
    assert (job.created_rows, job.unchanged_rows, job.rejected_rows) == (1, 7, 0)
    assert Household.objects.count() == 3
    assert "张小宝" in households_by_head()["张建国"]


@pytest.mark.django_db
def test_grouping_by_address(org_tree, staff, ids, tmp_path):
    header = ["姓名", "身份证号", "与户主关系", "现住址"]
    rows = [
        ["张一", ids(birth=_d(1970, 1, 1)), "户主", "1号楼 101室"],
        ["王二", ids(birth=_d(1980, 1, 1)), "户主", "2号楼 202室"],
        ["张三", ids(birth=_d(1995, 1, 1)), "子", "1号楼  101室"],  # spaces differ
        ["李四", ids(birth=_d(1990, 1, 1)), "配偶", "3号楼 303室"],  # nobody is 户主 there
        ["赵五", ids(birth=_d(1991, 1, 1)), "户主", ""],
    ]
    path = tmp_path / "addr.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]), encoding="utf-8")
    job = run(staff, path, "valid", target_grid="310104003001001", grouping="address")
    assert job.status == "done" and job.created_rows == 3 and job.rejected_rows == 2
    assert households_by_head() == {"张一": ["张一", "张三"], "王二": ["王二"]}
    assert Household.objects.get(number=f"I{job.pk}-00002").address == "1号楼 101室"
    messages = {p["row"]: p["message"] for p in job.problems}
    assert "no row at this address is the 户主" in messages[5]
    assert "no address" in messages[6]


@pytest.mark.django_db
def test_the_uploaders_own_grid_is_the_default(org_tree, make_user, ids, tmp_path):
    leader = make_user(Role.GRID_LEADER, org_tree["g1b"], username="wgz")
    job = run(leader, roster_csv(tmp_path / "own.csv", roster_rows(ids)))
    assert job.status == "done" and job.target_grid == org_tree["g1b"]
    assert set(Household.objects.values_list("grid__code", flat=True)) == {"310104003001002"}


@pytest.mark.django_db
def test_several_grids_and_none_chosen_names_the_rows(org_tree, staff, ids, tmp_path):
    job = run(staff, roster_csv(tmp_path / "none.csv", roster_rows(ids)))
    assert job.status == "rejected" and Household.objects.count() == 0
    assert job.problems[0]["column"] == "grid_code"
    assert "no grid was chosen" in job.problems[0]["message"]


@pytest.mark.django_db
def test_a_grid_outside_the_scope_cannot_be_chosen(org_tree, staff, ids, tmp_path):
    path = roster_csv(tmp_path / "out.csv", roster_rows(ids))
    with pytest.raises(ImportRejected) as error:
        run(staff, path, target_grid="310105001001001")
    assert error.value.code == "grid" and not ImportJob.objects.exists()
