from django.core.management.base import BaseCommand, CommandError

from gridgov.demo.geography import OutlineDataMissing
from gridgov.demo.seed import DemoRefused, seed_demo


class Command(BaseCommand):
    help = "Seed the demo district (demo mode only)."

    def handle(self, *args, **options):
        try:
            logins = seed_demo()
        except (DemoRefused, OutlineDataMissing) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"demo district seeded, {len(logins)} accounts")
