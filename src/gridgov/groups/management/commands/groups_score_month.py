"""Score a month of every chat group again under the scoring policy in force (after the
policy changed, or to check the month's ranks): ``gridgov groups_score_month [--month
YYYY-MM]``, the newest month reported by default."""

from django.core.management.base import BaseCommand, CommandError

from gridgov.groups.services_scores import latest_month, score_month
from gridgov.groups.services_snapshots import month_of


class Command(BaseCommand):
    help = "Score a month of the chat groups again under the scoring policy in force."

    def add_arguments(self, parser):
        parser.add_argument("--month", default="", help="YYYY-MM (default: the newest month)")

    def handle(self, *args, month, **options):
        first = month_of(month) if month else latest_month()
        if first is None:
            if month:
                raise CommandError(f"--month {month!r}: expected YYYY-MM")
            self.stdout.write("no monthly report yet: nothing to score")
            return
        run = score_month(month=first)
        self.stdout.write(
            f"{first:%Y-%m}: {run.scored} snapshots scored under scoring policy version "
            f"{run.policy_version}, {run.changed} scores written, "
            f"{run.cases_opened} rectification cases opened"
        )
