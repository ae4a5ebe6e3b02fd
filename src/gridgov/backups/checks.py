"""Deployment checks for backups (`gridgov check --deploy`)."""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def backup_settings_check(app_configs, **kwargs):
    problems = []
    key_file = settings.GRIDGOV_BACKUP_KEY_FILE
    if settings.PRODUCTION and not key_file:
        problems.append(
            Warning(
                "GRIDGOV_BACKUP_KEY_FILE is not set: the daily backup cannot run.",
                hint="Create a backup key file (docs/operations.md, Backups).",
                id="gridgov.W201",
            )
        )
    field_key_file = settings.FIELD_KEY_FILE
    if key_file and field_key_file and Path(key_file).resolve() == Path(field_key_file).resolve():
        problems.append(
            Error(
                "GRIDGOV_BACKUP_KEY_FILE is the field key file: the keys would travel with "
                "the data they protect.",
                id="gridgov.E202",
            )
        )
    engine = settings.DATABASES["default"]["ENGINE"]
    pg_bin = settings.GRIDGOV_PG_BIN_DIR
    if engine.endswith("postgresql") and not (
        (Path(pg_bin) / "pg_dump").is_file() if pg_bin else shutil.which("pg_dump")
    ):
        problems.append(
            Warning(
                "pg_dump is not installed: the daily backup cannot run.",
                hint="Install the PostgreSQL client tools of the server's version "
                "(Debian: postgresql-client-15) or set GRIDGOV_PG_BIN_DIR.",
                id="gridgov.W203",
            )
        )
    return problems
