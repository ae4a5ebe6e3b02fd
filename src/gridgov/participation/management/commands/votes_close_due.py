"""`gridgov votes_close_due [--loop SECONDS]`: close and count every open vote whose closing
time has passed (a vote with paper ballots still to confirm waits for staff)."""

import time

from django.core.management.base import BaseCommand

from gridgov.participation.services_votes import votes_close_due


class Command(BaseCommand):
    help = "Close and count the votes whose closing time has passed."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            self.stdout.write(f"votes closed: {votes_close_due()}")
            if not loop:
                return
            time.sleep(loop)
