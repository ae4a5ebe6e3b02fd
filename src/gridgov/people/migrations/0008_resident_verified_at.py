import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def from_last_update(apps, schema_editor):
    # Existing records count as verified when they were last changed, not at the upgrade.
    apps.get_model("people", "Resident").objects.update(verified_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_initials_prefix_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="verified_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, null=True, verbose_name="last verified"
            ),
        ),
        migrations.RunPython(from_last_update, migrations.RunPython.noop),
    ]
