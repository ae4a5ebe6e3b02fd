import logging
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes

from gridgov.core import crypto
from gridgov.core.masking import (
    MaskPersonalDataFilter,
    mask_birth_date,
    mask_id_number,
    mask_phone,
    mask_text,
)


def test_sm4_and_sm3_known_answers_pass():
    crypto.sm4_self_test()


def test_self_test_fails_on_a_wrong_answer(monkeypatch):
    monkeypatch.setattr(crypto, "_SM4_KAT_CIPHER", bytes(16))
    with pytest.raises(crypto.CryptoSelfTestFailed):
        crypto.sm4_self_test()


def test_field_encryption_round_trip_and_binding():
    token = crypto.encrypt_field("110105194912310021", associated_data="people/id/1")
    assert "110105" not in token
    assert crypto.decrypt_field(token, associated_data="people/id/1") == "110105194912310021"
    # A ciphertext moved to another row fails the tag check.
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_field(token, associated_data="people/id/2")


def test_flipped_byte_is_detected():
    import base64

    token = crypto.encrypt_field("13812341234", associated_data="a")
    key_id, body = token.split(":", 1)
    raw = bytearray(base64.b64decode(body))
    raw[14] ^= 1
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_field(
            f"{key_id}:{base64.b64encode(bytes(raw)).decode()}", associated_data="a"
        )


def test_blind_index_is_keyed():
    index = crypto.blind_index("110105194912310021", purpose="id")
    assert index == crypto.blind_index("110105194912310021", purpose="id")
    assert index != crypto.sm3_hex(b"110105194912310021")
    assert index != crypto.blind_index("110105194912310021", purpose="phone")
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert crypto.sm3_hex(b"abc") == digest.finalize().hex()


def test_masking_formats():
    assert mask_id_number("11010519491231002X") == "110105************"
    assert mask_id_number("110105491231002") == "110105*********"
    assert mask_phone("13812341234") == "138****1234"
    text = mask_text("张三 11010519491231002X 电话13812341234")
    assert "19491231" not in text and "1234" in text and "2341" not in text
    assert "002X" not in text and "110105************" in text
    # Masks of earlier versions kept the last four digits; text holding them is re-masked.
    assert mask_text("旧 110105********002X") == "旧 110105************"
    assert mask_text("老证 110105491231002") == "老证 110105*********"
    assert mask_birth_date(date(1949, 12, 31)) == "1949"


def test_unit_codes_in_text_are_not_taken_for_id_numbers():
    """A grid's 15-digit code has no birth date where a first-generation ID has one: audit
    records and messages naming units keep their codes."""
    for code in ("310104003001001", "310104003001", "310104003"):
        assert mask_text(f"网格 {code} 调整") == f"网格 {code} 调整"
    assert mask_text("老证 110105491231002") == "老证 110105*********"


def test_log_filter_masks_arguments():
    record = logging.LogRecord(
        "x",
        logging.WARNING,
        __file__,
        1,
        "phone %s id %s",
        ("13812341234", "11010519491231002X"),
        None,
    )
    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "phone 138****1234 id 110105************"
