"""`gridgov kpis_check_alerts [--loop SECONDS]`: refresh the recent daily pre-aggregates,
raise an alert, once per period, for every unit whose KPI is red, and on the first days of a
month make last month's reports."""

import time

from django.core.management.base import BaseCommand

from gridgov.kpis import daily
from gridgov.kpis.alerts import check_alerts
from gridgov.kpis.reports import purge_expired, schedule_monthly


class Command(BaseCommand):
    help = "Check KPI readings and alert units in red."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            refreshed = daily.refresh_recent()
            alerts = check_alerts()
            made = schedule_monthly()
            purged = purge_expired()
            self.stdout.write(
                f"daily buckets refreshed: {refreshed}, new alerts: {alerts}, "
                f"monthly reports made: {made}, expired reports removed: {purged}"
            )
            if not loop:
                return
            time.sleep(loop)
