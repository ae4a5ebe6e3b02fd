"""The monthly job of the boards: publish every community's grid service board
(网格服务红黑榜) for the month just ended, as the board policy in force places each worker.
``--month YYYY-MM`` publishes (or republishes) a given finished month. ``--loop SECONDS``
(what ``gridgov start`` runs, hourly) publishes the month just ended for the communities
not yet published, so each board appears on the first run after the month ends; staff
republish from the board page when late ratings should count."""

import time

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import ValidationFailed
from gridgov.participation import service_board
from gridgov.participation.services_boards import publish_service_boards


class Command(BaseCommand):
    help = "Publish the monthly grid service board of every community (default: last month)."

    def add_arguments(self, parser):
        parser.add_argument("--month", default="", help="YYYY-MM (a finished month)")
        parser.add_argument("--loop", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, month, loop, **options):
        if month:
            try:
                service_board.month_period(month)
            except (ValueError, TypeError) as exc:
                raise CommandError("--month takes YYYY-MM") from exc
        while True:
            label = month or service_board.previous_month_label()
            try:
                total = publish_service_boards(period_label=label, only_missing=bool(loop))
            except ValidationFailed as exc:
                raise CommandError(str(exc.details)) from exc
            self.stdout.write(f"service boards {label}: {total} lines")
            if not loop:
                return
            time.sleep(loop)
