"""Sealed backup files: what goes in comes out, and any change to the file, a wrong key or
the wrong kind of file is refused (SECURITY.md H1: backups are encrypted and authenticated)."""

from __future__ import annotations

import io
import json
import secrets

import pytest

from gridgov.backups import sealed
from gridgov.backups.sealed import BackupError, BackupKeyRing, SealedReader, SealedWriter

RING = BackupKeyRing(active="b1", keys={"b1": bytes(range(16))})


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch):
    monkeypatch.setattr(sealed, "CHUNK_SIZE", 64)  # many chunks from a little data


def _seal(data: bytes, ring=RING, kind="test") -> bytes:
    raw = io.BytesIO()
    writer = SealedWriter(raw, ring=ring, kind=kind)
    for start in range(0, len(data), 50):  # writes that straddle chunk boundaries
        writer.write(data[start : start + 50])
    writer.close()
    return raw.getvalue()


def _open(blob: bytes, ring=RING, kind="test") -> bytes:
    return SealedReader(io.BytesIO(blob), ring=ring, kind=kind).read()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640, 1000])
def test_what_is_sealed_opens_unchanged(size):
    data = secrets.token_bytes(size)
    blob = _seal(data)
    if size >= 16:  # a byte or two may turn up in any ciphertext by chance
        assert data not in blob
    assert _open(blob) == data
    reader = SealedReader(io.BytesIO(blob), ring=RING, kind="test")
    assert b"".join(iter(lambda: reader.read(7), b"")) == data


def _chunks(blob: bytes) -> tuple[bytes, list[bytes]]:
    header_end = blob.index(b"\n", len(sealed.MAGIC)) + 1
    head, rest, chunks = blob[:header_end], blob[header_end:], []
    while rest:
        length = int.from_bytes(rest[:4], "big") & 0x7FFF_FFFF
        chunks.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return head, chunks


def _other_nonce(blob: bytes) -> bytes:
    start = blob.index(b'"nonce": "') + len(b'"nonce": "')
    flipped = b"1" if blob[start : start + 1] != b"1" else b"2"
    return blob[:start] + flipped + blob[start + 1 :]


def test_any_change_to_the_file_is_refused():
    data = secrets.token_bytes(500)
    blob = _seal(data)
    head, chunks = _chunks(blob)
    assert len(chunks) == 8
    tampered = {
        "a flipped byte": blob[:-20] + bytes([blob[-20] ^ 1]) + blob[-19:],
        "another nonce in the header": _other_nonce(blob),
        "chunks swapped": head + chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "a chunk dropped": head + b"".join(chunks[:3] + chunks[4:]),
        "cut after a chunk": head + b"".join(chunks[:-1]),
        "cut inside a chunk": blob[:-5],
        "data after the end": blob + b"\0",
        "the last-chunk flag moved": head
        + b"".join(chunks[:-2])
        + (int.from_bytes(chunks[-2][:4], "big") | 0x8000_0000).to_bytes(4, "big")
        + chunks[-2][4:],
    }
    for label, blob_changed in tampered.items():
        with pytest.raises(BackupError):
            _open(blob_changed)
            pytest.fail(label)


def test_a_wrong_key_or_kind_is_refused():
    blob = _seal(b"registry")
    other = BackupKeyRing(active="b1", keys={"b1": bytes(16)})
    with pytest.raises(BackupError, match="altered, or the backup key is wrong"):
        _open(blob, ring=other)
    with pytest.raises(BackupError, match="backup key b1"):
        _open(blob, ring=BackupKeyRing(active="b2", keys={"b2": bytes(16)}))
    with pytest.raises(BackupError, match="holds test"):
        _open(blob, kind="gridgov-field-keys")
    with pytest.raises(BackupError, match="not a GridGov backup"):
        _open(b"PGDMP" + blob)


def test_the_backup_key_file_is_separate_and_private(settings, tmp_path):
    settings.GRIDGOV_BACKUP_KEY_FILE = tmp_path / "backup_key.json"
    ring = sealed.backup_keyring()  # demo mode creates it
    assert len(ring.keys[ring.active]) == 16
    assert (tmp_path / "backup_key.json").stat().st_mode & 0o777 == 0o600
    assert sealed.backup_keyring() == ring
    settings.GRIDGOV_BACKUP_KEY_FILE = settings.FIELD_KEY_FILE
    with pytest.raises(BackupError, match="must not be the field key file"):
        sealed.backup_keyring()
    settings.GRIDGOV_BACKUP_KEY_FILE = None
    with pytest.raises(BackupError, match="GRIDGOV_BACKUP_KEY_FILE"):
        sealed.backup_keyring()
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"active": "b9", "keys": {"b1": {"sm4": "00" * 16}}}))
    settings.GRIDGOV_BACKUP_KEY_FILE = broken
    with pytest.raises(BackupError, match="active key"):
        sealed.backup_keyring()
