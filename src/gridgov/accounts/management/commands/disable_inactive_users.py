from django.core.management.base import BaseCommand

from gridgov.accounts.services import users_disable_inactive


class Command(BaseCommand):
    help = "Disable accounts unused for longer than the password policy allows (default 90 days)."

    def handle(self, *args, **options):
        self.stdout.write(f"disabled {users_disable_inactive()} accounts")
