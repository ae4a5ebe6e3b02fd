"""Masking of personal data for screens, exports and logs."""

from __future__ import annotations

import logging
import math
import re
from datetime import date

from gridgov.core.request_context import current_request_id

# 18-digit resident ID (last char may be X), 15-digit first-generation ID (region, then a
# YYMMDD birth date: a 15-digit grid code such as 310104003001001 is no date and stays as
# it is), and mainland mobile numbers.
_ID_RE = re.compile(
    r"(?<!\d)(\d{6})(\d{8}\d{3}[\dXx]|\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
    r"(?![\dXx])"
)
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# The mask of earlier versions (region + 8 stars + last four), still found in stored text.
_OLD_ID_MASK_RE = re.compile(r"(?<!\d)(\d{6})\*{8}\d{3}[\dXx](?![\dXx])")


def mask_id_number(value: str) -> str:
    """``110105194912310021`` → ``110105************``.

    Only the region code stays: it is guessable from the address anyway. The birth date,
    the sequence number and the check digit are all hidden, so that together with what a
    role without ``people.reveal`` sees (birth year, sex) hundreds of thousands of numbers
    remain possible (docs/registry.md, "Threat model of the masked ID number")."""
    if len(value) < 15:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 6)


def mask_birth_date(value: date | None) -> str:
    """The birth year only (``1949``): what roles without ``people.reveal`` see, since the
    full date is eight digits of the ID number."""
    return str(value.year) if value else ""


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(text: str) -> str:
    """Mask every ID or mobile number that appears inside free text (and re-mask IDs
    masked the earlier, reversible way)."""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _OLD_ID_MASK_RE.sub(lambda m: m.group(1) + "*" * 12, text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class MaskPersonalDataFilter(logging.Filter):
    """Masks ID/phone numbers in every log line and adds the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                record.msg = str(record.msg)
            record.args = None
        record.msg = mask_text(str(record.msg))
        return True


def mask_name(value: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``: enough to recognise, not to identify."""
    return value[:1] + "*" * (len(value) - 1) if value else ""


def coarsen_point(lon: float, lat: float, metres: int) -> tuple[float, float]:
    """The centre of the square cell of side ``metres`` that holds the point: latitude in
    steps of ``metres``/111,320 degrees, longitude in steps of ``metres`` at the cell's
    latitude. Every point of a cell gives the same answer, so nothing finer leaks."""
    lat_step = metres / 111_320
    lat_low = math.floor(lat / lat_step) * lat_step
    lon_step = metres / (111_320 * math.cos(math.radians(lat_low + lat_step / 2)))
    lon_low = math.floor(lon / lon_step) * lon_step
    return round(lon_low + lon_step / 2, 6), round(lat_low + lat_step / 2, 6)
