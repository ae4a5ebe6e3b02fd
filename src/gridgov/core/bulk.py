"""Fast bulk inserts: PostgreSQL's COPY where available, ``bulk_create`` elsewhere.

Rows are copied into a temporary table and moved with ``INSERT … ON CONFLICT DO NOTHING``,
so a row that would break a unique constraint (inserted meanwhile by a concurrent run of
the same job) is skipped, exactly like ``bulk_create(ignore_conflicts=True)``.
"""

from __future__ import annotations

from django.db import connection, models
from django.utils import timezone


def _copy_value(field: models.Field, value, now):
    from psycopg.types.json import Jsonb

    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if isinstance(field, models.JSONField):
        return Jsonb(value)
    return value


def insert_many(model: type[models.Model], objs: list[models.Model]) -> None:
    """Insert new rows, skipping any that conflict with a unique constraint. Primary keys
    are not set on the objects (re-read them by a unique column if needed)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=1000, ignore_conflicts=True)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    staging = connection.ops.quote_name(f"staging_{model._meta.db_table}")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "  # noqa: S608
            f"AS SELECT {columns} FROM {table} WITH NO DATA"  # names from the model only
        )
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([_copy_value(f, getattr(obj, f.attname), now) for f in fields])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"TRUNCATE {staging}")
