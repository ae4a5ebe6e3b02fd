"""`gridgov lists_timeouts [--loop SECONDS]`: service orders not accepted within the policy
time (``lists.orders``, on the working-day calendar) become 超时 and their needs go back to
matching; orders accepted but not started by the first-service time are escalated once to
the community's and the street's dispatchers; and the bookings' clock (``bookings_sweep``):
no-shows after the grace time, checked-in bookings completed at their end, requests not
decided before their slot rejected. Idempotent; safe to run on several machines
(each order is moved under its lock or claimed by a conditional update)."""

import time

from django.core.management.base import BaseCommand

from gridgov.lists.booking_services import bookings_sweep
from gridgov.lists.services import orders_escalate_overdue, orders_time_out


class Command(BaseCommand):
    help = "Time out service orders not accepted in time."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, loop, **options):
        while True:
            self.stdout.write(
                f"service orders timed out: {orders_time_out()}, "
                f"escalated: {orders_escalate_overdue()}"
            )
            self.stdout.write(f"bookings moved by the clock: {bookings_sweep()}")
            if not loop:
                return
            time.sleep(loop)
