"""ID masks that kept the last four digits (with the birth date shown beside them, the
number could be rebuilt) become region-only masks, in the residents and their history."""

import re

from django.db import migrations

_OLD = re.compile(r"^(\d{6})\*+[\dXx]{0,4}$")


def _remask(value):
    if not isinstance(value, str):
        return value
    found = _OLD.match(value)
    return found.group(1) + "*" * (len(value) - 6) if found else value


def remask(apps, schema_editor):
    Resident = apps.get_model("people", "Resident")
    History = apps.get_model("people", "ResidentHistory")
    batch = []
    for resident in Resident.objects.exclude(id_number_masked="").only("pk", "id_number_masked"):
        new = _remask(resident.id_number_masked)
        if new != resident.id_number_masked:
            resident.id_number_masked = new
            batch.append(resident)
        if len(batch) >= 1000:
            Resident.objects.bulk_update(batch, ["id_number_masked"])
            batch = []
    Resident.objects.bulk_update(batch, ["id_number_masked"])
    batch = []
    for entry in History.objects.filter(changes__has_key="id_number").only("pk", "changes"):
        pair = entry.changes.get("id_number")
        if isinstance(pair, list):
            entry.changes["id_number"] = [_remask(v) for v in pair]
            batch.append(entry)
        if len(batch) >= 1000:
            History.objects.bulk_update(batch, ["changes"])
            batch = []
    History.objects.bulk_update(batch, ["changes"])


class Migration(migrations.Migration):
    dependencies = [("people", "0010_import_columns_and_households")]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
