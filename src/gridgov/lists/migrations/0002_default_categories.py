"""The default need-category taxonomy (editable afterwards)."""

from django.db import migrations


def forward(apps, schema_editor):
    from gridgov.lists.catalogue import load_seed_categories

    load_seed_categories(apps.get_model("lists", "NeedCategory"))


class Migration(migrations.Migration):
    dependencies = [("lists", "0001_initial")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
