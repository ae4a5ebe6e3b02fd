from django.core.management.base import BaseCommand

from gridgov.audit.services import audit_anchor


class Command(BaseCommand):
    help = "Anchor every chain's head into the root chain (run periodically)."

    def handle(self, *args, **options):
        record = audit_anchor()
        self.stdout.write(f"anchored {len(record.changes.get('heads', {}))} chains")
