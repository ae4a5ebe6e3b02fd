"""`gridgov kpis_rebuild_daily [--days N]`: rebuild the KPIs' daily pre-aggregates (after an
import of old events, or a change of a KPI definition)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from gridgov.kpis import daily


class Command(BaseCommand):
    help = "Rebuild the daily KPI pre-aggregates."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=800, help="how far back")

    def handle(self, *args, days, **options):
        today = timezone.localdate()
        written = daily.refresh(today - timedelta(days=days), today + timedelta(days=60))
        self.stdout.write(f"{written} daily buckets written")
