"""The 舆情与公共卫生 categories (57, 57001, 57002) that chat-group early warnings become,
added to catalogues seeded before they existed (a new catalogue gets them from the seed)."""

import json

from django.db import migrations

from gridgov.events.catalogue import SEED_FILE

CODES = ("57", "57001", "57002")


def add_categories(apps, schema_editor):
    Category = apps.get_model("events", "Category")
    if not Category.objects.exists():
        return  # an empty catalogue is seeded whole elsewhere
    rows = [
        row
        for row in json.loads(SEED_FILE.read_text(encoding="utf-8"))["categories"]
        if row["kind"] == "matter" and row["code"] in CODES
    ]
    made = {}
    for row in rows:
        existing = Category.objects.filter(kind="matter", code=row["code"]).first()
        if existing is not None:
            made[row["code"]] = existing
            continue
        made[row["code"]] = Category.objects.create(
            kind="matter",
            code=row["code"],
            parent=made.get(row.get("parent")),
            name=row["name"],
            name_en=row.get("name_en", ""),
            default_urgency=row.get("default_urgency", "deadline"),
            keywords=row.get("keywords", []),
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0008_merge_duplicate_categories")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
