"""`gridgov backup`: back up now (database, media, sealed field keys) and apply the retention
policy; `--list` shows the backups; `--schedule` runs as the daily job that `gridgov start`
starts (at the `backups.schedule` policy's time, before 22:00)."""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridgov.backups.sealed import BackupError
from gridgov.backups.selectors import backup_due, backup_list
from gridgov.backups.services import backup_create, backups_prune
from gridgov.core.policies import policy_latest

logger = logging.getLogger(__name__)
# How often the scheduled job looks at the clock and the policy, and waits after a failure.
CHECK_SECONDS = 60
RETRY_SECONDS = 15 * 60


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Back up the database, media and field keys (encrypted with the backup key)."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="list the backups and stop")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="keep running: back up daily at the policy's time, then apply retention",
        )

    def handle(self, *args, list, schedule, **options):
        # SIGTERM (gridgov start stopping) unwinds like Ctrl+C: partial files are removed.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        if list:
            for backup in backup_list():
                keys = "" if backup.keys.exists() else "  (key file kept elsewhere)"
                self.stdout.write(
                    f"{timezone.localtime(backup.created_at):%Y-%m-%d %H:%M:%S}  "
                    f"{backup.archive}  {backup.archive.stat().st_size:,} bytes{keys}"
                )
            return
        if schedule:
            self._run_daily()
            return
        try:
            self._back_up()
        except BackupError as exc:
            raise CommandError(str(exc.message)) from exc

    def _back_up(self) -> None:
        result = backup_create()
        self.stdout.write(
            f"backup {result.archive} ({result.size:,} bytes): {result.tables} tables, "
            f"{result.rows:,} rows, {result.media_files} media files; field keys sealed in "
            f"{result.keys}"
        )
        for removed in backups_prune():
            self.stdout.write(f"removed after retention: {removed.archive.name}")

    def _run_daily(self) -> None:
        while True:
            policy = policy_latest("backups.schedule").value  # changes apply at once
            backups = backup_list()
            last = backups[-1].created_at if backups else None
            if backup_due(now=timezone.now(), last_backup_at=last, policy=policy):
                try:
                    self._back_up()
                except Exception:  # noqa: BLE001 - the job keeps running; the log says why
                    logger.exception("the daily backup failed; retrying in %s s", RETRY_SECONDS)
                    time.sleep(RETRY_SECONDS)
                    continue
            time.sleep(CHECK_SECONDS)
