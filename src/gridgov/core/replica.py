"""Read routing to a PostgreSQL streaming replica (``GRIDGOV_REPLICA_URL``).

Only code that says so reads from the replica — dashboards, KPI pages and reports, inside
``reading_from_replica()`` — because they tolerate the replica's lag of a moment; everything
else, and every write, uses the primary. A replica that cannot be reached is skipped for
``RETRY_SECONDS`` and the primary serves the reads instead, so a dead replica never takes a
page down.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
RETRY_SECONDS = 30.0
logger = logging.getLogger("gridgov.db")

_read_alias: ContextVar[str | None] = ContextVar("gridgov_read_alias", default=None)
_down_until = {"at": 0.0}  # per process: when to try a replica that failed again


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _replica_usable() -> bool:
    if not replica_configured() or time.monotonic() < _down_until["at"]:
        return False
    connection = connections[REPLICA]
    try:
        if connection.connection is not None and connection.is_usable():
            return True
        connection.close()
        connection.ensure_connection()
        return True
    except DatabaseError as exc:
        connection.close()
        _down_until["at"] = time.monotonic() + RETRY_SECONDS
        logger.warning("read replica unreachable, reading from the primary: %s", exc)
        return False


def replica_retry_now() -> None:
    """Forget a failure (tests, and operators after bringing the replica back)."""
    _down_until["at"] = 0.0


@contextmanager
def reading_from_replica():
    """Route the reads inside the block to the replica when it is up."""
    alias = REPLICA if _replica_usable() else DEFAULT_DB_ALIAS
    token = _read_alias.set(alias)
    try:
        yield alias
    finally:
        _read_alias.reset(token)


class ReplicaRouter:
    """Reads inside ``reading_from_replica()`` go to the replica; writes never do."""

    def db_for_read(self, model, **hints):
        return _read_alias.get()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, **hints):
        return db != REPLICA


def replica_reads(view):
    """A view (or API operation) whose reads may come from the replica."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with reading_from_replica():
            return view(*args, **kwargs)

    return wrapper
