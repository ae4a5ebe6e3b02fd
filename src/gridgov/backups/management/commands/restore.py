"""`gridgov restore ARCHIVE [--keys FILE] [--force] [--replace-keys]`: put a backup back and
say what was restored."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.backups.sealed import BackupError
from gridgov.backups.services import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database (--force replaces a database that is not "
        "empty), then verify every table against the backup and the audit chains."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="a gridgov-….backup file")
        parser.add_argument(
            "--keys", type=Path, help="the backup's sealed field keys (default: next to it)"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace a database that is not empty"
        )
        parser.add_argument(
            "--replace-keys",
            action="store_true",
            help="install the backup's field keys over a different key file (kept aside)",
        )

    def handle(self, *args, archive, keys, force, replace_keys, **options):
        try:
            result = backup_restore(
                archive=archive, keys=keys, force=force, replace_keys=replace_keys
            )
        except BackupError as exc:
            raise CommandError(str(exc.message)) from exc
        rows = sum(t["rows"] for t in result.tables.values())
        self.stdout.write(
            f"restored {result.archive.name} (made {result.created_at}), {result.vendor}: "
            f"{len(result.tables)} tables, {rows:,} rows, every table equal to the backup"
        )
        empty = 0
        for table, info in sorted(result.tables.items()):
            if info["rows"]:
                self.stdout.write(f"  {table}: {info['rows']:,} rows")
            else:
                empty += 1
        self.stdout.write(f"  ({empty} empty tables)")
        for folder, info in result.media.items():
            self.stdout.write(f"  media {folder}: {info['files']} files, {info['bytes']:,} bytes")
        if result.keys_installed:
            kept = (
                f" (the previous one kept as {result.replaced_keys_file})"
                if (result.replaced_keys_file)
                else ""
            )
            self.stdout.write(f"field keys installed from the backup{kept}")
        else:
            self.stdout.write("field keys: the installed key file holds this backup's keys")
        if not result.audit_ok:
            raise CommandError(f"audit chains BROKEN after the restore: {result.audit_message}")
        self.stdout.write(f"audit chains OK: {result.audit_message}")
        self.stdout.write("next: gridgov migrate (if this GridGov is newer), then gridgov start")
