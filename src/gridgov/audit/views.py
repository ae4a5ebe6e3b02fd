from __future__ import annotations

import csv
from datetime import datetime, time

from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from gridgov.audit.actions import ACTIONS
from gridgov.audit.selectors import audit_record_list, audit_verify
from gridgov.audit.services import audit_record
from gridgov.core.permissions import requires

EXPORT_MAX_ROWS = 100_000


def _parse_day(value: str, *, end: bool = False):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.max if end else time.min))
    return moment


def _filters(request) -> dict:
    return {
        "actor_name": request.GET.get("actor", "").strip()[:150],
        "action": request.GET.get("action", "").strip()[:80],
        "org_unit_path": request.GET.get("org_unit", "").strip()[:255],
        "since": _parse_day(request.GET.get("since", "")),
        "until": _parse_day(request.GET.get("until", ""), end=True),
    }


@requires("audit.view")
def record_list(request):
    records = audit_record_list(actor=request.user, **_filters(request))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    verify = audit_verify() if request.GET.get("verify") else None
    return render(
        request,
        "audit/record_list.html",
        {
            "page": page,
            "actions": ACTIONS,
            "verify": verify,
            "query": request.GET.urlencode(),
            "params": request.GET,
        },
    )


class _Echo:
    def write(self, value):
        return value


@requires("audit.export")
def record_export(request):
    filters = _filters(request)
    records = audit_record_list(actor=request.user, **filters)[:EXPORT_MAX_ROWS]
    count = records.count()
    with transaction.atomic():
        audit_record(
            "audit.export",
            actor=request.user,
            target_type="audit.auditrecord",
            changes={"filters": {k: str(v) for k, v in filters.items() if v}, "rows": count},
        )
    writer = csv.writer(_Echo())
    header = [
        "时间 time",
        "链 chain",
        "序号 seq",
        "操作人 actor",
        "角色 role",
        "组织 org unit",
        "动作 action",
        "结果 outcome",
        "对象 target",
        "详情 details",
        "IP",
        "请求 request",
        "哈希 hash",
    ]

    def rows():
        yield "\ufeff"  # Excel reads UTF-8 only with a BOM
        yield writer.writerow(header)
        for r in records.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(r.created_at).isoformat(),
                    r.chain,
                    r.seq,
                    r.actor_name,
                    r.actor_role,
                    r.org_unit_path,
                    r.action,
                    r.outcome,
                    f"{r.target_type}:{r.target_id}",
                    _csv_safe(str(r.changes)),
                    r.ip or "",
                    r.request_id,
                    r.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _csv_safe(value: str) -> str:
    """Cells that a spreadsheet would run as a formula are stored as text."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
