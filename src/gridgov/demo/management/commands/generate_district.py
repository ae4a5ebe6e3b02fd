"""`gridgov generate_district`: a deterministic synthetic district of N residents, made
through the product's own bulk paths (see gridgov/demo/district.py)."""

import os
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gridgov.demo import district as synthetic
from gridgov.demo.geography import OutlineDataMissing
from gridgov.events.models import Event
from gridgov.org.models import OrgUnit
from gridgov.people.models import Resident, ResidentTag


class Command(BaseCommand):
    help = (
        "Generate a synthetic district: the real streets of --district-code, communities, "
        "compounds, buildings, rooms and grids laid inside the district's outline (from the "
        "ECharts 4 province map files in node_modules), residents imported through the import "
        "path, "
        "grid workers and a year of events. The same seed gives the same district and "
        "people; events fall in the year before the run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--district-code", default="310104")
        parser.add_argument(
            "--events", type=int, default=None, help="events to generate (default: --residents)"
        )
        parser.add_argument(
            "--divisions",
            default=os.environ.get("GRIDGOV_DIVISIONS_DIR", ""),
            help="directory of the national division CSV files (streets.csv …); without it "
            "the demo district's two streets are used",
        )
        parser.add_argument(
            "--no-kpis", action="store_true", help="skip rebuilding the KPI pre-aggregates"
        )

    def handle(self, *args, residents, seed, district_code, events, divisions, **options):
        if residents < 1:
            raise CommandError("--residents must be at least 1.")
        if not (district_code.isdigit() and len(district_code) == 6):
            raise CommandError("--district-code is a 6-digit area code, e.g. 310104.")
        if OrgUnit.objects.filter(level="grid", path__contains=f"/{district_code}/").exists():
            raise CommandError(
                f"District {district_code} already has grids: generate into an empty database."
            )
        events = residents if events is None else max(0, events)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            try:
                district = synthetic.build_district(
                    residents=residents,
                    shared=Path(divisions) if divisions else work / "no-divisions",
                    workdir=work,
                    district_code=district_code,
                    seed=seed,
                )
            except OutlineDataMissing as exc:
                raise CommandError(str(exc)) from exc
            if not district.outline_found:
                self.stderr.write(
                    self.style.WARNING(
                        f"District {district.code} has no outline in the province map file: "
                        "its grids are laid on a lattice instead."
                    )
                )
            self._step(started, f"{len(district.grids):,} grids with compounds and buildings")
            csv_path = work / "residents.csv"
            synthetic.write_resident_csv(csv_path, district, residents, seed=seed)
            job = synthetic.import_residents(district, csv_path)
            if job.status != "done":
                raise CommandError(f"The resident import ended as {job.status}: {job.message}")
            self._step(started, f"{job.created_rows:,} residents imported")
        staff = synthetic.seed_staff(district)
        workers = sum(len(place.workers) for place in staff)
        self._step(started, f"{workers:,} full-time grid workers in {len(staff):,} grids")
        if events:
            synthetic.generate_events(staff, events, seed=seed + 6)
            self._step(started, f"{events:,} events over the last year")
        if not options["no_kpis"]:
            call_command("kpis_rebuild_daily", verbosity=0)
            self._step(started, "KPI pre-aggregates rebuilt")
        self.stdout.write(
            self.style.SUCCESS(
                f"District {district.code}: {Resident.objects.count():,} residents, "
                f"{ResidentTag.objects.count():,} tags, {Event.objects.count():,} events "
                f"in {time.perf_counter() - started:.0f} s."
            )
        )

    def _step(self, started: float, what: str) -> None:
        self.stdout.write(f"[{time.perf_counter() - started:7.1f} s] {what}")
        self.stdout.flush()
