"""The devices' clock: take offline every online device not heard from within its allowance
(3 heartbeat intervals by default), each with a repair ticket, and tell the grid's staff
once when a repair is overdue. ``--loop SECONDS`` repeats (``gridgov start`` runs it every
minute)."""

import time

from django.core.management.base import BaseCommand

from gridgov.operations.services_devices import notify_overdue, scan_offline


class Command(BaseCommand):
    help = "Take silent devices offline with a repair ticket; notify overdue repairs."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            offline = scan_offline()
            overdue = notify_overdue()
            self.stdout.write(f"devices: {offline} went offline, {overdue} repairs overdue")
            if not loop:
                return
            time.sleep(loop)
