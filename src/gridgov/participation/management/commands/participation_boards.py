"""The monthly job of the boards: publish every community's grid service board
(网格服务红黑榜) for the month just ended, as the board policy in force places each worker.
Run on the 1st of each month (cron or the scheduler); ``--month YYYY-MM`` publishes (or
republishes) a given finished month."""

from django.core.management.base import BaseCommand, CommandError

from gridgov.audit.services import SystemActor
from gridgov.core.errors import ValidationFailed
from gridgov.org.models import OrgUnit
from gridgov.participation import service_board
from gridgov.participation.boards_services import publish_service_board


class Command(BaseCommand):
    help = "Publish the monthly grid service board of every community (default: last month)."

    def add_arguments(self, parser):
        parser.add_argument("--month", default="", help="YYYY-MM (a finished month)")

    def handle(self, *args, **options):
        label = options["month"] or service_board.previous_month_label()
        try:
            service_board.month_period(label)
        except (ValueError, TypeError) as exc:
            raise CommandError("--month takes YYYY-MM") from exc
        actor = SystemActor("participation_boards", batch_id=f"service-board-{label}")
        total = 0
        communities = OrgUnit.objects.filter(level="community", is_active=True).order_by("path")
        for community in communities:
            try:
                total += publish_service_board(actor, community=community, period_label=label)
            except ValidationFailed as exc:
                raise CommandError(str(exc.details)) from exc
        self.stdout.write(f"service boards {label}: {total} lines")
