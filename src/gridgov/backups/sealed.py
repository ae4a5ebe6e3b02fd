"""Encrypted backup files: SM4-GCM over a stream, chunk by chunk, under the backup key.

A sealed file is ``MAGIC``, one JSON header line (format, key id, nonce prefix, what the file
holds) and chunks. Each chunk is a 4-byte big-endian length whose top bit marks the last
chunk, then the ciphertext and its 16-byte tag. Chunk *i* is encrypted with the nonce
``prefix ‖ i`` and authenticated together with the header, *i* and the last-chunk flag, so a
chunk that is altered, dropped, reordered, taken from another file, or a file cut short or
extended, fails to open.

The backup key is not a field key: a backup file and the backup key together give no access
to the SM4-encrypted personal fields inside the database (those need the field keys).
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.core.errors import GridGovError

MAGIC = b"GRIDGOV-SEALED/1\n"
CHUNK_SIZE = 1 << 20
_LAST = 0x8000_0000
_TAG = 16
_NONCE_PREFIX = 8
_MAX_HEADER = 4096


class BackupError(GridGovError):
    code = "backup_failed"
    status = 400


@dataclass(frozen=True)
class BackupKeyRing:
    active: str
    keys: dict[str, bytes]


def backup_keyring() -> BackupKeyRing:
    """The backup key file ``{"active": "b1", "keys": {"b1": {"sm4": "<32 hex>"}}}``.

    Demo mode creates one in the data directory; production mode needs
    ``GRIDGOV_BACKUP_KEY_FILE``, which must not be the field key file."""
    path = settings.GRIDGOV_BACKUP_KEY_FILE
    if not path:
        raise BackupError(_("Set GRIDGOV_BACKUP_KEY_FILE: backups are encrypted with that key."))
    path = Path(path)
    if path.resolve() == Path(settings.FIELD_KEY_FILE).resolve():
        raise BackupError(
            _("The backup key file must not be the field key file (GRIDGOV_KEY_FILE).")
        )
    if not path.exists():
        if settings.PRODUCTION:
            raise BackupError(_("The backup key file %(path)s does not exist.") % {"path": path})
        _create_key_file(path)
    try:
        raw = json.loads(path.read_text())
        keys = {kid: bytes.fromhex(entry["sm4"]) for kid, entry in raw["keys"].items()}
        ring = BackupKeyRing(active=raw["active"], keys=keys)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(
            _("The backup key file %(path)s cannot be read: %(reason)s")
            % {"path": path, "reason": type(exc).__name__}
        ) from exc
    if ring.active not in ring.keys or any(len(k) != 16 for k in ring.keys.values()):
        raise BackupError(
            _("The backup key file %(path)s needs an active key of 32 hex digits.") % {"path": path}
        )
    return ring


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"active": "b1", "keys": {"b1": {"sm4": secrets.token_hex(16)}}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(content, handle)


def _cipher(key: bytes, prefix: bytes, index: int, tag: bytes | None = None) -> Cipher:
    nonce = prefix + struct.pack(">I", index)
    return Cipher(algorithms.SM4(key), modes.GCM(nonce, tag))


def _associated(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">I?", index, last)


class SealedWriter:
    """A write-only file object: ``write()`` plaintext, ``close()`` to seal the last chunk."""

    def __init__(self, raw: BinaryIO, *, ring: BackupKeyRing, kind: str) -> None:
        self._raw = raw
        self._key = ring.keys[ring.active]
        self._prefix = secrets.token_bytes(_NONCE_PREFIX)
        header = {
            "format": 1,
            "cipher": "SM4-GCM",
            "key": ring.active,
            "nonce": self._prefix.hex(),
            "chunk": CHUNK_SIZE,
            "kind": kind,
        }
        self._header = json.dumps(header, sort_keys=True).encode() + b"\n"
        raw.write(MAGIC + self._header)
        self._buffer = bytearray()
        self._index = 0
        self.closed = False

    def write(self, data) -> int:
        self._buffer += data
        # Keep at least one byte back: the last chunk is only known at close().
        while len(self._buffer) > CHUNK_SIZE:
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def _emit(self, plaintext: bytes, *, last: bool) -> None:
        encryptor = _cipher(self._key, self._prefix, self._index).encryptor()
        encryptor.authenticate_additional_data(_associated(self._header, self._index, last))
        body = encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag
        self._raw.write(struct.pack(">I", len(body) | (_LAST if last else 0)) + body)
        self._index += 1

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True


class SealedReader:
    """A read-only file object over a sealed file; raises :class:`BackupError` on anything
    that does not authenticate."""

    def __init__(self, raw: BinaryIO, *, ring: BackupKeyRing, kind: str) -> None:
        self._raw = raw
        if raw.read(len(MAGIC)) != MAGIC:
            raise BackupError(_("This is not a GridGov backup file."))
        self._header = raw.readline(_MAX_HEADER)
        try:
            header = json.loads(self._header)
            key_id, prefix = header["key"], bytes.fromhex(header["nonce"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(_("The backup file's header is damaged.")) from exc
        if header.get("format") != 1 or header.get("cipher") != "SM4-GCM":
            raise BackupError(_("This backup file was written by a newer GridGov."))
        if header.get("kind") != kind:
            raise BackupError(
                _("This file holds %(found)s, not %(wanted)s.")
                % {"found": header.get("kind"), "wanted": kind}
            )
        if key_id not in ring.keys:
            raise BackupError(
                _(
                    "The backup was encrypted with backup key %(key)s, which the backup key "
                    "file does not hold."
                )
                % {"key": key_id}
            )
        self._key, self._prefix = ring.keys[key_id], prefix
        self._index = 0
        self._plain = b""
        self._done = False

    def _next_chunk(self) -> None:
        length_field = self._raw.read(4)
        if len(length_field) < 4:
            raise BackupError(_("The backup file is truncated."))
        (length,) = struct.unpack(">I", length_field)
        last, length = bool(length & _LAST), length & ~_LAST
        if length < _TAG or length > CHUNK_SIZE + _TAG:
            raise BackupError(_("The backup file is damaged."))
        body = self._raw.read(length)
        if len(body) < length:
            raise BackupError(_("The backup file is truncated."))
        decryptor = _cipher(self._key, self._prefix, self._index, body[-_TAG:]).decryptor()
        decryptor.authenticate_additional_data(_associated(self._header, self._index, last))
        try:
            self._plain = decryptor.update(body[:-_TAG]) + decryptor.finalize()
        except InvalidTag as exc:
            raise BackupError(
                _("The backup file is damaged or was altered, or the backup key is wrong.")
            ) from exc
        self._index += 1
        if last:
            if self._raw.read(1):
                raise BackupError(_("The backup file has data after its end."))
            self._done = True

    def read(self, size: int = -1) -> bytes:
        parts, wanted = [], size if size >= 0 else float("inf")
        while wanted > 0:
            if not self._plain:
                if self._done:
                    break
                self._next_chunk()
                continue
            piece = self._plain[: int(min(wanted, len(self._plain)))]
            self._plain = self._plain[len(piece) :]
            parts.append(piece)
            wanted -= len(piece)
        return b"".join(parts)


def open_sealed_bytes(path: Path, *, ring: BackupKeyRing, kind: str) -> bytes:
    with open(path, "rb") as raw:
        return SealedReader(raw, ring=ring, kind=kind).read()
