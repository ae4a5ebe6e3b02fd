"""`gridgov kpis_check_alerts [--loop SECONDS]`: raise an alert, once per period, for every
unit whose KPI is red, and on the first days of a month make last month's reports."""

import time

from django.core.management.base import BaseCommand

from gridgov.kpis.alerts import check_alerts
from gridgov.kpis.reports import purge_expired, schedule_monthly


class Command(BaseCommand):
    help = "Check KPI readings and alert units in red."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            self.stdout.write(
                f"new alerts: {check_alerts()}, monthly reports made: {schedule_monthly()}, "
                f"expired reports removed: {purge_expired()}"
            )
            if not loop:
                return
            time.sleep(loop)
