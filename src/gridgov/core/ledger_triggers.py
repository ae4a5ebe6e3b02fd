"""The ledger entries' append-only triggers (used by the migration and by tests that
simulate tampering): UPDATE and DELETE of an entry are refused; on PostgreSQL TRUNCATE too."""

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_no_change BEFORE UPDATE OR DELETE ON core_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON core_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_entry_no_change ON core_ledgerentry;
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON core_ledgerentry;
DROP FUNCTION IF EXISTS ledger_entry_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_no_update BEFORE UPDATE ON core_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_no_delete BEFORE DELETE ON core_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only (DELETE refused)'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update;",
    "DROP TRIGGER IF EXISTS ledger_entry_no_delete;",
]


def create(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'ledger_entry_no_change'")
            if cursor.fetchone():
                cursor.execute("ALTER TABLE core_ledgerentry ENABLE TRIGGER USER")
            else:
                cursor.execute(PG_FORWARD)
        else:
            for sql in SQLITE_FORWARD:
                cursor.execute(sql)


def lift(connection) -> None:
    """Switch the triggers off (tests only: a flush, or simulated tampering)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_ledgerentry DISABLE TRIGGER USER")
        else:
            for sql in SQLITE_BACKWARD:
                cursor.execute(sql)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_BACKWARD)
        else:
            for sql in SQLITE_BACKWARD:
                cursor.execute(sql)
