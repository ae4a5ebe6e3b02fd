"""The PostgreSQL client tools: a missing pg_dump and one older than the server are refused
with what to install."""

from __future__ import annotations

import pytest

from gridgov.backups.databases import pg_tool
from gridgov.backups.sealed import BackupError


def _fake_tool(directory, name, version):
    path = directory / name
    path.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version}"\n')
    path.chmod(0o755)


def test_a_missing_pg_dump_says_what_to_install(settings, tmp_path):
    settings.GRIDGOV_PG_BIN_DIR = str(tmp_path)
    with pytest.raises(BackupError, match=r"pg_dump was not found.*postgresql-client-15"):
        pg_tool("pg_dump", server_major=15)


def test_a_pg_dump_older_than_the_server_is_refused(settings, tmp_path):
    settings.GRIDGOV_PG_BIN_DIR = str(tmp_path)
    _fake_tool(tmp_path, "pg_dump", "13.14 (Debian 13.14-0+deb11u1)")
    with pytest.raises(BackupError, match=r"pg_dump 13 is older than the PostgreSQL server \(15\)"):
        pg_tool("pg_dump", server_major=15)
    _fake_tool(tmp_path, "pg_dump", "16.2")
    assert pg_tool("pg_dump", server_major=15) == str(tmp_path / "pg_dump")


def test_without_a_setting_the_servers_own_version_is_found(settings):
    settings.GRIDGOV_PG_BIN_DIR = ""
    found = pg_tool("pg_restore", server_major=15)
    assert found.endswith("pg_restore")
