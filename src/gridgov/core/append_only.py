"""Triggers that make a table append-only, on PostgreSQL and SQLite: one mechanism for the
audit trail and the ledger entries. Each table brings its own SQL (what it refuses differs:
the audit trail lets the purge delete old records); this creates, lifts and drops them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppendOnlyTriggers:
    table: str
    pg_probe: str  # the name of one PostgreSQL trigger: present means created before
    pg_forward: str
    pg_backward: str
    sqlite_forward: tuple[str, ...]
    sqlite_backward: tuple[str, ...]

    def create(self, connection) -> None:
        """Create the triggers (PostgreSQL: create, or re-enable if they exist)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [self.pg_probe])
                if cursor.fetchone():
                    cursor.execute(f"ALTER TABLE {self.table} ENABLE TRIGGER USER")
                else:
                    cursor.execute(self.pg_forward)
            else:
                for sql in self.sqlite_forward:
                    if "IF NOT EXISTS" not in sql:
                        sql = sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS")
                    cursor.execute(sql)

    def lift(self, connection) -> None:
        """Switch the triggers off (tests only: a flush, or simulated tampering by a DBA)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {self.table} DISABLE TRIGGER USER")
            else:
                for sql in self.sqlite_backward:
                    cursor.execute(sql)

    def drop(self, connection) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(self.pg_backward)
            else:
                for sql in self.sqlite_backward:
                    cursor.execute(sql)
