"""The ledger entries' append-only triggers (used by the migration and by tests that
simulate tampering): UPDATE and DELETE of an entry are refused; on PostgreSQL TRUNCATE too."""

from gridgov.core.append_only import AppendOnlyTriggers

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


TRIGGERS = AppendOnlyTriggers(
    table="core_ledgerentry",
    pg_probe="ledger_entry_no_change",
    pg_forward=PG_FORWARD,
    pg_backward=PG_BACKWARD,
    sqlite_forward=tuple(SQLITE_FORWARD),
    sqlite_backward=tuple(SQLITE_BACKWARD),
)
create, lift, drop = TRIGGERS.create, TRIGGERS.lift, TRIGGERS.drop
