"""Administrative codes: GB/T 2260 (province, city, district), the statistics office's
9-digit street and 12-digit community codes, and our 15-digit grid codes (community
code + 3 digits). Each code starts with its parent's code."""

from __future__ import annotations

from gridgov.org.models import OrgUnit

L = OrgUnit.Level
CODE_LENGTH = {L.PROVINCE: 2, L.CITY: 4, L.DISTRICT: 6, L.STREET: 9, L.COMMUNITY: 12, L.GRID: 15}
LEVEL_ORDER = [L.PROVINCE, L.CITY, L.DISTRICT, L.STREET, L.COMMUNITY, L.GRID]
CHILD_LEVEL = dict(zip(LEVEL_ORDER[:-1], LEVEL_ORDER[1:], strict=True))


def normalise_code(code: str, level: str) -> str:
    """Accept the 6-digit GB/T 2260 spelling of provinces and cities (110000, 110100)."""
    code = code.strip()
    if level == L.PROVINCE and len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if level == L.CITY and len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def code_problem(code: str, level: str, parent_code: str | None) -> str | None:
    """None when the code is well formed for its level and parent, else the reason."""
    from django.utils.translation import gettext as _

    expected = CODE_LENGTH[level]
    if not code.isascii() or not code.isdigit() or len(code) != expected:
        return _("the code must have exactly %(n)d digits") % {"n": expected}
    if parent_code is not None and not code.startswith(parent_code):
        return _("the code %(code)s does not start with its parent's code %(parent)s") % {
            "code": code,
            "parent": parent_code,
        }
    return None
