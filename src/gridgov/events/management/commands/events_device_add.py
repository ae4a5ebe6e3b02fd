"""`gridgov events_device_add CODE NAME CATEGORY LON LAT`: register an alarm device and
print its signing secret once (the device signs webhook calls with it)."""

from django.core.management.base import BaseCommand, CommandError

from gridgov.audit.services import SystemActor
from gridgov.core.errors import ValidationFailed
from gridgov.events.services import device_register


class Command(BaseCommand):
    help = "Register an alarm device for the event webhook."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("category")
        parser.add_argument("lon", type=float)
        parser.add_argument("lat", type=float)
        parser.add_argument("--address", default="")

    def handle(self, *args, code, name, category, lon, lat, address, **options):
        try:
            device, secret = device_register(
                actor=SystemActor("events_device_add"),
                code=code,
                name=name,
                category_code=category,
                lon=lon,
                lat=lat,
                address=address,
            )
        except ValidationFailed as exc:
            raise CommandError(str(exc.details)) from exc
        self.stdout.write(f"device {device.code} registered; webhook /events/hooks/device/{code}/")
        self.stdout.write(f"signing secret (shown once): {secret}")
