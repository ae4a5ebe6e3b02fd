"""Resident import pages: template, upload, progress, validation report."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.core.errors import GridGovError
from gridgov.core.permissions import requires
from gridgov.people import imports, selectors
from gridgov.people.models import ColumnMapping, ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@requires("people.import")
def import_list(request):
    error = None
    mappings = ColumnMapping.objects.visible_to(request.user, "import").order_by("name")
    if request.method == "POST" and request.POST.get("action") == "save_mapping":
        try:
            imports.column_mapping_save(
                actor=request.user,
                name=request.POST.get("name", ""),
                text=request.POST.get("mapping", ""),
            )
        except GridGovError as exc:
            error = "; ".join(m for msgs in (exc.details or {}).values() for m in msgs) or str(
                exc.message
            )
        else:
            return redirect("people:import_list")
    elif request.method == "POST":
        upload = request.FILES.get("file")
        profile = mappings.filter(pk=request.POST.get("mapping") or 0).first()
        try:
            if upload is None:
                raise GridGovError(_("Choose a file."))
            job = imports.job_start(
                actor=request.user,
                upload=upload,
                mode=request.POST.get("mode", ImportJob.Mode.ALL_OR_NOTHING),
                mapping=profile.mapping if profile else None,
            )
        except GridGovError as exc:
            error = str(exc.message)
        else:
            return redirect("people:import_detail", uid=job.uid)
    return render(
        request,
        "people/import_list.html",
        {
            "jobs": selectors.import_job_list(actor=request.user)[:50],
            "error": error,
            "modes": ImportJob.Mode.choices,
            "mappings": mappings,
        },
        status=400 if error else 200,
    )


@requires("people.import")
def import_detail(request, uid):
    job = selectors.import_job_get(actor=request.user, uid=uid)
    if request.method == "POST":
        try:
            job = imports.job_proceed(
                actor=request.user, job=job, mode=request.POST.get("mode", "")
            )
        except GridGovError as exc:
            messages.error(request, str(exc.message))
        return redirect("people:import_detail", uid=job.uid)
    template = "people/_import_progress.html" if request.htmx else "people/import_detail.html"
    return render(request, template, {"job": job, "problems": job.problems[:200]})


@requires("people.import")
def import_report(request, uid):
    job = selectors.import_job_get(actor=request.user, uid=uid)
    response = HttpResponse(imports.problems_xlsx(job), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-report-{job.uid}.xlsx"'
    return response


@requires("people.import")
def import_template(request):
    response = HttpResponse(imports.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="residents-template.xlsx"'
    return response
