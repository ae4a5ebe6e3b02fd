from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from gridgov.audit.services import audit_purge
from gridgov.core.policies import policy_get


class Command(BaseCommand):
    help = "Delete audit records older than the retention policy (never younger than 180 days)."

    def handle(self, *args, **options):
        days = policy_get("audit.retention").retention_days
        deleted = audit_purge(before=timezone.now() - timedelta(days=days))
        self.stdout.write(f"purged {deleted} records older than {days} days")
