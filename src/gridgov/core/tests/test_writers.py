"""The shared writers: printable text and no live formulas in CSV, XLSX, XML, JSON and PDF,
whatever the values hold (control characters, lone surrogates, bidi overrides)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from defusedxml import ElementTree as SafeET

from gridgov.core.writers import (
    CsvWriter,
    XlsxWriter,
    pdf_bytes,
    printable,
    printable_data,
    sheet_title,
    spreadsheet_value,
    xml_bytes,
)

HOSTILE = "a\x00b\x01c\x08\x0b\x0c\x1b\x7f\x85d\ud800e\udfff\ufffe\u202ef\u2066g"


def test_printable_keeps_text_and_line_breaks_and_drops_the_rest():
    assert printable(HOSTILE) == "abcdefg"
    assert printable("张三\t一号楼\n二单元\r\n") == "张三\t一号楼\n二单元\r\n"
    assert printable("表情 😀 ½ ①") == "表情 😀 ½ ①"  # astral and compatibility characters stay


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_would_run_as_a_formula_gets_a_quote(prefix):
    assert spreadsheet_value(f"{prefix}HYPERLINK(1)") == f"'{prefix}HYPERLINK(1)"
    # Controls hiding the prefix are removed first, then the prefix is neutralised.
    assert spreadsheet_value(f"\x00\u202e{prefix}cmd") == f"'{prefix}cmd"


def test_numbers_stay_numbers():
    for value in (0, -3, 2.5, -0.25, Decimal("-1.50"), True, None, date(2025, 10, 1)):
        assert spreadsheet_value(value) == value
    for text in ("-12", "+3", "-0.5", "1e-3", "-.5"):
        assert spreadsheet_value(text) == text
    assert spreadsheet_value("-2+3") == "'-2+3"
    assert spreadsheet_value("张三") == "张三"


def test_csv_cells_are_printable_and_inert():
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(["=1+1", f"x{HOSTILE}", -5, None, "@SUM(A1)"])
    text = buffer.getvalue()
    assert text.startswith("\ufeff")
    assert next(csv.reader(io.StringIO(text[1:]))) == ["'=1+1", "xabcdefg", "-5", "", "'@SUM(A1)"]


def test_xlsx_cells_are_strings_never_formulas():
    from openpyxl import load_workbook

    book = XlsxWriter()
    sheet = book.sheet("名单 [a]/b:c*?")
    sheet.append(["=1+1", HOSTILE, -5, 2.5, "-7", "x" * 40_000])
    typed = book.sheet("text", text=True)
    typed.append(["310104198005010012", 12])
    loaded = load_workbook(io.BytesIO(book.to_bytes()))
    first, second = loaded.worksheets
    assert first.title == "名单  a  b c"
    cells = list(first.iter_rows())[0]
    assert [c.data_type for c in cells] == ["s", "s", "n", "n", "s", "s"]
    assert [c.value for c in cells[:5]] == ["'=1+1", "abcdefg", -5, 2.5, "-7"]
    assert len(cells[5].value) == 32_767
    assert [c.number_format for c in list(second.iter_rows())[0]] == ["@", "@"]


def test_sheet_titles_are_never_empty_or_long():
    assert sheet_title("\x00[]") == "Sheet"
    assert len(sheet_title("长" * 40)) == 31


def test_xml_of_any_text_parses():
    import xml.etree.ElementTree as ET  # noqa: S405 - building only

    root = ET.Element("requests")
    item = ET.SubElement(root, "request", {"note": HOSTILE})
    item.text = HOSTILE
    item.tail = "\x1b"
    parsed = SafeET.fromstring(xml_bytes(root))
    assert parsed[0].text == "abcdefg" and parsed[0].get("note") == "abcdefg"


def test_json_like_data_is_printable():
    data = printable_data({"a\x00": [HOSTILE, 1, None, {"b": "\ud800x"}], "n": 2.5})
    assert data == {"a": ["abcdefg", 1, None, {"b": "x"}], "n": 2.5}


def test_pdf_of_any_text_is_written():
    from pypdf import PdfReader

    pdf = pdf_bytes(f"<html><body><p>张三 {HOSTILE}</p></body></html>", base_url=".")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "abcdefg" in text


def test_files_are_written_only_through_the_shared_writers():
    """A CSV, XLSX, XML or PDF written anywhere else would skip both guarantees."""
    import re
    from pathlib import Path

    import gridgov

    root = Path(gridgov.__file__).parent
    direct = re.compile(
        r"csv\.(writer|DictWriter)\(|\bWorkbook\(|xlsxwriter|\.tostring\(|write_pdf\("
    )
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if "tests" not in path.parts and path.name != "writers.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if direct.search(line)
    ]
    assert not offenders, offenders
