"""Resident import: hostile-file checks, streaming readers for CSV and XLSX, validation,
and idempotent, resumable writing in batches.

A file is checked before it is parsed (extension, magic bytes, size, zip entry count and
uncompressed size, macros). Pass 1 validates every row without writing. Pass 2 writes in
batches, each batch in one transaction with its progress and its audit record, so a crash
loses nothing acknowledged and a re-run (same job) finishes the import without doubling
rows: every resident carries an ``import_key`` (blind index of the ID number, or of grid,
household, name and birth date).
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridgov.audit.services import audit_record
from gridgov.core.bulk import insert_many
from gridgov.core.errors import ImportRejected
from gridgov.core.policies import policies_cached, policy_get
from gridgov.core.scoping import path_in_scope
from gridgov.core.text import text_problem, too_long_message
from gridgov.core.writers import XlsxWriter
from gridgov.org.models import OrgUnit
from gridgov.people import privacy, selectors
from gridgov.people.import_spool import (
    Spool,
    SpooledRow,
    decode_values,
    encode_body,
    person_key,
)
from gridgov.people.models import (
    Household,
    ImportJob,
    Resident,
    ResidentHistory,
    ResidentTag,
    TagCategory,
)
from gridgov.people.services import FIELD_LABELS, apply_values, clean_resident
from gridgov.people.validation import FieldInvalid, clean_text, parse_relation

# Canonical column → the headers it may have (Chinese first; other systems' names too).
COLUMNS: dict[str, list[str]] = {
    "grid_code": ["网格代码", "网格编码", "所属网格编码", "grid code", "grid"],
    "household_number": ["户编号", "户号", "household number", "household"],
    "address": [
        "地址",
        "住址",
        "现住址",
        "居住地址",
        "现居住地址",
        "家庭住址",
        "现住地址",
        "address",
    ],
    "household_kind": ["户类型", "户别", "household type"],
    "name": ["姓名", "居民姓名", "人员姓名", "name"],
    "sex": ["性别", "sex"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日", "birth date", "date of birth"],
    "ethnicity": ["民族", "ethnicity"],
    "id_type": ["证件类型", "证件种类", "id type"],
    "id_number": [
        "证件号码",
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "身份证",
        "身份证件号码",
        "id number",
    ],
    "phone": ["联系电话", "手机号", "手机号码", "电话", "电话号码", "联系方式", "手机", "phone"],
    "relation": ["与户主关系", "与户主的关系", "家庭关系", "relation"],
    "registration": [
        "户籍类别",
        "户籍类型",
        "户口类型",
        "户口性质",
        "人口类型",
        "人口类别",
        "registration",
    ],
    "residence": ["居住状态", "居住情况", "residence"],
    "occupation": ["职业类别", "职业", "就业状况", "occupation"],
    "education": ["文化程度", "学历", "education"],
    "tags": ["特殊人群", "特殊人群标签", "特殊人群类别", "tags"],
}
REQUIRED = ["name", "relation"]
TEMPLATE_NOTES = {
    "grid_code": "15位网格代码",
    "household_number": "同一网格内唯一，同户成员相同",
    "address": "小区 楼栋 单元 室",
    "household_kind": "家庭户/集体户",
    "name": "必填",
    "sex": "男/女；有身份证号时可留空",
    "birth_date": "1980-05-01；有身份证号时可留空",
    "ethnicity": "汉族",
    "id_type": "居民身份证/护照/无…",
    "id_number": "请将本列设为文本格式",
    "phone": "11位手机号或带区号固话",
    "relation": "户主/配偶/子女…",
    "registration": "户籍人口/常住人口/流动人口/寄住",
    "residence": "在住/外出",
    "occupation": "学生/在职/退休/无业/灵活就业",
    "education": "小学/初中/高中…",
    "tags": "多个标签用逗号分隔，如 独居老人,残疾人",
}
NOTES_MARKERS = ("说明", "#", "注")
IGNORE = "ignore"  # the decision that leaves a column of the file out
BATCH = 1000
PREVIEW_ROWS = 10
REFRESH_STATISTICS_ROWS = 10_000


@dataclass
class Problem:
    row: int
    column: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "rule": self.rule, "message": self.message}


# What a problem's column and rule are called in the reader's language. Problems store keys;
# reports stored before that hold their text, shown as it is.
PROBLEM_COLUMNS = {
    "grid_code": gettext_lazy("grid code"),
    "household_number": gettext_lazy("household number"),
    "household_kind": gettext_lazy("household type"),
    "address": gettext_lazy("address"),
    "tags": gettext_lazy("special-population tags"),
}
PROBLEM_RULES = {
    "required": gettext_lazy("required"),
    "text": gettext_lazy("text"),
    "value": gettext_lazy("value"),
    "choice": gettext_lazy("choice"),
    "grid": gettext_lazy("grid"),
    "tag": gettext_lazy("tag"),
    "household": gettext_lazy("household grouping"),
    "duplicate": gettext_lazy("duplicate in the file"),
    "on_file": gettext_lazy("already on file"),
}


def problem_column_label(column: str) -> str:
    label = PROBLEM_COLUMNS.get(column) or FIELD_LABELS.get(column)
    return str(label) if label is not None else column


def problem_rule_label(rule: str) -> str:
    label = PROBLEM_RULES.get(rule) or FIELD_LABELS.get(rule)
    return str(label) if label is not None else rule


def readable_problems(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored problems with their column and rule named for the reader."""
    return [
        {
            **p,
            "column_label": problem_column_label(p["column"]),
            "rule_label": problem_rule_label(p["rule"]),
        }
        for p in problems
    ]


# Hostile-file checks ----------------------------------------------------------------


def inspect_upload(path: Path, file_name: str) -> str:
    """'csv' or 'xlsx' if the file may be parsed, else ``ImportRejected`` saying in plain
    words what is wrong with it."""
    limits = policy_get("people.import")
    suffix = Path(file_name).suffix.lower()
    size = path.stat().st_size
    if size > limits.max_file_mb * 1024 * 1024:
        raise ImportRejected(
            _("The file is larger than %(mb)d MB.") % {"mb": limits.max_file_mb},
            code="file_too_large",
        )
    if size == 0:
        raise ImportRejected(_("The file is empty."), code="file_empty")
    with path.open("rb") as handle:
        head = handle.read(8)
    if suffix in {".xlsm", ".xls", ".xlsb"}:
        raise ImportRejected(
            _("Only .xlsx and .csv files are accepted (no macros, no old Excel formats)."),
            code="file_type",
        )
    if suffix == ".xlsx":
        if head.startswith(OLE2_MAGIC):
            _refuse_compound_file(path)
        if not head.startswith(b"PK\x03\x04"):
            raise ImportRejected(_not_a_workbook(), code="file_type")
        _inspect_zip(path, limits)
        return "xlsx"
    if suffix == ".csv":
        if head.startswith((b"PK\x03\x04", OLE2_MAGIC, b"%PDF", b"\x7fELF", b"MZ")):
            raise ImportRejected(
                _(
                    "This file is not CSV text, although its name ends in .csv (it is a "
                    "workbook, a document or a program). Save it from Excel as “CSV UTF-8 "
                    "(comma delimited)”, or upload the .xlsx workbook itself."
                ),
                code="file_type",
            )
        return "csv"
    raise ImportRejected(_("Only .xlsx and .csv files are accepted."), code="file_type")


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream an encrypted Office file keeps its content in (UTF-16 name in the directory).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _not_a_workbook() -> str:
    return _(
        "This file is not an Excel workbook (.xlsx), although its name ends in .xlsx. Open "
        "it in Excel or WPS and save it as “Excel Workbook (*.xlsx)”, or as “CSV UTF-8”."
    )


def _damaged_workbook() -> str:
    return _(
        "The workbook is damaged or incomplete (for example, a download or copy was cut "
        "off). Open it in Excel or WPS; if it opens, save it again and upload the new file."
    )


def _refuse_compound_file(path: Path) -> None:
    """An OLE2 compound file named .xlsx: a password-protected workbook (Excel stores those
    encrypted inside a compound file) or an old .xls renamed."""
    with path.open("rb") as handle:
        tail = b""
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            if _ENCRYPTED_PACKAGE in tail + chunk:
                raise ImportRejected(
                    _(
                        "This workbook is protected with a password, so it cannot be read. "
                        "Open it in Excel, remove the password (File › Info › Protect "
                        "Workbook › Encrypt with Password) and upload it again."
                    ),
                    code="xlsx_encrypted",
                )
            tail = chunk[-len(_ENCRYPTED_PACKAGE) :]
    raise ImportRejected(
        _(
            "This is an old Excel 97–2003 workbook (.xls) renamed to .xlsx. Open it in Excel "
            "or WPS and save it as “Excel Workbook (*.xlsx)”."
        ),
        code="file_type",
    )


def _inspect_zip(path: Path, limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_zip_entries:
                raise ImportRejected(
                    _("The workbook has too many parts (%(n)d).") % {"n": len(entries)},
                    code="zip_entries",
                )
            total = sum(e.file_size for e in entries)
            if total > limits.max_uncompressed_mb * 1024 * 1024:
                raise ImportRejected(
                    _("The workbook unpacks to more than %(mb)d MB.")
                    % {"mb": limits.max_uncompressed_mb},
                    code="zip_bomb",
                )
            for entry in entries:
                if entry.compress_size and entry.file_size / entry.compress_size > 200:
                    raise ImportRejected(
                        _("The workbook is compressed suspiciously well (a zip bomb?)."),
                        code="zip_bomb",
                    )
            names = {e.filename.lower() for e in entries}
            if any("vbaproject" in n for n in names):
                raise ImportRejected(_("Workbooks with macros are not accepted."), code="macro")
            if "[content_types].xml" not in names or not any(
                n.startswith("xl/worksheets/") for n in names
            ):
                raise ImportRejected(_other_zip_content(archive, names), code="file_type")
            content_types = archive.read("[Content_Types].xml")
            if b"macroEnabled" in content_types:
                raise ImportRejected(_("Workbooks with macros are not accepted."), code="macro")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ImportRejected(_damaged_workbook(), code="xlsx_damaged") from exc


def _other_zip_content(archive: zipfile.ZipFile, names: set[str]) -> str:
    """What a zip archive named .xlsx holds instead of a workbook, in the user's words."""
    if any(n.startswith("word/") for n in names):
        return _("This is a Word document, not an Excel workbook. Copy the table into Excel.")
    if any(n.startswith("ppt/") for n in names):
        return _("This is a PowerPoint file, not an Excel workbook.")
    if "mimetype" in names and b"spreadsheet" in archive.read("mimetype")[:100]:
        return _(
            "This is an OpenDocument spreadsheet (.ods, from WPS or LibreOffice). Save it as "
            "“Excel Workbook (*.xlsx)” and upload that file."
        )
    return _(
        "This is a zip archive, not an Excel workbook. Unpack it and upload the .xlsx or .csv "
        "file inside."
    )


# Readers ---------------------------------------------------------------------------------

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that did not decode (surrogateescape)
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK"}
# Title rows may stand above the header (“某某社区居民花名册”): look this far for it.
HEADER_SEARCH_ROWS = 20


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        sample = handle.read(256 * 1024)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        sample.count(b"\x00") > len(sample) // 10
    ):
        raise ImportRejected(
            _(
                "The file is UTF-16 text (what Excel calls “Unicode Text”), not CSV. In "
                "Excel, save it as “CSV UTF-8 (comma delimited)” and upload that file."
            ),
            code="encoding",
        )
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # a character cut at the sample's end
            return "utf-8"
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            _(
                "The file's text is neither UTF-8 nor GBK (it may be Big5, Shift-JIS or a "
                "Western encoding). In Excel, save it as “CSV UTF-8 (comma delimited)” and "
                "upload that file."
            ),
            code="encoding",
        ) from exc


def iter_raw_rows(path: Path, kind: str) -> Iterator[tuple[int, list[Any]]]:
    """(row number as the user sees it, cell values) — streamed, never the whole file."""
    if kind == "csv":
        yield from _csv_rows(path)
    else:
        yield from _xlsx_rows(path, policy_get("people.import").max_columns)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    encoding = _detect_encoding(path)
    number = 0
    # Undecodable bytes become lone surrogates, so the row and cell they sit in can be named.
    with path.open("r", encoding=encoding, newline="", errors="surrogateescape") as handle:
        try:
            for number, row in enumerate(csv.reader(handle), start=1):  # noqa: B007
                if _UNDECODABLE.search("".join(row)):
                    _refuse_mixed_encoding(number, row, encoding)
                yield number, row
        except csv.Error as exc:
            if "field larger" in str(exc):
                message = _(
                    "Row %(row)d has a cell longer than %(n)s characters: this is not a table "
                    "of residents, or a quotation mark is never closed."
                ) % {"row": number + 1, "n": f"{csv.field_size_limit():,}"}
            else:
                message = _(
                    "Row %(row)d is not valid CSV (for example, a quotation mark that is "
                    "never closed). Open the file in Excel and save it again as “CSV UTF-8”."
                ) % {"row": number + 1}
            raise ImportRejected(message, code="csv") from exc


def _refuse_mixed_encoding(number: int, row: list[str], encoding: str) -> None:
    from openpyxl.utils import get_column_letter

    column = next(i for i, cell in enumerate(row) if _UNDECODABLE.search(cell))
    raise ImportRejected(
        _(
            "Row %(row)d, column %(column)s cannot be read as %(encoding)s text like the rows "
            "above it: the file mixes text encodings. Save the whole file again as “CSV "
            "UTF-8 (comma delimited)”."
        )
        % {
            "row": number,
            "column": get_column_letter(column + 1),
            "encoding": _ENCODING_NAMES.get(encoding, encoding),
        },
        code="encoding",
    )


def _xlsx_rows(path: Path, max_columns: int) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl  # defusedxml is installed, so openpyxl parses XML safely

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's fault
        raise _unreadable_workbook(exc) from exc
    number = 0
    try:
        if not workbook.worksheets:
            raise ImportRejected(
                _("The workbook has no worksheet: add one with the residents on it."),
                code="xlsx_no_sheet",
            )
        sheet = workbook.worksheets[0]
        # Read what the sheet holds, not what its (forgeable) dimension claims; one column
        # beyond the limit shows whether the header is too wide.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True, max_col=max_columns + 1)
        try:
            for number, row in enumerate(rows, start=1):  # noqa: B007
                yield number, list(row)
        except Exception as exc:  # noqa: BLE001 - sheets are parsed lazily, row by row
            raise _unreadable_workbook(exc, after_row=number) from exc
    finally:
        workbook.close()


def _unreadable_workbook(exc: Exception, *, after_row: int = 0) -> ImportRejected:
    from defusedxml import DefusedXmlException

    if isinstance(exc, ImportRejected):
        return exc
    if isinstance(exc, DefusedXmlException):
        return ImportRejected(
            _(
                "The workbook contains XML entity definitions, which Excel never writes and "
                "which are used to attack servers; it was not read."
            ),
            code="xlsx_unsafe",
        )
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError | SyntaxError | KeyError):
        if after_row:
            return ImportRejected(
                _(
                    "The workbook is damaged after row %(row)d (for example, a download or "
                    "copy was cut off). Open it in Excel or WPS; if it opens, save it again "
                    "and upload the new file."
                )
                % {"row": after_row},
                code="xlsx_damaged",
            )
        return ImportRejected(_damaged_workbook(), code="xlsx_damaged")
    return ImportRejected(
        _(
            "The workbook cannot be read: it contains parts that Excel does not write (it may "
            "come from another program, or be damaged). Open it in Excel or WPS, save it as "
            "“Excel Workbook (*.xlsx)” and upload it again."
        ),
        code="xlsx_unreadable",
    )


def _is_blank(cells: list[Any]) -> bool:
    return not any(c is not None and c != "" and clean_text(c) for c in cells)


def _row_text(cells: list[Any]) -> str:
    """A row's first cells, each short and with its numbers masked, to show what was read."""
    from gridgov.core.masking import mask_text

    texts = []
    for cell in cells[:10]:
        text = _LONG_NUMBER.sub(_mask_digits, mask_text(clean_text(cell)))
        if text:
            texts.append(text[:20])
    return " | ".join(texts)


_LONG_NUMBER = re.compile(r"\d{7,}")


def _mask_digits(match: re.Match) -> str:
    digits = match[0]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def header_map(header: list[Any], mapping: dict[str, str] | None = None) -> dict[int, str]:
    """Column index → canonical field, from the headers (and a saved mapping profile)."""
    layout = ColumnLayout(mapping=mapping or {})
    return layout.read_header(header)


def _aliases() -> dict[str, str]:
    return {alias.lower(): key for key, names in COLUMNS.items() for alias in names}


def column_label(index: int, header: str) -> str:
    """How a decision names a column: its header, or “#F” for column F without one."""
    from openpyxl.utils import get_column_letter

    return header or f"#{get_column_letter(index + 1)}"


def field_label(key: str) -> str:
    """Our column, as the template heads it."""
    return COLUMNS[key][0]


@dataclass
class ColumnLayout:
    """The file's columns and what becomes of each: it fills one of our fields, the uploader
    left it out, or it waits for their decision. Nothing is dropped silently: a header we
    do not know, a second column for a field already filled, and a column with data but
    no header all wait for a decision."""

    mapping: dict[str, str] = field(default_factory=dict)  # label → field, decided
    ignored: set[str] = field(default_factory=set)  # labels left out, decided
    fields: dict[int, str] = field(default_factory=dict)
    entries: dict[int, dict[str, str]] = field(default_factory=dict)
    width: int = 0
    max_columns: int = 200
    _watched: set[int] = field(default_factory=set)  # headerless columns not yet seen filled

    def read_header(self, header: list[Any]) -> dict[int, str]:
        from openpyxl.utils import column_index_from_string, get_column_letter

        aliases = _aliases()
        for source, target in self.mapping.items():
            if target in COLUMNS and not source.startswith("#"):
                aliases[source.strip().lower()] = target
        texts = [clean_text(cell) for cell in header]
        self.width = max((i + 1 for i, t in enumerate(texts) if t), default=0)
        self.fields, self.entries, self._watched = {}, {}, set()
        for source, target in self.mapping.items():  # decisions on columns without a header
            if source.startswith("#") and target in COLUMNS:
                try:
                    self.fields[column_index_from_string(source[1:]) - 1] = target
                except ValueError:
                    continue
        for index, text in enumerate(texts[: self.width]):
            label = column_label(index, text)
            entry = {"column": get_column_letter(index + 1), "header": text, "label": label}
            self.entries[index] = entry
            key = self.fields.get(index) or (aliases.get(text.lower()) if text else None)
            if key and key not in {k for i, k in self.fields.items() if i != index}:
                self.fields[index] = key
                entry.update(status="mapped", field=key)
            elif label in self.ignored:
                entry.update(status="ignored", field="")
            elif text:
                reason = "duplicate" if key else "unknown"
                entry.update(status="undecided", field="", reason=reason)
                entry["suggestion"] = "" if key else _suggest(text, set(self.fields.values()))
            else:
                self._watched.add(index)
        return self.fields

    def note_row(self, number: int, cells: list[Any]) -> None:
        """A headerless column waits for a decision as soon as a row has data in it."""
        for index in list(self._watched):
            if index < len(cells) and _filled(cells[index]):
                self._undecided_headerless(index)
        rest = cells[self.width :]
        if rest and rest.count(None) + rest.count("") != len(rest):
            for offset, cell in enumerate(rest):
                index = self.width + offset
                if index not in self.entries and index not in self.fields and _filled(cell):
                    if index >= self.max_columns:
                        from openpyxl.utils import get_column_letter

                        raise ImportRejected(
                            _(
                                "Row %(row)d has data in column %(column)s, beyond the "
                                "%(max)d columns an import reads (import policy)."
                            )
                            % {
                                "row": number,
                                "column": get_column_letter(index + 1),
                                "max": self.max_columns,
                            },
                            code="too_many_columns",
                        )
                    self._undecided_headerless(index)

    def _undecided_headerless(self, index: int) -> None:
        from openpyxl.utils import get_column_letter

        self._watched.discard(index)
        label = column_label(index, "")
        entry = {"column": get_column_letter(index + 1), "header": "", "label": label}
        if label in self.ignored:
            entry.update(status="ignored", field="")
        else:
            entry.update(status="undecided", field="", reason="no_header", suggestion="")
        self.entries[index] = entry

    def missing(self) -> list[str]:
        return [k for k in REQUIRED if k not in self.fields.values()]

    def as_list(self) -> list[dict[str, str]]:
        return [self.entries[i] for i in sorted(self.entries)]

    @property
    def undecided(self) -> list[dict[str, str]]:
        return [e for e in self.as_list() if e["status"] == "undecided"]


def _filled(cell: Any) -> bool:
    return cell is not None and cell != "" and bool(clean_text(cell))


def _suggest(header: str, taken: set[str]) -> str:
    """Our field whose name a header contains or is contained in (家庭住址 → 地址), if one
    is free: offered first, never applied without the uploader's decision."""
    best, length = "", 0
    lowered = header.lower()
    for key, names in COLUMNS.items():
        if key in taken:
            continue
        for name in names:
            if len(name) >= 2 and (name in lowered or lowered in name) and len(name) > length:
                best, length = key, len(name)
    return best


class ColumnsUndecided(Exception):
    """Required fields are missing while some columns wait for a decision: reading stops
    at the header until the uploader maps them."""


def _require_columns(layout: ColumnLayout) -> None:
    missing = layout.missing()
    if missing and layout.undecided:
        raise ColumnsUndecided(missing)
    if missing:
        labels = ", ".join(COLUMNS[k][0] for k in missing)
        raise ImportRejected(
            _("Missing column(s): %(columns)s.") % {"columns": labels}, code="missing_columns"
        )


def _is_header(found: dict[int, str]) -> bool:
    return len(found) >= 2 or "name" in found.values()


def _check_width(header: list[Any], max_columns: int) -> None:
    width = max((i + 1 for i, c in enumerate(header) if clean_text(c)), default=0)
    if width > max_columns:
        raise ImportRejected(
            _(
                "The header row has %(n)d columns, more than the %(max)d an import reads "
                "(import policy). Delete the columns you do not need and upload again."
            )
            % {"n": width, "max": max_columns},
            code="too_many_columns",
        )


def iter_records(
    path: Path, kind: str, mapping=None, layout: ColumnLayout | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    max_columns = policy_get("people.import").max_columns
    layout = layout or ColumnLayout(mapping=mapping or {})
    layout.max_columns = max_columns
    columns = None
    first_filled: tuple[int, list[Any]] | None = None
    searched = 0
    for number, cells in iter_raw_rows(path, kind):
        if columns is None:
            if _is_blank(cells):
                continue
            first_filled = first_filled or (number, cells)
            found = layout.read_header(cells)
            if _is_header(found):
                _check_width(cells, max_columns)
                _require_columns(layout)
                columns = found
                continue
            searched += 1
            if searched >= HEADER_SEARCH_ROWS:
                break
            continue
        first = clean_text(cells[0]) if cells else ""
        if _is_blank(cells) or first.startswith(NOTES_MARKERS):
            continue
        layout.note_row(number, cells)
        yield number, {key: cells[i] if i < len(cells) else None for i, key in columns.items()}
    if columns is None:
        _refuse_headless(kind, first_filled)


def _refuse_headless(kind: str, first_filled: tuple[int, list[Any]] | None) -> None:
    if first_filled is None:
        if kind == "xlsx":
            message = _(
                "The first worksheet is empty (an import reads the first worksheet only): put "
                "the column names in its first row and one resident per row below them."
            )
        else:
            message = _(
                "The file has no rows: put the column names in the first row and one "
                "resident per row below them."
            )
        raise ImportRejected(message, code="empty")
    number, cells = first_filled
    raise ImportRejected(
        _(
            "The file has no header row: row %(row)d, the first filled row, has none of the "
            "column names we know (姓名, 身份证号, 与户主关系 …); it reads “%(text)s”. Put "
            "the column names in the first row (see the template). If the text looks "
            "garbled, save the file as “CSV UTF-8”."
        )
        % {"row": number, "text": _row_text(cells)},
        code="no_header",
    )


# Validation ------------------------------------------------------------------------------


@dataclass
class RowPlan:
    row: int
    grid: OrgUnit
    household_number: str  # as the file gives it; "" when the import groups the row
    address: str
    household_kind: str
    values: dict[str, Any]
    tags: list[TagCategory]
    # The resident fields the file filled in (compared with a record already on file).
    provided: list[str] = field(default_factory=list)
    import_key: str = ""
    household_id: int | None = None  # a household on file the row joins


@dataclass
class Validator:
    actor: Any
    target_grid: OrgUnit | None = None
    grids: dict[str, OrgUnit | None] = field(default_factory=dict)
    tags: dict[str, TagCategory] = field(default_factory=dict)

    def __post_init__(self):
        sensitive_ok = privacy.actor_sees_sensitive_tags(self.actor)
        self.tags = {
            t.name: t
            for t in TagCategory.objects.filter(is_active=True, derived=False)
            if sensitive_ok or t.sensitivity == TagCategory.Sensitivity.NORMAL
        }
        if self.target_grid is not None:
            self.grids[self.target_grid.code] = self.grid(self.target_grid.code)
            self.target_grid = self.grids[self.target_grid.code]

    def grid(self, code: str) -> OrgUnit | None:
        if code not in self.grids:
            unit = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.GRID).first()
            if unit is not None and not path_in_scope(self.actor, unit.path, "people.import"):
                unit = None
            self.grids[code] = unit
        return self.grids[code]

    def relation(self, record: dict[str, Any]) -> str | None:
        """The relation of a row that failed other checks (it may still start a household)."""
        try:
            return parse_relation(record.get("relation"), Resident.Relation.choices, field_label="")
        except FieldInvalid:
            return None

    def check(self, row: int, record: dict[str, Any]) -> tuple[RowPlan | None, list[Problem]]:
        problems: list[Problem] = []

        def problem(column, rule, message):
            problems.append(Problem(row, column, rule, message))

        grid_code = clean_text(record.get("grid_code"))
        grid = self.grid(grid_code) if grid_code else self.target_grid
        if grid is None and grid_code:
            problem(
                "grid_code",
                "grid",
                _("No grid with code “%(code)s” in your scope.") % {"code": grid_code},
            )
        elif grid is None:
            problem(
                "grid_code",
                "grid",
                _("No grid code, and no grid was chosen for rows without one."),
            )
        for key, limit in (
            ("household_number", 32),
            ("address", 200),
            ("grid_code", 20),
            ("tags", 500),
        ):
            message = text_problem(record.get(key), max_length=limit)
            if message is None and len(clean_text(record.get(key))) > limit:
                message = too_long_message(limit, len(clean_text(record.get(key))))
            if message is not None:
                problem(key, "text", message)
        number = clean_text(record.get("household_number"))
        if "household_number" in record and not number:
            problem("household_number", "required", _("This field is required."))
        address = clean_text(record.get("address"))
        kind_text = clean_text(record.get("household_kind")) or "家庭户"
        kind = {
            "家庭户": "family",
            "集体户": "collective",
            "family": "family",
            "collective": "collective",
        }.get(kind_text)
        if kind is None:
            problem("household_kind", "choice", _("Use 家庭户 or 集体户."))
        data = {k: record.get(k) for k in FIELD_LABELS if k in record}
        provided = [k for k, v in data.items() if clean_text(v)]
        if not clean_text(data.get("id_type")):
            data["id_type"] = "resident_id" if clean_text(data.get("id_number")) else "none"
        data.setdefault("registration", "permanent")
        if not clean_text(data.get("registration")):
            data["registration"] = "permanent"
        values, errors = clean_resident(
            {k: v for k, v in data.items()}, purpose="registry", strict=False
        )
        for key, messages in errors.items():
            for message in messages:
                problem(key, "value", message)
        tags = []
        for name in [
            t.strip()
            for t in clean_text(record.get("tags")).replace("，", ",").split(",")
            if t.strip()
        ]:
            if name in self.tags:
                tags.append(self.tags[name])
            else:
                problem("tags", "tag", _("Unknown tag “%(t)s”.") % {"t": name})
        if problems:
            return None, problems
        return RowPlan(row, grid, number, address, kind, values, tags, provided), []


# Running a job --------------------------------------------------------------------------


def field_choices() -> list[tuple[str, str]]:
    """Our columns as a column of the file may be mapped to them (key, label)."""
    return [(key, f"{names[0]} · {key.replace('_', ' ')}") for key, names in COLUMNS.items()]


def decisions_split(columns: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """“Their column = our field or ignore” decisions as (mapping, ignored labels)."""
    from gridgov.core.errors import ValidationFailed

    ours = {alias.lower(): key for key, names in COLUMNS.items() for alias in [key, *names]}
    mapping, ignored, errors = {}, [], {}
    for label, choice in columns.items():
        choice = clean_text(choice).lower()
        if choice == IGNORE:
            ignored.append(clean_text(label))
        elif choice in ours:
            mapping[clean_text(label)] = ours[choice]
        else:
            errors[label] = [_("Choose one of our columns, or leave the column out.")]
    if errors:
        raise ValidationFailed(details=errors)
    return mapping, ignored


def job_create(
    *,
    actor,
    upload_path: Path,
    file_name: str,
    mode: str,
    mapping: dict[str, str] | None = None,
    target_grid: str = "",
    grouping: str = ImportJob.Grouping.RELATION,
    ignored_columns: list[str] | None = None,
) -> ImportJob:
    """Check the file and queue the job (the caller enqueues ``run_import``).

    ``target_grid`` (a grid code) is the grid of rows without a grid code; by default the
    uploader's own grid when their scope holds exactly one. ``grouping`` says how rows
    without a household number form households."""
    import hashlib

    kind = inspect_upload(upload_path, file_name)
    if mode not in ImportJob.Mode.values:
        raise ImportRejected(_("Choose an import mode."))
    scope = actor.scope_paths("people.import")
    if not scope:
        from gridgov.core.errors import PermissionDenied

        raise PermissionDenied()
    grid = _target_grid(actor, target_grid)
    if grouping not in ImportJob.Grouping.values:
        raise ImportRejected(_("Choose how rows form households."), code="grouping")
    settings.UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    stored = settings.UPLOAD_DIR / f"{uuid.uuid4().hex}.{kind}"
    digest = hashlib.sha256()
    with upload_path.open("rb") as source, stored.open("wb") as target:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            target.write(chunk)
    stored.chmod(0o600)
    return ImportJob.objects.create(
        created_by=actor,
        scope_path=scope[0],
        file_name=file_name[:200],
        stored_path=str(stored),
        file_sha256=digest.hexdigest(),
        mode=mode,
        mapping=mapping or {},
        language=translation.get_language() or "",
        target_grid=grid,
        grouping=grouping,
        ignored_columns=ignored_columns or [],
    )


def _target_grid(actor, code: str) -> OrgUnit | None:
    grids = selectors.import_target_grids(actor=actor)
    if code:
        grid = grids.filter(code=clean_text(code)).first()
        if grid is None:
            raise ImportRejected(
                _("No grid with code “%(code)s” in your scope.") % {"code": clean_text(code)},
                code="grid",
            )
        return grid
    own = list(grids[:2])
    return own[0] if len(own) == 1 else None


def job_start(
    *,
    actor,
    upload,
    mode: str,
    mapping: dict | None = None,
    target_grid: str = "",
    grouping: str = ImportJob.Grouping.RELATION,
    ignored_columns: list[str] | None = None,
) -> ImportJob:
    """Save the upload to a temporary file, check it, create the job and queue it."""
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix) as temp:
        for chunk in upload.chunks():
            temp.write(chunk)
        temp.flush()
        job = job_create(
            actor=actor,
            upload_path=Path(temp.name),
            file_name=upload.name,
            mode=mode,
            mapping=mapping,
            target_grid=target_grid,
            grouping=grouping,
            ignored_columns=ignored_columns,
        )
    from gridgov.people.tasks import run_import_task

    run_import_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def run_import(job: ImportJob) -> ImportJob:
    """Validate, then write in batches. Safe to run again after a crash."""
    with policies_cached(), translation.override(job.language or settings.LANGUAGE_CODE):
        job = _run_import(job)
    if job.status in {ImportJob.Status.DONE, ImportJob.Status.REJECTED}:
        # The uploaded file holds personal data: it goes once the job is over (H2).
        Path(job.stored_path).unlink(missing_ok=True)
    if job.status == ImportJob.Status.DONE and job.created_rows >= REFRESH_STATISTICS_ROWS:
        refresh_statistics()
    return job


def refresh_statistics() -> None:
    """After a large import, refresh the planner's statistics and the visibility map, so
    scoped lists and counts use their indexes at once instead of after autovacuum."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in ("people_resident", "people_household", "people_residenttag"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def _run_import(job: ImportJob) -> ImportJob:
    actor = job.created_by
    path = Path(job.stored_path)
    kind = "xlsx" if path.suffix == ".xlsx" else "csv"
    # Pass 1 spools every row to disk, so the whole-file checks run in bounded memory and
    # pass 2 neither re-validates nor holds the file in memory.
    with Spool(path.parent) as spool:
        try:
            _set(job, status=ImportJob.Status.VALIDATING)
            validator = Validator(actor, target_grid=job.target_grid)
            problems: list[Problem] = []

            def report(row: int, column: str, rule: str, message: str) -> None:
                if len(problems) < MAX_PROBLEMS:
                    problems.append(Problem(row, column, rule, message))

            layout = ColumnLayout(mapping=job.mapping, ignored=set(job.ignored_columns))
            try:
                total, grouping = _read_into(spool, job, path, kind, validator, report, layout)
            except ColumnsUndecided as exc:
                labels = ", ".join(field_label(k) for k in exc.args[0])
                message = _(
                    "Missing column(s): %(columns)s. Say below which of the file's columns "
                    "holds it, then check again."
                ) % {"columns": labels}
                _set(job, columns=layout.as_list(), status=ImportJob.Status.DECIDE, message=message)
                return job
            job.columns = layout.as_list()
            spool.settle(actor=actor, job=job, grouping=grouping, report=report)
            problems.sort(key=lambda p: p.row)
            job.total_rows = total
            job.rejected_rows = spool.count("rejected")
            job.unchanged_rows = spool.count("unchanged")
            job.problems = [p.as_dict() for p in problems]
            job.households = spool.households(grouping or "number")
            job.sample = [
                _preview_row(spooled, validator)
                for spooled, _n in zip(spool.new_rows(), range(PREVIEW_ROWS), strict=False)
            ]
            if layout.undecided:
                # Nothing is dropped silently: the import waits until every column is
                # mapped or left out by the uploader.
                message = _(
                    "%(n)d column(s) of the file are not used yet: map each to one of our "
                    "columns or leave it out, then check again."
                ) % {"n": len(layout.undecided)}
                _set(job, status=ImportJob.Status.DECIDE, message=message)
                return job
            if job.mode == ImportJob.Mode.PREVIEW:
                _set(job, status=ImportJob.Status.CHECKED, message="")
                return job
            rejected = job.rejected_rows
            if rejected and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
                message = _("Nothing was imported: %(n)d row(s) have errors.") % {"n": rejected}
                _set(
                    job,
                    status=ImportJob.Status.REJECTED,
                    finished_at=timezone.now(),
                    message=message,
                )
                return job
            _set(
                job,
                status=ImportJob.Status.IMPORTING,
                processed_rows=job.rejected_rows + job.unchanged_rows,
                created_rows=0,
            )
            batch: list[RowPlan] = []
            for spooled in spool.new_rows():
                batch.append(_plan_from(spooled, validator))
                if len(batch) >= BATCH:
                    _write_batch(job, batch, actor)
                    batch = []
            if batch:
                _write_batch(job, batch, actor)
            _set(
                job, status=ImportJob.Status.DONE, finished_at=timezone.now(), processed_rows=total
            )
        except ImportRejected as exc:
            _set(
                job,
                status=ImportJob.Status.REJECTED,
                finished_at=timezone.now(),
                message=str(exc.message)[:500],
            )
    return job


MAX_PROBLEMS = 10_000
RELATION_COLUMN = "relation"


def _read_into(
    spool: Spool, job: ImportJob, path: Path, kind: str, validator, report, layout: ColumnLayout
):
    """Pass 1: validate every row and spool it, grouping rows without a household number
    into households as they come (a 户主 row starts one). Returns (rows, grouping), the
    grouping None when the file gives household numbers."""
    limits = policy_get("people.import")
    total = 0
    grouping: str | None = None
    group: int | None = None  # the household the next member row joins (relation order)
    head_key = ""
    for row, record in iter_records(path, kind, layout=layout):
        total += 1
        if total > limits.max_rows:
            raise ImportRejected(
                _("The file has more than %(n)d rows (import policy); split it into smaller files.")
                % {"n": limits.max_rows},
                code="too_many_rows",
            )
        if total == 1:
            grouping = None if "household_number" in record else job.grouping
        plan, row_problems = validator.check(row, record)
        relation = plan.values["relation"] if plan else validator.relation(record)
        is_head = relation == "head"
        address = plan.address if plan else clean_text(record.get("address"))[:200]
        member_of = None
        if grouping == ImportJob.Grouping.RELATION:
            if is_head:
                group, head_key = row, ""
            elif group is None:
                row_problems.append(
                    Problem(
                        row,
                        RELATION_COLUMN,
                        "household",
                        _(
                            "Cannot be grouped: no 户主 (or 本人) row above this row. Put "
                            "each household's 户主 first, with its members below."
                        ),
                    )
                )
            member_of = group
        elif grouping == ImportJob.Grouping.ADDRESS and not address:
            row_problems.append(
                Problem(
                    row,
                    "address",
                    "household",
                    _("Cannot be grouped: the row has no address."),
                )
            )
        for problem in row_problems:
            report(problem.row, problem.column, problem.rule, problem.message)
        if plan is None or row_problems:
            grid = validator.target_grid
            spool.add(
                row=row,
                grid=clean_text(record.get("grid_code")) or (grid.code if grid else ""),
                number=clean_text(record.get("household_number"))[:32],
                group=member_of,
                is_head=is_head,
                address=address,
            )
            continue
        values = plan.values
        if grouping is None:
            household = plan.household_number
        elif grouping == ImportJob.Grouping.ADDRESS:
            household = f"address:{address}"
        else:
            household = "head" if is_head else f"head:{head_key}"
        key = person_key(
            id_number=values.get("id_number"),
            grid=plan.grid.code,
            household=household,
            name=values["name"],
            born=values["birth_date"],
        )
        if is_head:
            head_key = key
        spool.add(
            row=row,
            grid=plan.grid.code,
            number=plan.household_number,
            group=member_of,
            is_head=is_head,
            address=address,
            import_key=key,
            has_id=bool(values.get("id_number")),
            name=values["name"],
            body=encode_body(
                values,
                row=row,
                import_key=key,
                grid=plan.grid.code,
                kind=plan.household_kind,
                tags=[t.name for t in plan.tags],
                provided=plan.provided,
            ),
        )
    return total, grouping


def _plan_from(spooled: SpooledRow, validator: Validator) -> RowPlan:
    body = spooled.body
    return RowPlan(
        row=body["row"],
        grid=validator.grid(body["grid"]),
        household_number=spooled.number,
        address=spooled.household_address,
        household_kind=body["kind"],
        values=decode_values(body),
        tags=[validator.tags[t] for t in body["tags"]],
        provided=body["provided"],
        import_key=body["import_key"],
        household_id=spooled.household_id,
    )


def _preview_row(spooled: SpooledRow, validator: Validator) -> dict[str, str]:
    from gridgov.core.masking import mask_id_number, mask_phone

    values = spooled.body["values"]
    return {
        "row": str(spooled.body["row"]),
        "grid": spooled.body["grid"],
        "household": spooled.number,
        "address": spooled.household_address,
        "name": values.get("name", ""),
        "birth_date": str(values.get("birth_date", "")),
        "id_number": mask_id_number(values["id_number"]) if values.get("id_number") else "",
        "phone": mask_phone(values["phone"]) if values.get("phone") else "",
        "tags": "、".join(spooled.body["tags"]),
    }


def job_configure(
    *,
    actor,
    job: ImportJob,
    columns: dict[str, str] | None = None,
    target_grid: str | None = None,
    grouping: str | None = None,
    mode: str = ImportJob.Mode.PREVIEW,
) -> ImportJob:
    """The uploader's decisions after a check: what each column is (one of our fields by
    its key or template header, or ``"ignore"``), the grid of rows without one, how rows
    form households. The file is checked again (and imported if ``mode`` says so)."""
    from gridgov.core.errors import Conflict, NotFound, ValidationFailed

    if job.created_by_id != actor.pk:
        raise NotFound()
    if job.status not in {ImportJob.Status.CHECKED, ImportJob.Status.DECIDE}:
        raise Conflict(_("This import is not waiting for a decision."))
    if mode not in ImportJob.Mode.values:
        raise ValidationFailed(details={"mode": [_("Choose an import mode.")]})
    labels = {c["label"] for c in job.columns}
    ours = {alias.lower(): key for key, names in COLUMNS.items() for alias in [key, *names]}
    mapping, ignored = dict(job.mapping), set(job.ignored_columns)
    errors: dict[str, list[str]] = {}
    for label, choice in (columns or {}).items():
        choice = clean_text(choice)
        if label not in labels:
            errors[label] = [_("The file has no such column.")]
        elif choice.lower() == IGNORE:
            mapping.pop(label, None)
            ignored.add(label)
        elif choice.lower() in ours:
            mapping[label] = ours[choice.lower()]
            ignored.discard(label)
        else:
            errors[label] = [_("Choose one of our columns, or leave the column out.")]
    chosen = [mapping[label] for label in (columns or {}) if label in mapping]
    for key in {k for k in chosen if chosen.count(k) > 1}:
        errors.setdefault(field_label(key), []).append(
            _("Two columns cannot both fill %(field)s.") % {"field": field_label(key)}
        )
    if grouping is not None and grouping not in ImportJob.Grouping.values:
        errors["grouping"] = [_("Choose how rows form households.")]
    if errors:
        raise ValidationFailed(details=errors)
    grid = _target_grid(actor, target_grid) if target_grid else job.target_grid
    updated = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        mapping=mapping,
        ignored_columns=sorted(ignored),
        target_grid=grid,
        grouping=grouping or job.grouping,
        mode=mode,
        status=ImportJob.Status.QUEUED,
        message="",
    )
    if not updated:
        raise Conflict()
    from gridgov.people.tasks import run_import_task

    run_import_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def job_proceed(*, actor, job: ImportJob, mode: str) -> ImportJob:
    """After a preview, import the same file for real (all-or-nothing or valid rows)."""
    from gridgov.core.errors import Conflict

    if job.created_by_id != actor.pk:
        from gridgov.core.errors import NotFound

        raise NotFound()
    if job.status != ImportJob.Status.CHECKED or mode not in {
        ImportJob.Mode.ALL_OR_NOTHING,
        ImportJob.Mode.VALID_ROWS,
    }:
        raise Conflict(_("This import is not waiting for a go-ahead."))
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
        mode=mode, status=ImportJob.Status.QUEUED
    )
    if not updated:
        raise Conflict()
    from gridgov.people.tasks import run_import_task

    run_import_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _set(job: ImportJob, **fields) -> None:
    for key, value in fields.items():
        setattr(job, key, value)
    job.save()


def _write_batch(job: ImportJob, batch: list[RowPlan], actor) -> None:
    with transaction.atomic():
        keys = [p.import_key for p in batch]
        # Pass 1 found these rows new; a concurrent run of the same job (or another import)
        # may have written some since.
        existing = set(
            Resident.objects.filter(import_key__in=keys).values_list("import_key", flat=True)
        )
        residents, histories, tags, seen = [], [], [], set()
        for plan in batch:
            if plan.import_key in existing or plan.import_key in seen:
                continue
            seen.add(plan.import_key)
            resident = Resident(
                uid=uuid.uuid4(),
                scope_path=plan.grid.path,
                id_type=plan.values.get("id_type", "none"),
                registration=plan.values.get("registration", "permanent"),
                import_key=plan.import_key,
            )
            apply_values(resident, plan.values)  # also sets the pinyin initials
            residents.append((resident, plan))
        indexes = [r.id_number_index for r, _p in residents if r.id_number_index]
        taken = set(
            Resident.objects.filter(id_number_index__in=indexes).values_list(
                "id_number_index", flat=True
            )
        )
        fresh, duplicates = [], []
        for resident, plan in residents:
            if resident.id_number_index and resident.id_number_index in taken:
                duplicates.append(plan.row)
                continue
            fresh.append((resident, plan))
        # Households are made for the rows that are written, never for skipped ones.
        households, created = _households_for([p for _r, p in fresh], job)
        for resident, plan in fresh:
            resident.household = households[_household_key(plan)]
        # Conflicts are skipped: a concurrent run of the same job may have inserted a row first.
        insert_many(Resident, [r for r, _p in fresh])
        stored = {
            r.uid: r.pk
            for r in Resident.objects.filter(uid__in=[r.uid for r, _p in fresh]).only("pk", "uid")
        }
        fresh = [(r, p) for r, p in fresh if r.uid in stored]
        if created:
            Household.objects.filter(uid__in=created, members__isnull=True).delete()
        for resident, plan in fresh:
            resident.pk = stored[resident.uid]
            histories.append(
                ResidentHistory(
                    resident=resident,
                    version=1,
                    action="import",
                    changes={"job": str(job.uid)},
                    actor_name=actor.get_username(),
                )
            )
            tags += [
                ResidentTag(
                    resident=resident,
                    category=t,
                    scope_path=resident.scope_path,
                    source=_("import"),
                    set_by=actor,
                )
                for t in plan.tags
            ]
        insert_many(ResidentHistory, histories)
        insert_many(ResidentTag, tags)
        for row in duplicates:
            if len(job.problems) < MAX_PROBLEMS:
                job.problems.append(
                    Problem(
                        row,
                        "id_number",
                        "on_file",
                        _("This ID number was registered elsewhere while the file was imported."),
                    ).as_dict()
                )
        job.processed_rows += len(batch)
        job.created_rows += len(fresh)
        job.unchanged_rows += len(batch) - len(fresh) - len(duplicates)
        job.rejected_rows += len(duplicates)
        job.save(
            update_fields=[
                "processed_rows",
                "created_rows",
                "unchanged_rows",
                "rejected_rows",
                "problems",
            ]
        )
        audit_record(
            "people.import",
            actor=actor,
            target=job,
            changes={
                "batch_rows": len(batch),
                "created": len(fresh),
                "duplicates": len(duplicates),
                "file_sha256": job.file_sha256,
            },
        )


def _household_key(plan: RowPlan) -> tuple:
    if plan.household_id:
        return ("on_file", plan.household_id)
    return (plan.grid.pk, plan.household_number)


def _households_for(batch: list[RowPlan], job: ImportJob) -> tuple[dict[tuple, Household], set]:
    """The household of each row (found or created), and the uids of those created now."""
    found: dict[tuple, Household] = {
        ("on_file", h.pk): h
        for h in Household.objects.filter(pk__in={p.household_id for p in batch if p.household_id})
    }
    wanted = {_household_key(p): p for p in batch if not p.household_id}
    if not wanted:
        return found, set()

    def lookup() -> dict[tuple, Household]:
        return {
            (h.grid_id, h.number): h
            for h in Household.objects.filter(
                grid_id__in={k[0] for k in wanted}, number__in={k[1] for k in wanted}
            )
        }

    by_number = lookup()
    missing = [
        Household(
            uid=uuid.uuid4(),
            grid=p.grid,
            scope_path=p.grid.path,
            number=p.household_number,
            address=p.address,
            kind=p.household_kind,
            import_job=job,
        )
        for key, p in wanted.items()
        if key not in by_number
    ]
    created: set = set()
    if missing:
        Household.objects.bulk_create(missing, batch_size=BATCH, ignore_conflicts=True)
        by_number = lookup()
        created = {h.uid for h in missing} & {h.uid for h in by_number.values()}
    found.update(by_number)
    return found, created


def column_mapping_save(*, actor, name: str, text: str):
    """Save “their header = our column” lines (our column by its Chinese header or key)."""
    from gridgov.people.models import ColumnMapping

    scope = actor.scope_paths("people.import")
    if not scope:
        from gridgov.core.errors import PermissionDenied

        raise PermissionDenied()
    name = clean_text(name)[:60]
    ours = {alias.lower(): key for key, names in COLUMNS.items() for alias in [key, *names]}
    mapping, errors = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        theirs, _sep, target = line.partition("=")
        key = ours.get(clean_text(target).lower())
        if not clean_text(theirs) or key is None:
            errors.append(_("Line %(n)d: write “their header = our column”.") % {"n": number})
            continue
        mapping[clean_text(theirs)] = key
    if not name:
        errors.append(_("Give the mapping a name."))
    if errors or not mapping:
        from gridgov.core.errors import ValidationFailed

        raise ValidationFailed(details={"mapping": errors or [_("Add at least one line.")]})
    profile, _created = ColumnMapping.objects.update_or_create(
        scope_path=scope[0], name=name, defaults={"mapping": mapping, "created_by": actor}
    )
    return profile


def template_xlsx() -> bytes:
    """The downloadable template: Chinese headers, a notes row, one example row."""
    workbook = XlsxWriter()
    sheet = workbook.sheet("居民信息", text=True)  # text, so Excel keeps long ID numbers intact
    keys = list(COLUMNS)
    sheet.append([COLUMNS[k][0] for k in keys])
    sheet.append([f"说明：{TEMPLATE_NOTES[keys[0]]}", *[TEMPLATE_NOTES[k] for k in keys[1:]]])
    example = {
        "grid_code": "310104003001001",
        "household_number": "H0001",
        "address": "宛平南路一小区 1号楼 1单元 101室",
        "household_kind": "家庭户",
        "name": "张三",
        "sex": "",
        "birth_date": "",
        "ethnicity": "汉族",
        "id_type": "居民身份证",
        "id_number": "",
        "phone": "",
        "relation": "户主",
        "registration": "户籍人口",
        "residence": "在住",
        "occupation": "退休",
        "education": "高中",
        "tags": "独居老人",
    }
    sheet.append([example[k] for k in keys])
    return workbook.to_bytes()


def problems_xlsx(job: ImportJob) -> bytes:
    """The per-row/per-column validation report."""
    workbook = XlsxWriter()
    sheet = workbook.sheet(_("Validation report"))
    sheet.append([_("Row"), _("Column"), pgettext("import check", "Rule"), _("Problem")])
    for p in readable_problems(job.problems):
        sheet.append([p["row"], p["column_label"], p["rule_label"], str(p["message"])])
    return workbook.to_bytes()
