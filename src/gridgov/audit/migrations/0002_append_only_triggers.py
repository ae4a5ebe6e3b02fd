"""Append-only triggers on the audit table (see gridgov.audit.triggers)."""

from django.db import migrations

from gridgov.audit import triggers


def forward(apps, schema_editor):
    triggers.create(schema_editor.connection)


def backward(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
