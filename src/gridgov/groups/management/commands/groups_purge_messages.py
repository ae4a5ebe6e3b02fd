"""The retention of chat exports: delete exports' text past the ``groups.messages`` policy's
``text_days`` and message rows past ``metadata_days`` (whole months on PostgreSQL).
``--loop SECONDS`` (what ``gridgov start`` runs, hourly) repeats."""

import time

from django.core.management.base import BaseCommand

from gridgov.groups.services_messages import purge_messages


class Command(BaseCommand):
    help = "Delete chat exports' text and old message rows past their retention."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            report = purge_messages()
            self.stdout.write(
                f"chat exports: {report.files_deleted} files deleted, "
                f"{report.rows_deleted} rows and {report.partitions_dropped} months dropped"
            )
            if not loop:
                return
            time.sleep(loop)
