"""`gridgov check --deploy` names what would stop the daily backup."""

from __future__ import annotations

from gridgov.backups.checks import backup_settings_check


def _ids(settings) -> set[str]:
    return {problem.id for problem in backup_settings_check(None)}


def test_production_without_a_backup_key_is_flagged(settings, tmp_path):
    settings.PRODUCTION = True
    settings.GRIDGOV_BACKUP_KEY_FILE = None
    assert "gridgov.W201" in _ids(settings)
    settings.GRIDGOV_BACKUP_KEY_FILE = tmp_path / "backup_key.json"
    assert "gridgov.W201" not in _ids(settings)


def test_the_field_key_file_as_backup_key_is_an_error(settings):
    settings.GRIDGOV_BACKUP_KEY_FILE = settings.FIELD_KEY_FILE
    assert "gridgov.E202" in _ids(settings)


def test_a_postgresql_installation_without_pg_dump_is_flagged(settings, tmp_path, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    settings.GRIDGOV_PG_BIN_DIR = str(tmp_path)
    assert "gridgov.W203" in _ids(settings)
    (tmp_path / "pg_dump").write_text("#!/bin/sh\n")
    assert "gridgov.W203" not in _ids(settings)
