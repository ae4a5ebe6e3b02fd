from datetime import date

import pytest
from stdnum.cn import ric

from gridgov.people.models import Resident
from gridgov.people.validation import (
    FieldInvalid,
    normalise_phone,
    parse_choice,
    parse_date,
    parse_name,
    parse_resident_id,
)

VALID = "11010519491231002X"


def test_valid_id_derives_birth_and_sex():
    parsed = parse_resident_id(VALID)
    assert parsed.number == VALID and parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2 is even


def test_lower_case_x_and_full_width_digits_are_normalised():
    assert parse_resident_id("11010519491231002x").number == VALID
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert parse_resident_id(full_width).number == VALID
    assert parse_resident_id(" 110105 19491231 002X ").number == VALID


def test_fifteen_digit_ids_are_converted():
    parsed = parse_resident_id("110105491231002")
    assert parsed.number.startswith("11010519491231002") and len(parsed.number) == 18
    assert ric.is_valid(parsed.number)


@pytest.mark.parametrize(
    "raw,rule",
    [
        ("110105194912310021", "id_checksum"),
        ("1101051949123100", "id_length"),
        ("110105194913310021", "id_component"),  # month 13 (checksum recomputed below)
        ("1.10105E+17", "id_scientific"),
        (1.10105194912310e17, "id_scientific"),
    ],
)
def test_bad_ids(raw, rule):
    if rule == "id_component":
        body = raw[:17]
        raw = body + ric.calc_check_digit(body + "0")
    with pytest.raises(FieldInvalid) as exc:
        parse_resident_id(raw)
    assert exc.value.rule == rule


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812341234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("0086-138-1234-1234", "13812341234"),
        (13812341234.0, "13812341234"),
        ("021-64381234", "021-64381234"),
        ("02164381234", "02164381234"),
    ],
)
def test_phones(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "abc", "138123412345"])
def test_bad_phones(raw):
    with pytest.raises(FieldInvalid) as exc:
        normalise_phone(raw)
    assert exc.value.rule == "phone"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("1980-05-01", date(1980, 5, 1)),
        ("1980/5/1", date(1980, 5, 1)),
        ("19800501", date(1980, 5, 1)),
        ("1980年5月1日", date(1980, 5, 1)),
        (29342, date(1980, 5, 1)),
        ("29342", date(1980, 5, 1)),  # Excel serial numbers
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["1980-02-30", "yesterday", 999999])
def test_bad_dates(raw):
    with pytest.raises(FieldInvalid):
        parse_date(raw)


def test_choices_accept_codes_and_labels_in_both_languages():
    from django.utils import translation

    assert parse_choice("M", Resident.Sex.choices, field_label="sex") == "M"
    with translation.override("zh-hans"):
        assert parse_choice("男", Resident.Sex.choices, field_label="sex") == "M"
        assert parse_choice("户籍", Resident.Registration.choices, field_label="r") == "registered"
    with pytest.raises(FieldInvalid) as exc:
        parse_choice("unknown", Resident.Sex.choices, field_label="sex")
    assert exc.value.rule == "choice"


def test_names_and_spaces():
    assert parse_name("  张  三 ") == "张 三"
    for bad in ["", "张3", "=cmd"]:
        with pytest.raises(FieldInvalid):
            parse_name(bad)


def test_region_codes_that_are_not_counties_are_refused_cleanly():
    """python-stdnum raises KeyError for some prefecture-level codes; we report a rule."""
    body = "11019919800101001"
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(FieldInvalid) as exc:
        parse_resident_id(number)
    assert exc.value.rule == "id_component"
