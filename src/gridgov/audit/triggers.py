"""The audit table's append-only triggers (used by the migration and by tests that have
to lift them: a transactional test's final flush, or a simulated tampering).

UPDATE is refused, and DELETE of records younger than the 180-day legal minimum. On
PostgreSQL DELETE additionally needs the purge command's transaction-local flag and
TRUNCATE is refused.
"""

from gridgov.core.append_only import AppendOnlyTriggers

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


TRIGGERS = AppendOnlyTriggers(
    table="audit_auditrecord",
    pg_probe="audit_record_no_update",
    pg_forward=PG_FORWARD,
    pg_backward=PG_BACKWARD,
    sqlite_forward=tuple(SQLITE_FORWARD),
    sqlite_backward=tuple(SQLITE_BACKWARD),
)
create, lift, drop = TRIGGERS.create, TRIGGERS.lift, TRIGGERS.drop
