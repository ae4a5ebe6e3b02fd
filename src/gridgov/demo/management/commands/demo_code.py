import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import User
from gridgov.accounts.services import otp_secret


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if settings.PRODUCTION:
            raise CommandError("not available in production mode")
        user = User.objects.filter(username=username, is_demo=True).first()
        if user is None or not otp_secret(user):
            raise CommandError("no demo account with two-factor by that name")
        self.stdout.write(pyotp.TOTP(otp_secret(user)).now())
