"""Copying the database out and back in, consistently, on both supported databases.

PostgreSQL: ``pg_dump`` in the custom format inside a REPEATABLE READ snapshot that this
module exports, so the dump and the table fingerprints taken next to it see the same
committed state while writes go on; back in through ``pg_restore`` piped into one ``psql``
transaction (all or nothing, also when it replaces existing tables). SQLite: the online
backup API, one step (a consistent snapshot; writers in WAL mode are not blocked), and the
same API to copy a verified file back in.

A fingerprint is, per table, the row count and a SHA-256 over its rows in primary-key order:
the manifest of a backup carries them and a restore must reproduce them exactly.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from gridgov.backups.sealed import BackupError

# libpq connection keywords passed on to psycopg and the PostgreSQL client tools.
_LIBPQ_KEYS = {
    "dbname",
    "user",
    "password",
    "host",
    "port",
    "options",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslpassword",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
    "service",
    "passfile",
    "gssencmode",
    "channel_binding",
}
_FETCH = 2000
# Two backups of one PostgreSQL database never run at once (any machine).
_BACKUP_LOCK_ID = 0x67726964  # "grid"
_TOOL_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")

# Drops what the application's schema holds (tables, sequences, views, functions; not what
# extensions own, nor what goes with its owner: owned sequences, partitions; a partitioned
# table's own dependency on itself, through its partition key, does not count), prepended
# to a forced restore inside the same transaction.
_PG_DROP_ALL = r"""
SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname, c.relkind FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d
                               WHERE d.objid = c.oid AND d.refobjid <> c.oid
                                 AND d.deptype IN ('e', 'a', 'i'))
    LOOP
        EXECUTE format(CASE r.relkind
                           WHEN 'v' THEN 'DROP VIEW IF EXISTS %I CASCADE'
                           WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS %I CASCADE'
                           WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS %I CASCADE'
                           WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS %I CASCADE'
                           ELSE 'DROP TABLE IF EXISTS %I CASCADE' END, r.relname);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema()
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.signature);
    END LOOP;
END $$;
"""


@dataclass(frozen=True)
class DatabaseCopy:
    """A database copied out: the file (inside the staging directory) and what it holds."""

    path: Path
    vendor: str
    server_version: str
    tables: dict[str, dict[str, Any]]
    migrations: dict[str, list[str]]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Fingerprints -------------------------------------------------------------------------


def _tables(cursor, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND NOT c.relispartition ORDER BY 1"
        )
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
        )
    return [row[0] for row in cursor.fetchall()]


def _order_columns(cursor, vendor: str, table: str) -> list[str]:
    """The primary key's columns, else every column: a total, repeatable row order."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indisprimary AND i.indrelid = "
            "(quote_ident(current_schema()) || '.' || quote_ident(%s))::regclass "
            "ORDER BY array_position(i.indkey, a.attnum)",
            [table],
        )
        key = [row[0] for row in cursor.fetchall()]
        if key:
            return key
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]
    cursor.execute(f"PRAGMA table_info({_quote(table)})")
    columns = cursor.fetchall()  # cid, name, type, notnull, default, pk position
    key = [c[1] for c in sorted((c for c in columns if c[5]), key=lambda c: c[5])]
    return key or [c[1] for c in columns]


def table_fingerprints(raw_connection, vendor: str) -> dict[str, dict[str, Any]]:
    """Row count and content SHA-256 of every table, read through ``raw_connection`` (a
    psycopg connection inside a transaction, or a sqlite3 connection)."""
    cursor = raw_connection.cursor()
    result = {}
    for number, table in enumerate(_tables(cursor, vendor)):
        order = ", ".join(_quote(c) for c in _order_columns(cursor, vendor, table))
        # Server-side on PostgreSQL: a million-row table is streamed, not loaded.
        reader = (
            raw_connection.cursor(name=f"gridgov_fingerprint_{number}")
            if vendor == "postgresql"
            else raw_connection.cursor()
        )
        reader.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608 - catalogue names, quoted
        digest, rows = hashlib.sha256(), 0
        while batch := reader.fetchmany(_FETCH):
            for row in batch:
                digest.update(repr(tuple(row)).encode() + b"\n")
            rows += len(batch)
        reader.close()
        result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def current_fingerprints() -> dict[str, dict[str, Any]]:
    """The fingerprints of the database as it is now (every committed row)."""
    if connection.vendor == "postgresql":
        with _pg_snapshot_connection() as raw:
            return table_fingerprints(raw, "postgresql")
    raw, own = _sqlite_source()
    try:
        return table_fingerprints(raw, "sqlite")
    finally:
        if own:
            raw.close()


def database_contents() -> tuple[int, int]:
    """How many tables the database has, and how many rows in all (0, 0 when empty)."""
    with connection.cursor() as cursor:
        tables = _tables(cursor, connection.vendor)
        rows = 0
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - catalogue names
            rows += cursor.fetchone()[0]
    return len(tables), rows


def _applied_migrations(cursor) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


# PostgreSQL ---------------------------------------------------------------------------


def _pg_params() -> dict[str, str]:
    params = connection.get_connection_params()
    return {k: str(v) for k, v in params.items() if k in _LIBPQ_KEYS and v not in (None, "")}


def _pg_tool_environment() -> tuple[str, dict[str, str]]:
    """A conninfo string for the client tools; the password goes in the environment, never
    on a command line that ``ps`` shows."""
    import os

    from psycopg.conninfo import make_conninfo

    params = _pg_params()
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def _pg_snapshot_connection():
    import psycopg

    raw = psycopg.connect(**_pg_params())
    raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    raw.read_only = True
    with raw.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    return raw


def pg_server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def pg_tool(name: str, *, server_major: int) -> str:
    """The client tool ``name`` that can work with a server of ``server_major``: from
    GRIDGOV_PG_BIN_DIR if set, else Debian's directory of the server's version, else PATH.
    Refuses a missing tool and one older than the server, with what to install."""
    configured = settings.GRIDGOV_PG_BIN_DIR
    candidates = (
        [Path(configured) / name]
        if configured
        else [Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"), shutil.which(name)]
    )
    found = next((str(c) for c in candidates if c and Path(c).is_file()), None)
    hint = {"tool": name, "major": server_major}
    if found is None:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL %(major)s client tools (Debian: "
                "apt-get install postgresql-client-%(major)s) or set GRIDGOV_PG_BIN_DIR to "
                "their directory."
            )
            % hint
        )
    try:
        output = subprocess.run(  # noqa: S603 - a PostgreSQL client tool, found above
            [found, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        version = int(_TOOL_VERSION.search(output).group(1))
    except (OSError, subprocess.SubprocessError, AttributeError, ValueError) as exc:
        raise BackupError(
            _("%(tool)s at %(path)s does not run: %(reason)s")
            % {"tool": name, "path": found, "reason": type(exc).__name__}
        ) from exc
    if version < server_major:
        raise BackupError(
            _(
                "%(tool)s %(version)s is older than the PostgreSQL server (%(major)s). Install "
                "the PostgreSQL %(major)s client tools (Debian: apt-get install "
                "postgresql-client-%(major)s) or set GRIDGOV_PG_BIN_DIR to their directory."
            )
            % {**hint, "version": version}
        )
    return found


def _run_tool(argv: list[str], *, env: dict[str, str], what: str) -> None:
    with tempfile.TemporaryFile() as errors:
        result = subprocess.run(argv, env=env, stderr=errors, stdout=subprocess.DEVNULL)  # noqa: S603
        if result.returncode != 0:
            errors.seek(0)
            raise BackupError(
                _("%(what)s failed: %(error)s")
                % {"what": what, "error": errors.read().decode(errors="replace")[-2000:]}
            )


def _pg_copy_out(staging: Path) -> DatabaseCopy:
    major = pg_server_major()
    pg_dump = pg_tool("pg_dump", server_major=major)
    conninfo, env = _pg_tool_environment()
    path = staging / "database.dump"
    raw = _pg_snapshot_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_BACKUP_LOCK_ID])
            if not cursor.fetchone()[0]:
                raise BackupError(_("Another backup of this database is running."))
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
        # The dump reads the exported snapshot: exactly what the fingerprints below read.
        _run_tool(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={path}", conninfo],
            env=env,
            what="pg_dump",
        )
        tables = table_fingerprints(raw, "postgresql")
        with raw.cursor() as cursor:
            migrations = _applied_migrations(cursor)
    finally:
        raw.close()
    return DatabaseCopy(path, "postgresql", server_version, tables, migrations)


def _pg_copy_in(path: Path, *, replace: bool) -> None:
    major = pg_server_major()
    pg_restore = pg_tool("pg_restore", server_major=major)
    psql = pg_tool("psql", server_major=major)
    conninfo, env = _pg_tool_environment()
    connection.close()
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        # --no-owner/--no-privileges: the tables belong to whoever restores them.
        restore = subprocess.Popen(  # noqa: S603 - a PostgreSQL client tool
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=restore_errors,
            env=env,
        )
        apply = subprocess.Popen(  # noqa: S603 - a PostgreSQL client tool
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={conninfo}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
            env=env,
        )
        try:
            if replace:
                apply.stdin.write(_PG_DROP_ALL.encode())
            shutil.copyfileobj(restore.stdout, apply.stdin, 1 << 20)
        except BrokenPipeError:
            pass  # psql stopped on an error: reported below
        finally:
            apply.stdin.close()
            restore.stdout.close()
        restore_status, apply_status = restore.wait(), apply.wait()
        if restore_status or apply_status:
            restore_errors.seek(0)
            psql_errors.seek(0)
            detail = (restore_errors.read() + psql_errors.read()).decode(errors="replace")
            raise BackupError(
                _("The database was not restored (nothing was changed): %(error)s")
                % {"error": detail[-2000:]}
            )


# SQLite -------------------------------------------------------------------------------


def _django_sqlite_raw():
    connection.ensure_connection()
    return connection.connection


def _sqlite_source() -> tuple[sqlite3.Connection, bool]:
    """A connection of its own to the database file (an in-memory database: Django's), and
    whether it is ours to close."""
    if connection.is_in_memory_db():
        return _django_sqlite_raw(), False
    return sqlite3.connect(connection.settings_dict["NAME"], timeout=30), True


def _sqlite_copy_out(staging: Path) -> DatabaseCopy:
    path = staging / "database.sqlite3"
    source, own = _sqlite_source()
    target = sqlite3.connect(path)
    try:
        # One step (pages=-1): a single read transaction, hence one consistent state.
        source.backup(target)
        tables = table_fingerprints(target, "sqlite")
        migrations = _applied_migrations(target.cursor())
    finally:
        target.close()
        if own:
            source.close()
    return DatabaseCopy(path, "sqlite", sqlite3.sqlite_version, tables, migrations)


def _sqlite_copy_in(path: Path) -> None:
    staged = sqlite3.connect(path)
    try:
        if staged.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(_("The database file in the backup is damaged."))
        if connection.is_in_memory_db():
            staged.backup(_django_sqlite_raw())
            return
        connection.close()
        target_path = Path(connection.settings_dict["NAME"])
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            # Page by page into the live file under its write lock: other processes see
            # the old database or the restored one, never a mixture.
            staged.backup(target)
        finally:
            target.close()
    finally:
        staged.close()


def sqlite_fingerprints_of(path: Path) -> dict[str, dict[str, Any]]:
    staged = sqlite3.connect(path)
    try:
        return table_fingerprints(staged, "sqlite")
    finally:
        staged.close()


# Both ---------------------------------------------------------------------------------


def copy_out(staging: Path) -> DatabaseCopy:
    if connection.vendor == "postgresql":
        return _pg_copy_out(staging)
    if connection.vendor == "sqlite":
        return _sqlite_copy_out(staging)
    raise BackupError(_("Backups support PostgreSQL and SQLite only."))


def copy_in(path: Path, *, replace: bool) -> None:
    if connection.vendor == "postgresql":
        _pg_copy_in(path, replace=replace)
    else:
        _sqlite_copy_in(path)
