"""The staff inbox moved to ``core`` (any app posts notices): copy the events' notices into
``core.Notification`` with their event as the subject, then drop the old table."""

from django.db import migrations
from django.urls import reverse

BATCH = 2000


def copy_notices(apps, schema_editor):
    Old = apps.get_model("events", "Notification")
    New = apps.get_model("core", "Notification")
    created = New._meta.get_field("created_at")
    # Keep each notice's own time: auto_now_add would stamp the migration's time.
    created.auto_now_add = False
    try:
        rows = Old.objects.select_related("event").order_by("pk")
        batch = []
        for old in rows.iterator(chunk_size=BATCH):
            event = old.event
            batch.append(
                New(
                    recipient_id=old.recipient_id,
                    kind=old.kind,
                    message=old.message,
                    subject_type="events.event" if event else "",
                    subject_id=str(event.uid) if event else "",
                    link=reverse("events:event_detail", args=[event.uid]) if event else "",
                    dedupe_key=old.dedupe_key,
                    created_at=old.created_at,
                    read_at=old.read_at,
                )
            )
            if len(batch) >= BATCH:
                New.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        New.objects.bulk_create(batch, ignore_conflicts=True)
    finally:
        created.auto_now_add = True


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_scan_indexes"),
        ("core", "0003_notification"),
    ]

    operations = [
        migrations.RunPython(copy_notices, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notification"),
    ]
