"""Reading uploaded CSV text as Excel in China writes it: UTF-8, UTF-8 with BOM, or GBK."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejected


def decode_bytes(raw: bytes, *, source: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312.
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            _("%(source)s: the file is neither UTF-8 nor GBK text.") % {"source": source},
            details=[{"file": source, "line": None, "field": None, "message": str(exc)}],
        ) from exc


def read_csv_rows(
    path: Path, *, required: list[str], max_bytes: int = 50 * 1024 * 1024
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) with surrounding spaces stripped; the header is checked."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportRejected(
            _("%(source)s: the file is larger than %(mb)d MB.")
            % {"source": path.name, "mb": max_bytes // (1024 * 1024)}
        )
    text = decode_bytes(path.read_bytes(), source=path.name)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected(
            _("%(source)s: missing column(s) %(columns)s.")
            % {"source": path.name, "columns": ", ".join(missing)},
            details=[
                {"file": path.name, "line": 1, "field": c, "message": "missing column"}
                for c in missing
            ],
        )
    reader.fieldnames = header
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if None in row:
            clean["__extra__"] = "1"
        yield reader.line_num, clean
