from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gridgov.core.attachments import encrypt_stored
from gridgov.core.ports import audit_write


class Command(BaseCommand):
    help = (
        "Encrypt the uploaded files kept before encryption at rest (event photos, visit "
        "scans and photos) and re-encrypt those under an older key with the key file's "
        "active key (after rotate_field_keys). Safe to interrupt and run again."
    )

    def handle(self, *args, **options):
        report = encrypt_stored(settings.GRIDGOV_ATTACHMENT_FOLDERS)
        with transaction.atomic():
            audit_write(
                "attachments.encrypt",
                actor_name="system:attachments-encrypt",
                changes={
                    "encrypted": report.encrypted,
                    "reencrypted": report.reencrypted,
                    "current": report.current,
                    "refused": len(report.refused),
                },
            )
        self.stdout.write(
            f"encrypted {report.encrypted} plain files, re-encrypted {report.reencrypted} "
            f"under the active key, {report.current} already current"
        )
        if report.refused:
            for name in report.refused:
                self.stderr.write(f"refused (fails its integrity check, left as is): {name}")
            raise CommandError(
                f"{len(report.refused)} files fail their integrity check; restore them from a "
                "backup."
            )
