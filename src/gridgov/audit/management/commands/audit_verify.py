from django.core.management.base import BaseCommand, CommandError

from gridgov.audit.selectors import audit_verify


class Command(BaseCommand):
    help = "Verify every audit hash chain; prints OK or the first broken record."

    def handle(self, *args, **options):
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"OK: {result.checked} records verified")
            return
        raise CommandError(f"BROKEN: {result.problem}")
