"""The download centre of monthly reports: list, generate on demand, download (audited)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.audit.services import audit_record
from gridgov.core.permissions import requires
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.kpis import reports
from gridgov.kpis.models import KpiReport
from gridgov.kpis.registry import REPORT_KINDS
from gridgov.kpis.views import home_unit
from gridgov.org.models import OrgUnit

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@requires("kpis.view")
def report_list(request):
    page = Paginator(
        KpiReport.objects.visible_to(request.user).select_related("unit", "created_by"), 30
    ).get_page(request.GET.get("page"))
    units = OrgUnit.objects.filter(level__in=reports.REPORT_LEVELS, is_active=True).order_by("path")
    units = [u for u in units if path_in_scope(request.user, u.path, "kpis.view")][:200]
    last_month = timezone.localdate().replace(day=1) - timezone.timedelta(days=1)
    return render(
        request,
        "kpis/report_list.html",
        {
            "page": page,
            "units": units,
            "home": home_unit(request.user),
            "default_month": f"{last_month:%Y-%m}",
            "kinds": [
                (k, v[0])
                for k, v in reports.report_kinds().items()
                if k not in REPORT_KINDS or request.user.has_permission(REPORT_KINDS[k].permission)
            ],
        },
    )


@requires("kpis.view")
@require_POST
def report_request(request):
    from gridgov.kpis.tasks import generate_report

    unit = OrgUnit.objects.filter(code=request.POST.get("unit", "")[:20]).first()
    try:
        month = date.fromisoformat(request.POST.get("month", "")[:7] + "-01")
    except ValueError:
        month = None
    if unit is None or not path_in_scope(request.user, unit.path, "kpis.view"):
        raise Http404
    if month is None or month > timezone.localdate() or month.year < 2000:
        messages.error(request, _("Choose a past or current month."))
        return redirect("kpis:report_list")
    kind = request.POST.get("kind", "")[:20] or KpiReport.KPIS
    kinds = reports.report_kinds()
    if kind not in kinds:
        messages.error(request, _("Choose a kind of report."))
        return redirect("kpis:report_list")
    if unit.level not in kinds[kind][1]:
        messages.error(
            request,
            _("Bulletins are made for a district or a street.")
            if kind not in REPORT_KINDS and kind != KpiReport.KPIS
            else _("Reports are made for a district, a street or a community."),
        )
        return redirect("kpis:report_list")
    if not reports.may_request(request.user, kind, unit):
        raise Http404
    report = reports.report_create(actor=request.user, unit=unit, period_date=month, kind=kind)
    generate_report.enqueue(report_id=report.pk, language=translation.get_language() or "")
    messages.success(request, _("The report is being generated; it appears below when ready."))
    return redirect("kpis:report_list")


@requires("kpis.view")
def report_download(request, uid, fmt: str):
    report = access_object(
        request.user, KpiReport.objects.select_related("unit"), uid=uid, status="done"
    )
    path = Path(report.pdf_path if fmt == "pdf" else report.xlsx_path)
    if fmt not in CONTENT_TYPES or not path.is_file():
        raise Http404
    audit_record("kpis.report.download", actor=request.user, target=report, changes={"format": fmt})
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=(
            f"{report.unit.code}-{report.period_label}.{fmt}"
            if report.kind == KpiReport.KPIS
            else f"{report.unit.code}-{report.kind}-{report.period_label}.{fmt}"
            if report.kind in REPORT_KINDS
            else f"{report.unit.code}-{report.kind}-bulletin-{report.period_label}.{fmt}"
        ),
        content_type=CONTENT_TYPES[fmt],
    )
