"""Reading the backup directory: which backups exist, which the retention policy keeps, and
whether the daily backup is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from gridgov.backups.policies import BackupPolicy

ARCHIVE_SUFFIX = ".backup"
KEYS_SUFFIX = ".keys"
_NAME = re.compile(r"^gridgov-(\d{8}T\d{6}Z)\.backup$")


@dataclass(frozen=True)
class StoredBackup:
    archive: Path
    keys: Path  # may not exist (kept elsewhere)
    created_at: datetime

    @property
    def name(self) -> str:
        return self.archive.name.removesuffix(ARCHIVE_SUFFIX)


def backup_name(created_at: datetime) -> str:
    return f"gridgov-{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def keys_path_for(archive: Path) -> Path:
    """Where the sealed field keys of a backup are written (and looked for first)."""
    name = archive.name.removesuffix(ARCHIVE_SUFFIX) + KEYS_SUFFIX
    return Path(settings.GRIDGOV_BACKUP_KEYS_DIR) / name


def backup_list(*, directory: Path | None = None) -> list[StoredBackup]:
    """Finished backups, oldest first (partial files of a running backup are not listed)."""
    directory = Path(directory or settings.GRIDGOV_BACKUP_DIR)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            created = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append(StoredBackup(path, keys_path_for(path), created))
    return sorted(found, key=lambda b: b.created_at)


def _month_index(moment: datetime) -> int:
    local = timezone.localtime(moment)
    return local.year * 12 + local.month - 1


def backups_to_keep(
    backups: list[StoredBackup], *, now: datetime, policy: BackupPolicy
) -> list[StoredBackup]:
    """Every backup of the last ``keep_daily_days`` days, the first backup of each of the
    last ``keep_monthly_months`` months (local calendar), and always the newest."""
    keep = {b.archive for b in backups if b.created_at >= now - timedelta(policy.keep_daily_days)}
    oldest_month = _month_index(now) - policy.keep_monthly_months
    first_of_month: dict[int, StoredBackup] = {}
    for backup in backups:  # oldest first
        month = _month_index(backup.created_at)
        if month >= oldest_month:
            first_of_month.setdefault(month, backup)
    keep |= {b.archive for b in first_of_month.values()}
    if backups:
        keep.add(backups[-1].archive)
    return [b for b in backups if b.archive in keep]


def backup_due(*, now: datetime, last_backup_at: datetime | None, policy: BackupPolicy) -> bool:
    """Due once today's backup time has come and no backup was made since; a backup missed
    while the server was down is made as soon as it runs again that day."""
    hour, minute = policy.hour_minute
    todays_run = timezone.localtime(now).replace(hour=hour, minute=minute, second=0, microsecond=0)
    if now < todays_run:
        return False
    return last_backup_at is None or last_backup_at < todays_run
