from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import ImportRejected
from gridgov.org.services import divisions_import


class Command(BaseCommand):
    help = (
        "Import administrative divisions from provinces.csv, cities.csv, areas.csv and "
        "streets.csv in a directory (UTF-8, UTF-8 with BOM or GBK). All-or-nothing unless "
        "--valid-rows-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--valid-rows-only", action="store_true")

    def handle(self, *args, directory, valid_rows_only, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        try:
            report = divisions_import(directory, valid_rows_only=valid_rows_only)
        except ImportRejected as exc:
            for problem in exc.details or []:
                self.stderr.write(
                    f"{problem['file']}:{problem['line']} [{problem['field']}] {problem['message']}"
                )
            raise CommandError(str(exc.message)) from exc
        for problem in report.rejected:
            self.stderr.write(f"rejected {problem}")
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, unchanged "
            f"{report.unchanged}, rejected {len(report.rejected)} "
            f"(batch {report.batch_id})"
        )
