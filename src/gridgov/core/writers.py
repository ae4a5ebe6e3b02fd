"""Writers of the files that leave the platform: CSV, XLSX, XML and PDF.

Everything the product writes for people to open goes through here, so two guarantees hold
in one place whatever is already stored:

- **Printable text.** Values stored before input was normalised may hold NUL and other
  control characters, unpaired surrogates or bidi overrides. XML 1.0 and XLSX forbid the
  controls (openpyxl raises, ElementTree writes a document no parser reads), UTF-8 cannot
  encode a lone surrogate, and bidi overrides make a name read differently from what it
  is. ``printable`` removes them; every writer below applies it to every value.
- **No live formulas** (OWASP "CSV injection", SECURITY.md G4). A spreadsheet runs a cell
  that starts with ``=``, ``+``, ``-`` or ``@`` (tab and CR too, which some spreadsheets
  skip before looking). Such text gets a leading single quote, and XLSX cells holding text
  are typed as strings, never as formulas. Numbers stay numbers: Python numbers are
  written as numbers, and text that is just a number (``-12.5``) is left as it is.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML, never parse it
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, TextIO

from gridgov.core.text import remove_forbidden

FORMULA_PREFIXES = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
XLSX_CELL_MAX = 32_767  # Excel's limit: a longer cell makes it "repair" the workbook
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def printable(text: str) -> str:
    """``text`` without the characters no file format should carry: the ones no stored text
    may hold (``core.text``), which older rows may still contain."""
    return remove_forbidden(text)


def spreadsheet_value(value: Any) -> Any:
    """A value ready for a spreadsheet cell: numbers, dates and None as they are; anything
    else as printable text that cannot run as a formula."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "isoformat") or _is_decimal(value):
        return value
    text = printable(str(value))
    if text[:1] in FORMULA_PREFIXES and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _is_decimal(value: Any) -> bool:
    from decimal import Decimal

    return isinstance(value, Decimal)


# CSV -------------------------------------------------------------------------------


class CsvWriter:
    """``csv.writer`` whose every cell is a ``spreadsheet_value``. Starts the stream with a
    BOM unless told not to: Excel reads UTF-8 CSV only with one."""

    def __init__(self, stream: TextIO, *, bom: bool = True):
        if bom:
            stream.write("\ufeff")
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_value(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


# XLSX ------------------------------------------------------------------------------


def sheet_title(title: str) -> str:
    """A title Excel accepts: printable, without ``[]:*?/\\``, at most 31 characters."""
    return _SHEET_TITLE_FORBIDDEN.sub(" ", printable(str(title))).strip()[:31] or "Sheet"


class XlsxSheet:
    def __init__(self, worksheet, *, text: bool):
        self._sheet = worksheet
        self._text = text

    def append(self, row: Iterable[Any]) -> None:
        self._sheet.append([self._cell(v) for v in row])

    def _cell(self, value: Any):
        from openpyxl.cell import WriteOnlyCell

        value = spreadsheet_value(value)
        if isinstance(value, str):
            cell = WriteOnlyCell(self._sheet, value=value[:XLSX_CELL_MAX])
            cell.data_type = "s"  # a string, never a formula
        elif self._text:
            cell = WriteOnlyCell(self._sheet, value=value)
        else:
            return value
        if self._text:
            cell.number_format = "@"  # text, so Excel keeps long ID numbers intact
        return cell


class XlsxWriter:
    """A write-only workbook whose sheets write every cell as a ``spreadsheet_value``;
    ``text=True`` formats a sheet's cells as text (for templates people type into)."""

    def __init__(self):
        import openpyxl

        self._book = openpyxl.Workbook(write_only=True)

    def sheet(self, title: str, *, text: bool = False) -> XlsxSheet:
        return XlsxSheet(self._book.create_sheet(sheet_title(title)), text=text)

    def save(self, target: str | Path | IO[bytes]) -> None:
        self._book.save(target)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()


# XML and JSON -------------------------------------------------------------------------------


def xml_bytes(root: ET.Element) -> bytes:
    """The UTF-8 document of ``root`` with every tag, text and attribute printable (XML 1.0
    has no way to write the control characters, not even escaped)."""
    for element in root.iter():
        element.tag = printable(element.tag)
        if element.text:
            element.text = printable(element.text)
        if element.tail:
            element.tail = printable(element.tail)
        for key, value in list(element.attrib.items()):
            element.attrib[key] = printable(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")


def printable_data(data: Any) -> Any:
    """JSON-like data (dicts, lists, scalars) with every string ``printable``: a lone
    surrogate cannot be encoded as UTF-8 and control characters break the clients."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {printable_data(k): printable_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [printable_data(v) for v in data]
    return data


# PDF -------------------------------------------------------------------------------


def pdf_bytes(html: str, *, base_url: str) -> bytes:
    """The PDF of an HTML document (WeasyPrint, which needs Pango: installed by ./dev); the
    HTML is made printable first, as a lone surrogate cannot even be encoded."""
    from weasyprint import HTML

    return HTML(string=printable(html), base_url=base_url).write_pdf()
