"""`gridgov events_scan [--loop SECONDS]`: due-soon notices, overdue escalation, late
acceptance and rating follow-ups. Safe to run from several processes at once."""

import time

from django.core.management.base import BaseCommand

from gridgov.events.scan import scan


class Command(BaseCommand):
    help = "Scan events for deadlines and escalate overdue ones."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            result = scan()
            self.stdout.write(
                f"due soon {result.due_soon}, escalated {result.escalated}, "
                f"late acceptance {result.late_acceptance}, "
                f"rating follow-ups {result.rating_followups}"
            )
            if not loop:
                return
            time.sleep(loop)
