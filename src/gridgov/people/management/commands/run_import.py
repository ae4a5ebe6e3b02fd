from django.core.management.base import BaseCommand, CommandError

from gridgov.people.imports import run_import
from gridgov.people.models import ImportJob


class Command(BaseCommand):
    help = "Run (or resume after a crash) a resident import job by its id."

    def add_arguments(self, parser):
        parser.add_argument("uid")

    def handle(self, *args, uid, **options):
        job = ImportJob.objects.select_related("created_by").filter(uid=uid).first()
        if job is None:
            raise CommandError(f"no import job {uid}")
        job = run_import(job)
        self.stdout.write(
            f"{job.status}: {job.created_rows} created, {job.unchanged_rows} "
            f"unchanged, {job.rejected_rows} rejected of {job.total_rows}"
        )
