from django.core.management.base import BaseCommand

from gridgov.people.keys import rotate_field_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt residents' personal fields under the key file's active key "
        "(add a new key, mark it active, then run this; safe to re-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size, **options):
        self.stdout.write(f"re-encrypted {rotate_field_keys(batch_size=batch_size)} residents")
