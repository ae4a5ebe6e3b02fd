"""The audit table's append-only triggers (used by the migration and by tests that have
to lift them: a transactional test's final flush, or a simulated tampering).

UPDATE is refused, and DELETE of records younger than the 180-day legal minimum. On
PostgreSQL DELETE additionally needs the purge command's transaction-local flag and
TRUNCATE is refused.
"""

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit records are append-only (UPDATE refused)';
    END IF;
    IF coalesce(current_setting('gridgov.audit_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit records are append-only (DELETE refused)';
    END IF;
    IF OLD.created_at > now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit records younger than 180 days cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_record_no_update BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_record_no_update ON audit_auditrecord;
DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_record_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER audit_record_no_young_delete BEFORE DELETE ON audit_auditrecord
       WHEN julianday(OLD.created_at) > julianday('now', '-180 days')
       BEGIN SELECT RAISE(ABORT, 'audit records younger than 180 days cannot be deleted'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_record_no_update;",
    "DROP TRIGGER IF EXISTS audit_record_no_young_delete;",
]


def create(connection) -> None:
    """Create the triggers (PostgreSQL: create, or re-enable if they exist)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_record_no_update'")
            if cursor.fetchone():
                cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER USER")
            else:
                cursor.execute(PG_FORWARD)
        else:
            for sql in SQLITE_FORWARD:
                cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))


def lift(connection) -> None:
    """Switch the triggers off (tests only: a flush, or simulated tampering by a DBA)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER USER")
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
