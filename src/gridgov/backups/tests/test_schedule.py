"""The backups.schedule policy: a daily time before 22:00, at least three years of monthly
history, and the daily job's decision of when a backup is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from gridgov.backups.policies import BackupPolicy
from gridgov.backups.selectors import StoredBackup, backup_due, backups_to_keep

SHANGHAI = timedelta(hours=8)


def _local(text: str) -> datetime:
    """A Shanghai wall-clock time as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - SHANGHAI


@pytest.mark.parametrize("value", ["22:00", "23:30", "8:00", "20:60", "twenty", "24:00"])
def test_the_daily_time_must_be_a_time_before_ten_pm(value):
    with pytest.raises(ValidationError):
        BackupPolicy(daily_at=value)


def test_history_shorter_than_three_years_is_refused():
    with pytest.raises(ValidationError):
        BackupPolicy(keep_monthly_months=35)
    assert BackupPolicy().keep_monthly_months == 36 and BackupPolicy().daily_at == "20:00"


def test_due_once_a_day_after_the_policy_time_and_caught_up_when_missed():
    policy = BackupPolicy(daily_at="20:00")
    yesterday = _local("2026-03-09T20:00:05")
    assert not backup_due(now=_local("2026-03-10T19:59"), last_backup_at=yesterday, policy=policy)
    assert backup_due(now=_local("2026-03-10T20:00"), last_backup_at=yesterday, policy=policy)
    # Down at 20:00, up again at 21:30: made at once; then not again that day.
    assert backup_due(now=_local("2026-03-10T21:30"), last_backup_at=yesterday, policy=policy)
    today = _local("2026-03-10T21:30:40")
    assert not backup_due(now=_local("2026-03-10T23:59"), last_backup_at=today, policy=policy)
    assert backup_due(now=_local("2026-03-10T20:01"), last_backup_at=None, policy=policy)


def _daily(start: datetime, days: int) -> list[StoredBackup]:
    return [
        StoredBackup(Path(f"/b/{n}.backup"), Path(f"/b/{n}.keys"), start + timedelta(days=n))
        for n in range(days)
    ]


def test_retention_keeps_recent_dailies_and_three_years_of_monthlies():
    policy = BackupPolicy(keep_daily_days=35, keep_monthly_months=36)
    backups = _daily(_local("2022-01-01T20:00"), 5 * 365)
    now = backups[-1].created_at + timedelta(hours=1)
    kept = backups_to_keep(backups, now=now, policy=policy)
    recent = [b for b in kept if b.created_at >= now - timedelta(days=35)]
    monthly = [b for b in kept if b.created_at < now - timedelta(days=35)]
    assert len(recent) == 35
    # One a month, the first of its month, reaching back at least three years.
    months = {(b.created_at + SHANGHAI).strftime("%Y-%m") for b in monthly}
    assert len(months) == len(monthly)
    assert all((b.created_at + SHANGHAI).day == 1 for b in monthly)
    assert min(b.created_at for b in kept) <= now - timedelta(days=3 * 365)
    assert min(b.created_at for b in kept) > now - timedelta(days=38 * 31)


def test_the_newest_backup_is_never_removed():
    policy = BackupPolicy()
    old = _daily(_local("2020-01-05T20:00"), 1)
    assert backups_to_keep(old, now=_local("2026-01-01T00:00"), policy=policy) == old
