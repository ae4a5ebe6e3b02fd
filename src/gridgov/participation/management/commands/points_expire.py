"""`gridgov points_expire [--loop SECONDS]`: redemptions not collected within the policy's
days expire (points given back by a reversing entry, stock restored) and points older than
their earning rule's expiry lapse, oldest first. Idempotent (one lapse per account a day)."""

import time

from django.core.management.base import BaseCommand

from gridgov.participation.services_points import expire


class Command(BaseCommand):
    help = "Expire uncollected redemptions and lapsed points."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            counts = expire()
            self.stdout.write(
                f"redemptions expired: {counts['redemptions']}, "
                f"accounts with points lapsed: {counts['accounts']}"
            )
            if not loop:
                return
            time.sleep(loop)
