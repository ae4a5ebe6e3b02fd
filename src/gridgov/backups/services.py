"""Backup, restore and retention of a GridGov installation.

A backup is two files, both sealed (SM4-GCM) under the backup key:

- ``gridgov-<UTC time>.backup`` — a tar of the database copy, the media the database refers
  to (event photos, generated reports) and ``manifest.json`` (row counts and a content hash
  of every table, applied migrations, media counts, the ids and digests of the field keys);
- ``gridgov-<UTC time>.keys`` — the field key file of that moment, in its own file (and
  directory, ``GRIDGOV_BACKUP_KEYS_DIR``) so it can be kept apart from the data.

Personal fields are SM4 ciphertext inside the database already; the field keys never travel
inside the data archive. A restore checks everything before it replaces anything, refuses a
database or data directory that is not empty unless told to replace it, verifies every
table against the manifest, and ends with the audit chains' verification.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.selectors import audit_verify
from gridgov.audit.services import SystemActor, audit_record
from gridgov.backups import databases
from gridgov.backups.policies import BackupPolicy
from gridgov.backups.sealed import (
    BackupError,
    SealedReader,
    SealedWriter,
    backup_keyring,
    open_sealed_bytes,
)
from gridgov.backups.selectors import (
    ARCHIVE_SUFFIX,
    StoredBackup,
    backup_list,
    backup_name,
    backups_to_keep,
    keys_path_for,
)
from gridgov.core.crypto import keyring, sm3_hex
from gridgov.core.policies import policy_latest

FORMAT = 1
ARCHIVE_KIND = "gridgov-backup"
KEYS_KIND = "gridgov-field-keys"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    keys: Path
    created_at: datetime
    tables: int
    rows: int
    media_files: int
    size: int


@dataclass(frozen=True)
class RestoreResult:
    archive: Path
    created_at: str
    vendor: str
    tables: dict[str, dict[str, Any]]
    media: dict[str, dict[str, int]]
    keys_installed: bool
    audit_ok: bool
    audit_message: str
    replaced_keys_file: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


# Field keys ---------------------------------------------------------------------------


def _field_key_digests(content: bytes) -> dict[str, str]:
    """Key id → SM3 of its key material: compares key files without showing a key."""
    raw = json.loads(content)
    return {
        kid: sm3_hex(bytes.fromhex(entry["sm4"]) + bytes.fromhex(entry.get("hmac", "")))
        for kid, entry in raw["keys"].items()
    }


def _current_field_keys() -> bytes:
    keyring()  # demo mode creates the key file on first use
    return Path(settings.FIELD_KEY_FILE).read_bytes()


# Media --------------------------------------------------------------------------------


def _media_dirs() -> list[tuple[str, Path]]:
    return [(name, Path(settings.DATA_DIR) / name) for name in settings.GRIDGOV_BACKUP_MEDIA]


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


# Backup -------------------------------------------------------------------------------


@contextmanager
def _backup_lock(directory: Path):
    """One backup at a time on this machine (PostgreSQL adds a lock in the database)."""
    with _private_file(directory / ".lock", exclusive=False) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(_("Another backup is running.")) from exc
        yield


def _private_file(path: Path, *, exclusive: bool = True):
    """A file only the owner reads (backups hold the whole registry)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    return os.fdopen(os.open(path, flags, 0o600), "wb")


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def backup_create(*, actor=None, now: datetime | None = None) -> BackupResult:
    """Write a backup of the database and media, and the sealed field keys next to it."""
    ring = backup_keyring()
    directory = _private_dir(Path(settings.GRIDGOV_BACKUP_DIR))
    _private_dir(Path(settings.GRIDGOV_BACKUP_KEYS_DIR))
    created_at = now or timezone.now()
    name = backup_name(created_at)
    archive = directory / f"{name}{ARCHIVE_SUFFIX}"
    keys_path = keys_path_for(archive)
    if archive.exists():
        raise BackupError(_("The backup %(name)s exists already.") % {"name": archive.name})
    field_keys = _current_field_keys()
    # The database copy is plaintext until sealed: it is staged in the data directory, next
    # to the live data, so the backup storage only ever receives sealed files.
    staging_root = _private_dir(Path(settings.DATA_DIR))
    with (
        _backup_lock(directory),
        tempfile.TemporaryDirectory(dir=staging_root, prefix=".backup-") as staging,
    ):
        copy = databases.copy_out(Path(staging))
        media_manifest: dict[str, dict[str, int]] = {}
        partial = directory / f".{name}.partial"
        try:
            with _private_file(partial) as raw:
                writer = SealedWriter(raw, ring=ring, kind=ARCHIVE_KIND)
                with tarfile.open(fileobj=writer, mode="w|") as tar:
                    tar.add(copy.path, arcname=f"database{copy.path.suffix}")
                    for media_name, root in _media_dirs():
                        added = [
                            path
                            for path in _media_files(root)
                            if _add_file(tar, path, f"media/{media_name}/{path.relative_to(root)}")
                        ]
                        media_manifest[media_name] = {
                            "files": len(added),
                            "bytes": sum(map(_size, added)),
                        }
                    manifest = {
                        "format": FORMAT,
                        "created_at": created_at.isoformat(),
                        "database": {
                            "vendor": copy.vendor,
                            "server_version": copy.server_version,
                            "file": f"database{copy.path.suffix}",
                        },
                        "migrations": copy.migrations,
                        "tables": copy.tables,
                        "media": media_manifest,
                        "field_keys": _field_key_digests(field_keys),
                    }
                    body = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(body), int(created_at.timestamp()), 0o600
                    tar.addfile(info, io.BytesIO(body))
                writer.close()
                raw.flush()
                os.fsync(raw.fileno())
            partial.replace(archive)
        finally:
            partial.unlink(missing_ok=True)
    _write_sealed_keys(field_keys, keys_path, ring=ring)
    rows = sum(t["rows"] for t in copy.tables.values())
    media_files = sum(m["files"] for m in media_manifest.values())
    audit_record(
        "backups.create",
        actor=actor or SystemActor("backup"),
        changes={
            "archive": archive.name,
            "tables": len(copy.tables),
            "rows": rows,
            "media_files": media_files,
            "bytes": archive.stat().st_size,
        },
    )
    return BackupResult(
        archive=archive,
        keys=keys_path,
        created_at=created_at,
        tables=len(copy.tables),
        rows=rows,
        media_files=media_files,
        size=archive.stat().st_size,
    )


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> bool:
    """Add one media file; one deleted meanwhile (an expired report) is left out."""
    try:
        tar.add(path, arcname=arcname, recursive=False)
    except FileNotFoundError:
        return False
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _write_sealed_keys(content: bytes, target: Path, *, ring) -> None:
    partial = target.with_name(f".{target.name}.partial")
    try:
        with _private_file(partial) as raw:
            writer = SealedWriter(raw, ring=ring, kind=KEYS_KIND)
            writer.write(content)
            writer.close()
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


# Retention ----------------------------------------------------------------------------


def backups_prune(*, now: datetime | None = None, actor=None) -> list[StoredBackup]:
    """Delete the backups (and their key files) the retention policy no longer keeps."""
    now = now or timezone.now()
    policy: BackupPolicy = policy_latest("backups.schedule").value
    backups = backup_list()
    kept = {b.archive for b in backups_to_keep(backups, now=now, policy=policy)}
    removed = [b for b in backups if b.archive not in kept]
    for backup in removed:
        backup.archive.unlink(missing_ok=True)
        backup.keys.unlink(missing_ok=True)
    if removed:
        audit_record(
            "backups.prune",
            actor=actor or SystemActor("backup-retention"),
            changes={"removed": [b.name for b in removed], "kept": len(kept)},
        )
    return removed


# Restore ------------------------------------------------------------------------------


def _unpack(archive: Path, staging: Path) -> dict[str, Any]:
    ring = backup_keyring()
    try:
        with open(archive, "rb") as raw:
            reader = SealedReader(raw, ring=ring, kind=ARCHIVE_KIND)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                # The "data" filter refuses absolute paths, links out of the tree and devices.
                tar.extractall(staging, filter="data")
    except FileNotFoundError as exc:
        raise BackupError(_("There is no backup file %(path)s.") % {"path": archive}) from exc
    except tarfile.TarError as exc:
        raise BackupError(_("The backup file is damaged: %(reason)s") % {"reason": exc}) from exc
    try:
        manifest = json.loads((staging / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(_("The backup has no readable manifest.")) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(_("This backup file was written by a newer GridGov."))
    return manifest


def _check_compatible(manifest: dict[str, Any]) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            _("This backup is of a %(backup)s database; this installation uses %(current)s.")
            % {"backup": vendor, "current": connection.vendor}
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            _(
                "This backup was made by a newer GridGov (migrations unknown here: "
                "%(names)s). Install that version, then restore."
            )
            % {"names": ", ".join(unknown[:5])}
        )


def _field_keys_to_install(
    manifest: dict[str, Any], *, archive: Path, keys: Path | None, replace_keys: bool
) -> bytes | None:
    """The field key file the restored data needs, when the current one lacks it."""
    needed: dict[str, str] = manifest["field_keys"]
    current_path = Path(settings.FIELD_KEY_FILE)
    current = _field_key_digests(current_path.read_bytes()) if current_path.exists() else {}
    if all(current.get(kid) == digest for kid, digest in needed.items()):
        return None
    keys = keys or keys_path_for(archive)
    if not keys.exists():
        raise BackupError(
            _(
                "The field keys of this backup are not in %(current)s and its key file "
                "%(keys)s is missing: give the key file with --keys."
            )
            % {"current": current_path, "keys": keys}
        )
    content = open_sealed_bytes(keys, ring=backup_keyring(), kind=KEYS_KIND)
    if _field_key_digests(content) != needed:
        raise BackupError(_("The key file %(keys)s belongs to another backup.") % {"keys": keys})
    if current_path.exists() and not replace_keys:
        raise BackupError(
            _(
                "The field key file %(current)s does not hold this backup's keys. With "
                "--replace-keys it is kept as %(current)s.replaced-… and the backup's keys "
                "are installed."
            )
            % {"current": current_path}
        )
    return content


def _refuse_unless_empty(manifest: dict[str, Any], *, force: bool) -> None:
    if force:
        return
    try:
        tables, rows = databases.database_contents()
    except DatabaseError as exc:
        raise BackupError(
            _("The database cannot be reached (create it first): %(error)s") % {"error": exc}
        ) from exc
    if tables:
        raise BackupError(
            _(
                "The database is not empty (%(tables)d tables, %(rows)d rows): a restore "
                "replaces everything in it. Add --force to replace it."
            )
            % {"tables": tables, "rows": rows}
        )
    held = [
        name for name, root in _media_dirs() if name in manifest["media"] and _media_files(root)
    ]
    if held:
        raise BackupError(
            _(
                "The data directory already holds files in %(dirs)s: a restore replaces them. "
                "Add --force to replace them."
            )
            % {"dirs": ", ".join(held)}
        )


def _verify_tables(found: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    differing = sorted(
        name for name in set(found) | set(expected) if found.get(name) != expected.get(name)
    )
    if differing:
        raise BackupError(
            _("The restored tables differ from the backup's manifest: %(tables)s")
            % {"tables": ", ".join(differing[:10])}
        )


def _swap_in_media(staging: Path, manifest: dict[str, Any], stamp: str) -> None:
    for name, root in _media_dirs():
        if name not in manifest["media"]:
            continue
        restored = staging / "media" / name
        restored.mkdir(parents=True, exist_ok=True)
        old = root.with_name(f".{name}.replaced-{stamp}")
        if root.exists():
            root.rename(old)
        shutil.move(str(restored), str(root))
        shutil.rmtree(old, ignore_errors=True)


def _install_field_keys(content: bytes, stamp: str) -> Path | None:
    current = Path(settings.FIELD_KEY_FILE)
    current.parent.mkdir(parents=True, exist_ok=True)
    replaced = None
    if current.exists():
        replaced = current.with_name(f"{current.name}.replaced-{stamp}")
        current.rename(replaced)
    partial = current.with_name(f".{current.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(current)
    keyring.cache_clear()
    return replaced


def _forget_cached_data() -> None:
    """A cache outside the database (Redis) holds what was derived from the replaced data;
    the database cache table was restored together with the data it was derived from."""
    from django.core.cache.backends.db import DatabaseCache

    for alias in settings.CACHES:
        if not isinstance(caches[alias], DatabaseCache):
            caches[alias].clear()


def backup_restore(
    *,
    archive: Path,
    keys: Path | None = None,
    force: bool = False,
    replace_keys: bool = False,
    actor=None,
) -> RestoreResult:
    """Replace the database and media with a backup's. Everything is checked first: the
    backup file authenticates, fits this installation, its field keys are at hand, and the
    database is empty (or ``force``)."""
    data_dir = _private_dir(Path(settings.DATA_DIR))
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as staging_name:
        staging = Path(staging_name)
        manifest = _unpack(archive, staging)
        _check_compatible(manifest)
        new_keys = _field_keys_to_install(
            manifest, archive=archive, keys=keys, replace_keys=replace_keys
        )
        _refuse_unless_empty(manifest, force=force)
        dump = staging / manifest["database"]["file"]
        if manifest["database"]["vendor"] == "sqlite":
            # Checked before it replaces anything.
            _verify_tables(databases.sqlite_fingerprints_of(dump), manifest["tables"])
        databases.copy_in(dump, replace=force)
        connections.close_all()
        _verify_tables(databases.current_fingerprints(), manifest["tables"])
        _swap_in_media(staging, manifest, stamp)
    replaced_keys = _install_field_keys(new_keys, stamp) if new_keys else None
    _forget_cached_data()
    audit_record(
        "backups.restore",
        actor=actor or SystemActor("restore"),
        changes={
            "archive": archive.name,
            "made_at": manifest["created_at"],
            "tables": len(manifest["tables"]),
            "rows": sum(t["rows"] for t in manifest["tables"].values()),
            "field_keys_installed": bool(new_keys),
        },
    )
    verified = audit_verify()
    return RestoreResult(
        archive=archive,
        created_at=manifest["created_at"],
        vendor=manifest["database"]["vendor"],
        tables=manifest["tables"],
        media=manifest["media"],
        keys_installed=bool(new_keys),
        audit_ok=verified.ok,
        audit_message=(
            f"{verified.checked} records verified" if verified.ok else str(verified.problem)
        ),
        replaced_keys_file=replaced_keys,
    )
