"""Validation and normalisation of registry fields, including the artefacts Excel leaves
behind (scientific-notation IDs, serial-number dates, full-width digits, stray spaces).

Each check returns a normalised value or raises ``FieldInvalid`` with a translated message
that names the rule; importers add the row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

# Shared with the other apps' forms and imports.
from gridgov.core.validators import FieldInvalid, clean_text, normalise_phone  # noqa: F401

_EXCEL_EPOCH = date(1899, 12, 30)
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "M" or "F"


@lru_cache(maxsize=8192)
def _region_known(region: str, year: int) -> bool:
    """Whether a 6-digit region code existed in that year (python-stdnum's table; cached
    because it is the slow part of checking an ID and few codes repeat many times)."""
    try:
        ric.get_birth_place(f"{region}{year:04d}0101" + "0000")
    except (InvalidComponent, KeyError):  # KeyError: a code that is not a county
        return False
    return True


def _validate_ric(number: str) -> str:
    """``stdnum.cn.ric.validate`` with the region lookup cached."""
    if len(number) != 18:
        raise InvalidLength()
    if not number[:-1].isdigit():
        raise InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    birth = ric.get_birth_date(number)
    if not _region_known(number[:6], birth.year):
        raise InvalidComponent()
    return number


def parse_resident_id(raw) -> ResidentId:
    """An 18-digit resident ID (GB 11643: ISO 7064 MOD 11-2 check digit), or a legacy
    15-digit one converted to 18 digits."""
    if isinstance(raw, float):
        raise FieldInvalid(
            _(
                "Excel stored the ID as a number and lost its last digits; "
                "format the column as text."
            ),
            rule="id_scientific",
        )
    text = clean_text(raw).replace(" ", "").replace("-", "").upper()
    if _SCIENTIFIC.match(text):
        raise FieldInvalid(
            _(
                "The ID was turned into scientific notation by Excel (e.g. 1.10105E+17); "
                "format the column as text and enter it again."
            ),
            rule="id_scientific",
        )
    if len(text) == 15 and text.isdigit():
        body = text[:6] + "19" + text[6:]
        text = body + ric.calc_check_digit(body + "0")
    try:
        number = _validate_ric(text)
    except InvalidLength as exc:
        raise FieldInvalid(
            _("A resident ID has 18 characters (or 15 for old cards)."), rule="id_length"
        ) from exc
    except InvalidChecksum as exc:
        raise FieldInvalid(
            _("The check digit of this ID is wrong (GB 11643)."), rule="id_checksum"
        ) from exc
    except InvalidComponent as exc:
        raise FieldInvalid(
            _("The birth date or region code in this ID is not valid."), rule="id_component"
        ) from exc
    except ValidationError as exc:
        raise FieldInvalid(_("This is not a valid resident ID."), rule="id_format") from exc
    birth = ric.get_birth_date(number)
    if birth > date.today():
        raise FieldInvalid(_("The birth date in this ID is in the future."), rule="id_component")
    return ResidentId(number, birth, "M" if int(number[16]) % 2 else "F")


def normalise_other_id(raw) -> str:
    text = clean_text(raw).replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z0-9]{5,20}", text):
        raise FieldInvalid(_("An ID number has 5–20 letters or digits."), rule="id_format")
    return text


def parse_date(raw) -> date:
    """ISO dates, 2024/5/1, 20240501, Chinese 2024年5月1日, or an Excel serial number."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 1 <= raw < 80_000 and float(raw).is_integer():
            return _EXCEL_EPOCH + timedelta(days=int(raw))
        raise FieldInvalid(_("This number is not a date."), rule="date")
    text = clean_text(raw)
    if re.fullmatch(r"\d{1,5}(\.0+)?", text):
        return parse_date(float(text))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not match:
        raise FieldInvalid(_("Enter a date like 1980-05-01."), rule="date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise FieldInvalid(_("This date does not exist."), rule="date") from exc


_VARIANTS: dict[tuple[str, ...], tuple[tuple[str, frozenset[str]], ...]] = {}


def _choice_variants(choices) -> tuple[tuple[str, frozenset[str]], ...]:
    """Accepted spellings per choice, computed once per choice list (keyed by its values,
    so lazy labels are not translated again for every row)."""
    key = tuple(value for value, _label in choices)
    if key not in _VARIANTS:
        _VARIANTS[key] = tuple(
            (value, frozenset(_label_variants(label) | {value.lower()})) for value, label in choices
        )
    return _VARIANTS[key]


def _label_variants(label) -> set[str]:
    """A choice's label in both languages, and its parts (“流动人口·新市民” → 流动人口, 新市民)."""
    from django.utils import translation

    variants = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            text = str(label).lower()
        variants.add(text)
        variants.update(p.strip() for p in re.split(r"[()（）/·、,]", text) if p.strip())
    return variants


def parse_choice(raw, choices, *, field_label: str) -> str:
    """A choice by its code or its label in either language, whatever language is active
    (labels may be shortened, e.g. 户籍 for 户籍人口)."""
    text = clean_text(raw)
    if not text:
        raise FieldInvalid(_("%(field)s is required.") % {"field": field_label}, rule="required")
    lowered = text.lower()
    for value, variants in _choice_variants(choices):
        if lowered in variants or (
            len(lowered) >= 2 and any(v.startswith(lowered) for v in variants)
        ):
            return value
    options = "、".join(str(label) for _v, label in choices)
    raise FieldInvalid(
        _("“%(value)s” is not one of: %(options)s.") % {"value": text, "options": options},
        rule="choice",
    )


def parse_name(raw) -> str:
    text = clean_text(raw)
    if not text:
        raise FieldInvalid(_("The name is required."), rule="required")
    if len(text) > 50 or re.search(r"[\d<>{}=@#$%^*]", text):
        raise FieldInvalid(
            _("A name has at most 50 characters and no digits or symbols."), rule="name"
        )
    return text


# GB/T 4761-2008 家庭关系代码: the words (and two-digit codes) that rosters use, by our
# relation. The standard's groups: 01–02 self and head, 1x spouse, 2x–3x children (with
# their spouses), 4x grandchildren, 5x parents and parents-in-law, 6x grandparents, 7x
# siblings (with their spouses), 8x–9x other relatives and non-relatives.
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "head": ("户主", "本人"),
    "spouse": ("配偶", "夫", "妻", "丈夫", "妻子", "爱人", "老伴"),
    "child": (
        "子", "女", "儿子", "女儿", "独生子", "独生女", "长子", "次子", "三子", "四子",
        "五子", "长女", "次女", "三女", "四女", "五女", "养子", "继子", "养女", "继女",
        "养子或继子", "养女或继女", "女婿", "儿媳", "其他儿子", "其他女儿",
    ),
    "grandchild": (
        "孙子", "孙女", "外孙", "外孙子", "外孙女", "孙媳妇", "孙女婿", "曾孙子", "曾孙女",
        "外曾孙子", "外曾孙女",
    ),
    "parent": (
        "父亲", "母亲", "父", "母", "公公", "婆婆", "岳父", "岳母", "继父", "继母", "养父",
        "养母",
    ),
    "grandparent": (
        "祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "外公", "外婆", "曾祖父", "曾祖母",
    ),
    "sibling": (
        "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "嫂", "嫂子", "弟媳", "姐夫",
        "妹夫",
    ),
    "other": (
        "非亲属", "伯父", "伯母", "叔父", "婶母", "舅父", "舅母", "姨父", "姨母", "姑父",
        "姑母", "堂兄弟", "堂姐妹", "表兄弟", "表姐妹", "侄子", "侄女", "外甥", "外甥女",
        "其他亲属", "保姆", "租户",
    ),
}  # fmt: skip
_RELATION_BY_WORD = {word: code for code, words in RELATION_WORDS.items() for word in words}
_RELATION_BY_CODE_GROUP = {
    "0": "head", "1": "spouse", "2": "child", "3": "child", "4": "grandchild",
    "5": "parent", "6": "grandparent", "7": "sibling", "8": "other", "9": "other",
}  # fmt: skip


def parse_relation(raw, choices, *, field_label: str) -> str:
    """Relation to the head: our labels, GB/T 4761 words (长子, 儿媳, 外孙女 …) or its
    two-digit codes (02 户主, 10 配偶, 20 子 …)."""
    text = clean_text(raw)
    if text in _RELATION_BY_WORD:
        return _RELATION_BY_WORD[text]
    if re.fullmatch(r"\d{2}", text) and text not in {"00"}:
        return _RELATION_BY_CODE_GROUP[text[0]]
    return parse_choice(raw, choices, field_label=field_label)
