"""Append-only triggers on the ledger entries (see gridgov.core.ledger_triggers)."""

from django.db import migrations

from gridgov.core import ledger_triggers


def forward(apps, schema_editor):
    ledger_triggers.create(schema_editor.connection)


def backward(apps, schema_editor):
    ledger_triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_ledger")]

    operations = [migrations.RunPython(forward, backward)]
