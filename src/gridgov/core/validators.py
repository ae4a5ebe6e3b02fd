"""Validators every app's input uses: the field error they raise, the text clean-up, and
phone numbers. App-specific rules (ID numbers, relations) stay in their app."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from gridgov.core.text import remove_forbidden

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_FIXED = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


class FieldInvalid(ValueError):
    def __init__(self, message: str, *, rule: str):
        super().__init__(message)
        self.message = message
        self.rule = rule


def clean_text(value) -> str:
    """NFKC (full-width → half-width), trimmed, inner whitespace collapsed, without the
    characters no stored text may hold (values to store are checked for them first, see
    ``core.text.text_problem``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", remove_forbidden(str(value)))
    return re.sub(r"\s+", " ", text).strip()


def normalise_phone(raw) -> str:
    """Mainland mobile (11 digits, 1[3-9]…) after removing +86/0086, spaces and dashes;
    or a fixed line with its area code, e.g. 021-64381234."""
    if isinstance(raw, float):
        raw = int(raw)
    text = clean_text(raw).replace(" ", "").replace("(", "").replace(")", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    compact = text.replace("-", "")
    if _MOBILE.match(compact):
        return compact
    if _FIXED.match(text) or _FIXED.match(compact):
        return text if "-" in text else compact
    raise FieldInvalid(
        _("Enter an 11-digit mobile number or a fixed line with its area code."), rule="phone"
    )


# The box a point in China lies in (WGS-84 degrees): a coarse check that catches swapped or
# mistyped coordinates; the grids decide where a point belongs.
CHINA_BOX = (("lon", 73.0, 136.0), ("lat", 3.0, 54.0))


def china_point(data: dict, errors: dict) -> dict[str, float]:
    """{"lon": …, "lat": …} read from ``data``; a missing, non-numeric or out-of-China value
    puts the reason in ``errors`` under its key (and leaves it out)."""
    point = {}
    for key, low, high in CHINA_BOX:
        try:
            value = float(data.get(key))
            if not low <= value <= high:  # also refuses NaN
                raise ValueError
        except (TypeError, ValueError):
            errors[key] = [_("Enter a point in China (longitude, latitude in degrees).")]
        else:
            point[key] = value
    return point
