"""Broken and hostile workbooks get a plain explanation in the uploader's language, never an
exception's class name: not a workbook, damaged, password-protected, no sheet, empty, no
header row, too many rows or columns, an unknown text encoding."""

import io
import re
import zipfile

import openpyxl
import pytest
from django.utils import translation

from gridgov.core.errors import ImportRejected
from gridgov.people import imports
from gridgov.people.models import ImportJob, Resident
from gridgov.people.tests.test_imports import HEADER, rows_for, write_csv, write_xlsx

EXCEPTION_NAMES = ("Error", "Exception", "BadZipFile", "KeyError", "IndexError", "zlib")


def rejected_at_upload(staff, path, language="en") -> ImportRejected:
    with translation.override(language), pytest.raises(ImportRejected) as exc:
        imports.job_create(actor=staff, upload_path=path, file_name=path.name, mode="all")
    assert not ImportJob.objects.exists()
    assert not any(name in str(exc.value.message) for name in EXCEPTION_NAMES)
    return exc.value


def rejected_when_read(staff, path, language="en") -> ImportJob:
    with translation.override(language):
        job = imports.job_create(actor=staff, upload_path=path, file_name=path.name, mode="all")
        job = imports.run_import(job)
    assert job.status == "rejected", job.status
    assert not any(name in job.message for name in EXCEPTION_NAMES), job.message
    assert Resident.objects.count() == 0
    return job


def workbook_bytes(ids, n=30) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows_for(ids, n):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
class TestWorkbookErrorsInPlainWords:
    def test_truncated_workbook_is_damaged_in_both_languages(self, org_tree, staff, ids, tmp_path):
        path = tmp_path / "cut.xlsx"
        data = workbook_bytes(ids)
        path.write_bytes(data[: len(data) // 2])  # a download cut off half-way
        error = rejected_at_upload(staff, path)
        assert error.code == "xlsx_damaged"
        assert "damaged or incomplete" in str(error.message)
        error = rejected_at_upload(staff, path, "zh-hans")
        assert "工作簿已损坏或不完整" in str(error.message)

    def test_corrupted_sheet_inside_an_intact_archive(self, org_tree, staff, ids, tmp_path):
        path = tmp_path / "flipped.xlsx"
        source = zipfile.ZipFile(io.BytesIO(workbook_bytes(ids, 200)))
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data[: len(data) // 2]  # the sheet's XML ends in the middle
                target.writestr(item, data)
        job = rejected_when_read(staff, path)
        assert "damaged" in job.message
        job = rejected_when_read(staff, path, "zh-hans")
        assert "已损坏" in job.message

    def test_random_bytes_named_xlsx(self, org_tree, staff, tmp_path):
        import random

        path = tmp_path / "名单.xlsx"
        path.write_bytes(random.Random(3).randbytes(5000))
        error = rejected_at_upload(staff, path)
        assert error.code == "file_type"
        assert "not an Excel workbook" in str(error.message)
        assert "不是 Excel 工作簿" in str(rejected_at_upload(staff, path, "zh-hans").message)

    def test_password_protected_workbook(self, org_tree, staff, ids, tmp_path):
        from msoffcrypto.format.ooxml import OOXMLFile

        plain = io.BytesIO(workbook_bytes(ids, 3))
        path = tmp_path / "加密.xlsx"
        with path.open("wb") as out:
            OOXMLFile(plain).encrypt("secret", out)  # Excel's “Encrypt with Password”
        error = rejected_at_upload(staff, path)
        assert error.code == "xlsx_encrypted"
        assert "password" in str(error.message)
        assert "密码" in str(rejected_at_upload(staff, path, "zh-hans").message)

    def test_word_document_named_xlsx(self, org_tree, staff, tmp_path):
        path = tmp_path / "doc.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<document/>")
        error = rejected_at_upload(staff, path)
        assert error.code == "file_type" and "Word document" in str(error.message)

    def test_workbook_without_any_sheet(self, org_tree, staff, ids, tmp_path):
        path = tmp_path / "nosheet.xlsx"
        source = zipfile.ZipFile(io.BytesIO(workbook_bytes(ids, 2)))
        with zipfile.ZipFile(path, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/workbook.xml":
                    start, end = data.index(b"<sheets>"), data.index(b"</sheets>") + 9
                    data = data[:start] + b"<sheets/>" + data[end:]
                target.writestr(item, data)
        job = rejected_when_read(staff, path)
        assert "no worksheet" in job.message
        assert "没有工作表" in rejected_when_read(staff, path, "zh-hans").message

    def test_empty_workbook(self, org_tree, staff, tmp_path):
        path = tmp_path / "empty.xlsx"
        openpyxl.Workbook().save(path)
        job = rejected_when_read(staff, path)
        assert "first worksheet is empty" in job.message
        assert "第一个工作表是空的" in rejected_when_read(staff, path, "zh-hans").message

    def test_no_header_row_names_the_row_it_read(self, org_tree, staff, ids, tmp_path):
        path = write_xlsx(tmp_path / "noheader.xlsx", rows_for(ids, 3), header=rows_for(ids, 1)[0])
        job = rejected_when_read(staff, path)
        assert "no header row" in job.message and "row 1," in job.message
        assert "********" in job.message  # the row it shows has its ID number masked
        assert not re.search(r"\d{17}[\dX]", job.message)
        assert "表头" in rejected_when_read(staff, path, "zh-hans").message

    def test_too_many_rows_says_the_limit(self, org_tree, staff, make_user, ids, tmp_path):
        from gridgov.accounts.roles import Role
        from gridgov.core.services import policy_update

        admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
        policy_update(actor=admin, key="people.import", value={"max_rows": 5}, note="t")
        job = rejected_when_read(staff, write_xlsx(tmp_path / "big.xlsx", rows_for(ids, 8)))
        assert "more than 5 rows" in job.message and "split" in job.message

    def test_too_many_columns(self, org_tree, staff, make_user, ids, tmp_path):
        from gridgov.accounts.roles import Role
        from gridgov.core.services import policy_update

        admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
        policy_update(actor=admin, key="people.import", value={"max_columns": 20}, note="t")
        header = HEADER + [f"备注{i}" for i in range(30)]
        job = rejected_when_read(staff, write_csv(tmp_path / "wide.csv", [], header=header))
        assert "43 columns" in job.message and "20" in job.message

    def test_utf16_text_named_csv(self, org_tree, staff, ids, tmp_path):
        path = write_csv(tmp_path / "unicode.csv", rows_for(ids, 2), encoding="utf-16")
        job = rejected_when_read(staff, path)
        assert "UTF-16" in job.message and "CSV UTF-8" in job.message

    def test_csv_in_an_unknown_encoding(self, org_tree, staff, tmp_path):
        path = tmp_path / "latin.csv"
        path.write_bytes("Nom,Café,Ville\nDupont,Noir,Orléans\n".encode("cp1252"))
        job = rejected_when_read(staff, path)
        assert "neither UTF-8 nor GBK" in job.message and "CSV UTF-8" in job.message
        assert "CSV UTF-8" in rejected_when_read(staff, path, "zh-hans").message

    def test_encoding_that_changes_half_way_names_the_row(self, org_tree, staff, ids, tmp_path):
        path = write_csv(tmp_path / "mixed.csv", rows_for(ids, 4000), notes=False)
        tail = ",".join(["310104003001001", "H9", "地址", "家庭户", "王五"]) + "\n"
        path.write_bytes(path.read_bytes() + tail.encode("gbk"))
        job = rejected_when_read(staff, path)
        assert "row 4002, column c" in job.message.lower() and "UTF-8" in job.message

    def test_overlong_csv_cell_names_the_row(self, org_tree, staff, ids, tmp_path):
        rows = rows_for(ids, 3)
        rows[1][2] = "长" * 200_000
        job = rejected_when_read(staff, write_csv(tmp_path / "long.csv", rows))
        assert "row 4 " in job.message.lower() and "longer than" in job.message


@pytest.mark.django_db
def test_the_background_run_answers_in_the_uploaders_language(org_tree, staff, tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with translation.override("en"):
        job = imports.job_create(actor=staff, upload_path=path, file_name=path.name, mode="all")
    with translation.override("zh-hans"):  # the worker's own language
        job = imports.run_import(job)
    assert job.message.startswith("The first worksheet is empty")
