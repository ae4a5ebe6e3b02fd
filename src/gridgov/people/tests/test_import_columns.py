"""No column of a file is dropped silently: common headers are built in, and every other
column waits until the uploader maps it to one of ours or leaves it out."""

import csv
import io

import pytest

from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.people import imports
from gridgov.people.models import ImportJob, Resident

GRID = "310104003001001"


def write(path, header, rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(actor, path, mode="all", **options):
    job = imports.job_create(
        actor=actor, upload_path=path, file_name=path.name, mode=mode, target_grid=GRID, **options
    )
    return imports.run_import(job)


def people(ids, n=3):
    return [
        [f"居民{'甲乙丙丁'[i]}", ids(birth=_born(i)), "户主" if i == 0 else "子女", "流动"]
        for i in range(n)
    ]


def _born(i):
    from datetime import date

    return date(1960 + i, 3, 1)


# The template's household columns, so the file also imports where grids are not chosen.
TEMPLATE = ["网格代码", "户编号", "地址"]


def template_rows(ids):
    return [[GRID, "H0001", "1号楼 101室", *r] for r in people(ids)]


@pytest.mark.django_db
def test_a_common_header_for_registration_is_built_in(org_tree, staff, ids, tmp_path):
    header = [*TEMPLATE, "姓名", "身份证号", "与户主关系", "户籍类型"]
    path = write(tmp_path / "a.csv", header, template_rows(ids))
    job = imports.run_import(
        imports.job_create(actor=staff, upload_path=path, file_name=path.name, mode="all")
    )
    assert job.status == "done", (job.message, job.problems)
    assert set(Resident.objects.values_list("registration", flat=True)) == {"migrant"}
    assert [c["field"] for c in job.columns][-1] == "registration"


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["all", "valid", "preview"])
def test_an_unknown_column_stops_the_import_until_decided(mode, org_tree, staff, ids, tmp_path):
    header = [*TEMPLATE, "姓名", "身份证号", "与户主关系", "人口属性", "备注"]
    rows = [r + ["党员"] for r in template_rows(ids)]
    path = write(tmp_path / "u.csv", header, rows)
    job = imports.run_import(
        imports.job_create(actor=staff, upload_path=path, file_name=path.name, mode=mode)
    )
    assert job.status == "decide" and Resident.objects.count() == 0
    undecided = {c["header"]: c for c in job.undecided_columns}
    assert set(undecided) == {"人口属性", "备注"}
    assert undecided["人口属性"]["column"] == "G" and undecided["人口属性"]["reason"] == "unknown"
    assert "2 column(s) of the file are not used yet" in job.message
    with pytest.raises(Conflict):
        imports.job_proceed(actor=staff, job=job, mode="all")
    with pytest.raises(ValidationFailed) as error:
        imports.job_configure(actor=staff, job=job, columns={"人口属性": "不存在的列"})
    assert "人口属性" in error.value.details
    job = imports.job_configure(
        actor=staff, job=job, columns={"人口属性": "户籍类别", "备注": "ignore"}
    )
    assert job.status == "checked", (job.message, job.columns)
    assert {c["label"]: c["status"] for c in job.columns}["备注"] == "ignored"
    job = imports.job_proceed(actor=staff, job=job, mode="all")
    assert job.status == "done" and job.created_rows == 3
    assert set(Resident.objects.values_list("registration", flat=True)) == {"migrant"}


@pytest.mark.django_db
def test_a_second_column_for_the_same_field_waits(org_tree, staff, ids, tmp_path):
    header = ["姓名", "身份证号", "与户主关系", "手机号", "电话"]
    rows = [r[:3] + [ids.phone(), "021-64381234"] for r in people(ids)]
    job = run(staff, write(tmp_path / "d.csv", header, rows))
    assert job.status == "decide"
    assert [(c["header"], c["reason"]) for c in job.undecided_columns] == [("电话", "duplicate")]


@pytest.mark.django_db
def test_data_without_a_header_waits(org_tree, staff, ids, tmp_path):
    header = ["姓名", "身份证号", "与户主关系", ""]
    rows = [r[:3] + [""] for r in people(ids)]
    rows[1][3] = "楼长"  # someone typed into the unnamed column
    job = run(staff, write(tmp_path / "h.csv", header, rows))
    assert job.status == "decide"
    (column,) = job.undecided_columns
    assert (column["column"], column["label"], column["reason"]) == ("D", "#D", "no_header")
    job = imports.job_configure(actor=staff, job=job, columns={"#D": "ignore"}, mode="all")
    assert job.status == "done" and job.created_rows == 3


@pytest.mark.django_db
def test_a_missing_required_column_can_be_mapped(org_tree, staff, ids, tmp_path):
    header = ["居民名字", "身份证号", "与户主关系"]
    job = run(staff, write(tmp_path / "m.csv", header, [r[:3] for r in people(ids)]))
    assert job.status == "decide" and "姓名" in job.message
    job = imports.job_configure(actor=staff, job=job, columns={"居民名字": "姓名"}, mode="all")
    assert job.status == "done" and job.created_rows == 3


@pytest.mark.django_db
def test_a_suggestion_is_offered_never_applied(org_tree, staff, ids, tmp_path):
    header = ["姓名", "身份证号", "与户主关系", "家庭住址（门牌）"]
    rows = [r[:3] + ["1号楼 101室"] for r in people(ids)]
    job = run(staff, write(tmp_path / "s.csv", header, rows))
    (column,) = job.undecided_columns
    assert column["suggestion"] == "address" and job.status == "decide"


@pytest.mark.django_db
def test_upload_time_decisions_and_two_columns_for_one_field(org_tree, staff, ids, tmp_path):
    header = ["姓名", "身份证号", "与户主关系", "甲", "乙"]
    rows = [r[:3] + ["x", "y"] for r in people(ids)]
    job = run(staff, write(tmp_path / "t.csv", header, rows), "preview")
    with pytest.raises(ValidationFailed) as error:
        imports.job_configure(actor=staff, job=job, columns={"甲": "民族", "乙": "ethnicity"})
    assert "民族" in error.value.details
    mapping, ignored = imports.decisions_split({"甲": "ignore", "乙": "ignore"})
    again = run(
        staff,
        write(tmp_path / "t2.csv", header, rows),
        "all",
        mapping=mapping,
        ignored_columns=ignored,
    )
    assert again.status == "done" and ImportJob.objects.count() == 2
