"""The facilities' monthly job: a 功能调整 task for every space idle above the policy's
share of its open hours in the month just ended (``--month YYYY-MM`` for another finished
month). ``--loop SECONDS`` repeats (``gridgov start`` runs it hourly; a space gets one
task a month, so repeating opens nothing twice)."""

import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridgov.operations.services_facilities import open_adjustment_tasks


class Command(BaseCommand):
    help = "Open function-adjustment tasks for the spaces idle last month."

    def add_arguments(self, parser):
        parser.add_argument("--month", default="", help="YYYY-MM (a finished month)")
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, month, loop, **options):
        while True:
            this_month = timezone.localdate().replace(day=1)
            if month:
                try:
                    first = datetime.strptime(month, "%Y-%m").date()
                except ValueError as exc:
                    raise CommandError("--month takes YYYY-MM") from exc
                if first >= this_month:
                    raise CommandError("--month must be a finished month")
            else:
                first = (this_month - timedelta(days=1)).replace(day=1)
            opened = open_adjustment_tasks(first)
            self.stdout.write(f"facilities {first:%Y-%m}: {opened} adjustment tasks opened")
            if not loop:
                return
            time.sleep(loop)
