from django.db import migrations

from gridgov.groups.catalogue import load_indicator_set_v1


def add_set(apps, schema_editor):
    load_indicator_set_v1(apps.get_model("groups", "IndicatorSet"))


class Migration(migrations.Migration):
    dependencies = [("groups", "0002_indicatorset_snapshot")]

    operations = [migrations.RunPython(add_set, migrations.RunPython.noop)]
