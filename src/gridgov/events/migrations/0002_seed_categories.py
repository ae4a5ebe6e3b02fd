from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.events.catalogue import load_seed_categories

    load_seed_categories(apps.get_model("events", "Category"))


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
