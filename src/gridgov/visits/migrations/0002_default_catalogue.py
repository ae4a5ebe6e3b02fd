"""The default indicator catalogue (12 categories, 86 indicators; visits/catalogue.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from gridgov.visits.catalogue import load_seed_indicators

    load_seed_indicators(
        apps.get_model("visits", "IndicatorCategory"), apps.get_model("visits", "Indicator")
    )


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
