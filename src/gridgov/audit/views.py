from __future__ import annotations

from datetime import datetime, time

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from gridgov.audit.actions import ACTIONS
from gridgov.audit.exports import audit_trail_export
from gridgov.audit.readable import readable
from gridgov.audit.selectors import audit_record_list, audit_verify
from gridgov.core.permissions import requires

FILTER_FIELDS = ("actor", "action", "org_unit", "since", "until")


def _parse_day(value: str, *, end: bool = False):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.max if end else time.min))
    return moment


def _filters(params) -> dict:
    """The list's filters from a query string (the list) or a form (the export)."""
    return {
        "actor_name": params.get("actor", "").strip()[:150],
        "action": params.get("action", "").strip()[:80],
        "org_unit_path": params.get("org_unit", "").strip()[:255],
        "since": _parse_day(params.get("since", "")),
        "until": _parse_day(params.get("until", ""), end=True),
    }


@requires("audit.view")
def record_list(request):
    records = audit_record_list(actor=request.user, **_filters(request.GET))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    page.object_list = readable(page.object_list)
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
            "export_filters": [(k, request.GET[k]) for k in FILTER_FIELDS if request.GET.get(k)],
        },
    )


@requires("audit.export")
@require_POST
def record_export(request):
    """A POST under the CSRF check: a link on another site cannot make anyone export."""
    name, content_type, file = audit_trail_export(
        actor=request.user, filters=_filters(request.POST)
    )
    return FileResponse(file, as_attachment=True, filename=name, content_type=content_type)
