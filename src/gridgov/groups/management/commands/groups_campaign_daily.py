"""`gridgov groups_campaign_daily [--day YYYY-MM-DD]`: record every running inventory
campaign's collection rate per community for the day and raise the alerts due (a community
below the line for days in a row → its street; a red milestone → the district). Run it once
a day, in the evening; running it again the same day changes nothing."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from gridgov.groups.services_campaigns import campaign_daily_run


class Command(BaseCommand):
    help = "Record the campaigns' daily collection rates and raise their alerts."

    def add_arguments(self, parser):
        parser.add_argument("--day", default="", help="the day (YYYY-MM-DD), today by default")

    def handle(self, *args, day, **options):
        try:
            when = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError("--day: YYYY-MM-DD") from None
        result = campaign_daily_run(when)
        self.stdout.write(
            f"community days recorded: {result['recorded']}, new alerts: {result['alerts']}"
        )
