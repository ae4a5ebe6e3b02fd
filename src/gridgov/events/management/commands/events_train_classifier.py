"""`gridgov events_train_classifier`: train the category classifier on the events people
classified and report its accuracy on a held-out split (and the keywords' alone)."""

from django.core.management.base import BaseCommand, CommandError

from gridgov.audit.services import SystemActor, audit_record
from gridgov.events import classify


class Command(BaseCommand):
    help = "Train the event classifier and report held-out accuracy."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--test-share", type=float, default=0.2)
        parser.add_argument("--dry-run", action="store_true", help="report only, keep no model")

    def handle(self, *args, seed, test_share, dry_run, **options):
        try:
            report = classify.train(seed=seed, test_share=test_share, save=not dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if report.model is not None:
            audit_record(
                "events.classifier.train",
                actor=SystemActor("events_train_classifier"),
                target_type="events.classifiermodel",
                target_id=str(report.model.pk),
                changes={"accuracy": round(report.accuracy, 4), "tested_on": report.tested_on},
            )
        self.stdout.write(
            f"trained on {report.trained_on}, tested on {report.tested_on}: "
            f"accuracy {report.accuracy:.3f} (keywords alone {report.keyword_accuracy:.3f})"
        )
