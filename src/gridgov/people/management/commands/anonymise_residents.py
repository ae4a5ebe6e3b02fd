from django.core.management.base import BaseCommand

from gridgov.people.services import residents_anonymise_expired


class Command(BaseCommand):
    help = "Anonymise residents archived (moved out, deceased) longer than the retention policy."

    def handle(self, *args, **options):
        self.stdout.write(f"anonymised {residents_anonymise_expired()} residents")
