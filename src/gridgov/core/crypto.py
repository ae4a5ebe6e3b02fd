"""Commercial cryptography (GB/T 39786): SM3 hashing, HMAC-SM3 blind indexes and
SM4-GCM encryption of fields and of stored files, all from ``cryptography`` (OpenSSL 3).

Keys live in a JSON key file outside the database (``settings.FIELD_KEY_FILE``):
``{"active": "k1", "keys": {"k1": {"sm4": "<hex>", "hmac": "<hex>"}}}``. Ciphertexts
carry the id of the key that made them so that keys can be rotated.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# GB/T 32907-2016 appendix A.1 known-answer test.
_SM4_KAT_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
_SM4_KAT_PLAIN = bytes.fromhex("0123456789abcdeffedcba9876543210")
_SM4_KAT_CIPHER = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
# GB/T 32905-2016 example 1: SM3("abc").
_SM3_KAT = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


class CryptoSelfTestFailed(RuntimeError):
    pass


def sm4_self_test() -> None:
    """Start-up self test of SM4 and SM3 against the standards' known answers."""
    # One block under CBC with a zero IV equals the raw block cipher (no ECB mode used).
    encryptor = Cipher(algorithms.SM4(_SM4_KAT_KEY), modes.CBC(bytes(16))).encryptor()
    if encryptor.update(_SM4_KAT_PLAIN) + encryptor.finalize() != _SM4_KAT_CIPHER:
        raise CryptoSelfTestFailed("SM4 known-answer test failed")
    if sm3_hex(b"abc") != _SM3_KAT:
        raise CryptoSelfTestFailed("SM3 known-answer test failed")


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


@dataclass(frozen=True)
class KeyRing:
    active: str
    sm4: dict[str, bytes]
    hmac: dict[str, bytes]


def _create_key_file(path: Path) -> None:
    """Demo mode's key file; marked, so that production refuses it (``check --deploy``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id = "k1"
    content = {
        "active": key_id,
        "keys": {key_id: {"sm4": secrets.token_hex(16), "hmac": secrets.token_hex(32)}},
        "demo": True,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(content, handle)


def read_key_file(path: Path) -> KeyRing:
    """The key ring in ``path``; ``ImproperlyConfigured`` saying what is wrong otherwise."""
    try:
        raw = json.loads(path.read_text())
        keys = raw["keys"]
        ring = KeyRing(
            active=raw["active"],
            sm4={kid: bytes.fromhex(k["sm4"]) for kid, k in keys.items()},
            hmac={kid: bytes.fromhex(k["hmac"]) for kid, k in keys.items()},
        )
    except OSError as exc:
        raise ImproperlyConfigured(f"The field key file {path} cannot be read: {exc}") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ImproperlyConfigured(
            f"The field key file {path} is not valid: expected "
            '{"active": "k1", "keys": {"k1": {"sm4": "<32 hex>", "hmac": "<64 hex>"}}}'
        ) from exc
    if ring.active not in ring.sm4 or any(len(k) != 16 for k in ring.sm4.values()):
        raise ImproperlyConfigured(
            f"The field key file {path} is not valid: the active key must exist and every "
            "SM4 key must be 32 hex digits."
        )
    return ring


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    if settings.FIELD_KEY_FILE is None:
        raise ImproperlyConfigured(
            "GRIDGOV_KEY_FILE is not set: production mode needs the field key file "
            "(see docs/operations.md)."
        )
    path = Path(settings.FIELD_KEY_FILE)
    if not path.exists():
        if settings.PRODUCTION:
            raise ImproperlyConfigured(f"The field key file {path} (GRIDGOV_KEY_FILE) is missing.")
        _create_key_file(path)
    return read_key_file(path)


def blind_index(value: str, *, purpose: str, key_id: str | None = None) -> str:
    """Keyed HMAC-SM3 of a normalised value, for exact search without decryption."""
    ring = keyring()
    mac = hmac.HMAC(ring.hmac[key_id or ring.active], hashes.SM3())
    mac.update(purpose.encode() + b"\x00" + value.encode())
    return mac.finalize().hex()


def blind_indexes(value: str, *, purpose: str) -> list[str]:
    """The index under every key, for lookups while a key rotation is under way."""
    return [blind_index(value, purpose=purpose, key_id=k) for k in keyring().hmac]


def ciphertext_key_id(ciphertext: str) -> str:
    return ciphertext.split(":", 1)[0]


class DecryptionFailed(Exception):
    """The ciphertext was altered, moved to another row, or made with an unknown key."""


def encrypt_field(plaintext: str, *, associated_data: str) -> str:
    """SM4-GCM; the associated data binds the ciphertext to its table/column/row."""
    ring = keyring()
    nonce = secrets.token_bytes(12)
    encryptor = Cipher(algorithms.SM4(ring.sm4[ring.active]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated_data.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    token = base64.b64encode(nonce + body + encryptor.tag).decode()
    return f"{ring.active}:{token}"


def decrypt_field(ciphertext: str, *, associated_data: str) -> str:
    ring = keyring()
    try:
        key_id, token = ciphertext.split(":", 1)
        raw = base64.b64decode(token, validate=True)
        key = ring.sm4[key_id]
    except (ValueError, KeyError) as exc:
        raise DecryptionFailed("malformed ciphertext") from exc
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated_data.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise DecryptionFailed("integrity check failed") from exc


# Stored files (``core.attachments``): ``FILE_MAGIC``, one byte with the key id's length,
# the key id, a 12-byte nonce, the SM4-GCM ciphertext and its 16-byte tag. The header is
# part of the associated data, so the key id cannot be swapped either. The magic never
# starts a JPEG (FF D8 FF) or a PDF (%PDF-), so files kept before encryption stand out.
FILE_MAGIC = b"GGE1"


def file_key_id(blob: bytes) -> str | None:
    """The id of the key a stored file was encrypted with; None if it carries no marker
    (a file kept before encryption at rest)."""
    if not blob.startswith(FILE_MAGIC) or len(blob) < len(FILE_MAGIC) + 1:
        return None
    length = blob[len(FILE_MAGIC)]
    start = len(FILE_MAGIC) + 1
    try:
        return blob[start : start + length].decode("ascii")
    except UnicodeDecodeError:
        return None


def encrypt_file(data: bytes, *, associated_data: str) -> bytes:
    """SM4-GCM under the active field key; the associated data binds the file to its
    name (folder and uid), so a file moved onto another row fails the tag check."""
    ring = keyring()
    key_id = ring.active.encode("ascii")
    if not 0 < len(key_id) < 256:
        raise ImproperlyConfigured("Key ids must be 1 to 255 ASCII characters.")
    header = FILE_MAGIC + bytes([len(key_id)]) + key_id
    nonce = secrets.token_bytes(12)
    encryptor = Cipher(algorithms.SM4(ring.sm4[ring.active]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(header + associated_data.encode())
    body = encryptor.update(data) + encryptor.finalize()
    return header + nonce + body + encryptor.tag


def decrypt_file(blob: bytes, *, associated_data: str) -> bytes:
    """The plain bytes; ``DecryptionFailed`` if the file was altered, moved, cut short or
    made with a key the key file does not hold."""
    key_id = file_key_id(blob)
    if key_id is None:
        raise DecryptionFailed("not an encrypted file")
    header_length = len(FILE_MAGIC) + 1 + len(key_id)
    if len(blob) < header_length + 12 + 16:
        raise DecryptionFailed("truncated file")
    key = keyring().sm4.get(key_id)
    if key is None:
        raise DecryptionFailed(f"unknown key {key_id!r}")
    header, rest = blob[:header_length], blob[header_length:]
    nonce, body, tag = rest[:12], rest[12:-16], rest[-16:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(header + associated_data.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionFailed("integrity check failed") from exc
