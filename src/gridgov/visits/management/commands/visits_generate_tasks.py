"""`gridgov visits_generate_tasks [--loop SECONDS]`: open a visit task for every household
that is due (out-of-date indicators or no visit in the cycle), for the grid's collectors by
load. Idempotent: a household with an open task gets no second one."""

import time

from django.core.management.base import BaseCommand

from gridgov.visits.services import tasks_generate_all


class Command(BaseCommand):
    help = "Generate household visit tasks for every grid."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            created = tasks_generate_all()
            self.stdout.write(f"visit tasks opened: {created}")
            if not loop:
                return
            time.sleep(loop)
