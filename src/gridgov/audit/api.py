from datetime import datetime
from typing import Any

from ninja import Schema

from gridgov.audit.selectors import audit_record_list, audit_verify
from gridgov.audit.services import shown_changes
from gridgov.core.api_support import Limit, Offset, PermissionRouter, api_requires, line, page_slice

router = PermissionRouter(tags=["audit"])


class AuditRecordOut(Schema):
    chain: str
    seq: int
    created_at: datetime
    actor_name: str
    actor_role: str
    org_unit_path: str
    action: str
    outcome: str
    target_type: str
    target_id: str
    changes: dict[str, Any]
    ip: str | None
    request_id: str
    hash: str

    @staticmethod
    def resolve_changes(obj):
        return shown_changes(obj.changes)


class AuditPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[AuditRecordOut]


class VerifyOut(Schema):
    ok: bool
    checked: int
    problem: str | None


@router.get("/audit-records", response=AuditPage)
@api_requires("audit.view")
def audit_records(
    request,
    actor: line(150) = "",
    action: line(60) = "",
    org_unit: line(255) = "",
    since: datetime | None = None,
    until: datetime | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = audit_record_list(
        actor=request.user,
        actor_name=actor,
        action=action,
        org_unit_path=org_unit,
        since=since,
        until=until,
    )
    items, limit, offset = page_slice(qs, offset, limit)
    return AuditPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.get("/audit-records/verify", response=VerifyOut)
@api_requires("audit.view")
def audit_records_verify(request):
    result = audit_verify()
    return VerifyOut(
        ok=result.ok,
        checked=result.checked,
        problem=str(result.problem) if result.problem else None,
    )
