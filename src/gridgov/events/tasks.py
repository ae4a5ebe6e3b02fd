"""Background tasks of the event loop."""

from __future__ import annotations

from django.tasks import task

from gridgov.audit.services import SystemActor, audit_record


@task()
def train_classifier(actor_id: int | None = None) -> dict:
    from gridgov.accounts.models import User
    from gridgov.events import classify

    actor = User.objects.filter(pk=actor_id).first() or SystemActor("events.train")
    report = classify.train()
    audit_record(
        "events.classifier.train",
        actor=actor,
        target_type="events.classifiermodel",
        target_id=str(report.model.pk),
        changes={"accuracy": round(report.accuracy, 4), "tested_on": report.tested_on},
    )
    return {"accuracy": report.accuracy, "keyword_accuracy": report.keyword_accuracy}


@task()
def scan_events() -> dict:
    from dataclasses import asdict

    from gridgov.events.scan import scan

    return asdict(scan())


@task()
def recompute_deadlines(first_day: str, last_day: str, batch_id: str) -> dict:
    """The deadlines of the open events a calendar change affects, when they are many."""
    from datetime import date

    from gridgov.events.services import deadlines_recompute

    changed = deadlines_recompute(
        first_day=date.fromisoformat(first_day),
        last_day=date.fromisoformat(last_day),
        batch_id=batch_id,
    )
    return {"changed": changed, "batch_id": batch_id}
