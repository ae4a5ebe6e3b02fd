"""`gridgov groups_campaign_daily [--day YYYY-MM-DD]`: record every running inventory
campaign's collection rate per community for the day and raise the alerts due (a community
below the line for days in a row → its street; a red milestone → the district). Running it
again the same day refreshes the day's rates and raises nothing twice; ``--loop SECONDS``
(what ``gridgov start`` runs, hourly) repeats it, so each day's last rate stands."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from gridgov.groups.services_campaigns import campaign_daily_run


class Command(BaseCommand):
    help = "Record the campaigns' daily collection rates and raise their alerts."

    def add_arguments(self, parser):
        parser.add_argument("--day", default="", help="the day (YYYY-MM-DD), today by default")
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, day, loop, **options):
        try:
            when = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError("--day: YYYY-MM-DD") from None
        while True:
            result = campaign_daily_run(when)
            self.stdout.write(
                f"community days recorded: {result['recorded']}, new alerts: {result['alerts']}"
            )
            if not loop:
                return
            time.sleep(loop)
