"""Masking of personal data for screens, exports and logs."""

from __future__ import annotations

import logging
import re

from gridgov.core.request_context import current_request_id

# 18-digit resident ID (last char may be X) and mainland mobile numbers.
_ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_id_number(value: str) -> str:
    """``110105194912310021`` → ``110105********0021``."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(text: str) -> str:
    """Mask every ID or mobile number that appears inside free text."""
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3), text)
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
