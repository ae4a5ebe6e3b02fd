"""`gridgov participation_notices [--loop SECONDS]`: tell the eligible residents of each
topic whose notice is due (``participation.deliberation.notice_days`` before its meeting),
once per resident and topic. Idempotent: the record of who was told is unique."""

import time

from django.core.management.base import BaseCommand

from gridgov.participation.services_deliberation import notices_send_due


class Command(BaseCommand):
    help = "Tell residents of the deliberation topics' meetings that are due."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            self.stdout.write(f"residents told: {notices_send_due()}")
            if not loop:
                return
            time.sleep(loop)
