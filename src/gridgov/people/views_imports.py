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
                target_grid=request.POST.get("grid", ""),
                grouping=request.POST.get("grouping", ImportJob.Grouping.RELATION),
            )
        except GridGovError as exc:
            error = str(exc.message)
        else:
            return redirect("people:import_detail", uid=job.uid)
    grids = list(selectors.import_target_grids(actor=request.user))
    attention = request.GET.get("attention") == "1"
    jobs = selectors.import_job_list(actor=request.user, needs_attention=attention)
    return render(
        request,
        "people/import_list.html",
        {
            "jobs": jobs[:50],
            "job_count": jobs.count(),
            "attention": attention,
            "error": error,
            "modes": ImportJob.Mode.choices,
            "mappings": mappings,
            "grids": grids,
            "own_grid": grids[0].code if len(grids) == 1 else "",
            "groupings": ImportJob.Grouping.choices,
        },
        status=400 if error else 200,
    )


@requires("people.import")
def import_detail(request, uid):
    job = selectors.import_job_get(actor=request.user, uid=uid)
    if request.method == "POST" and request.POST.get("action") == "configure":
        decisions = {
            column["label"]: request.POST.get(f"col-{column['column']}", "")
            for column in job.columns
            if column["status"] != "mapped" and request.POST.get(f"col-{column['column']}")
        }
        try:
            job = imports.job_configure(
                actor=request.user,
                job=job,
                columns=decisions,
                target_grid=request.POST.get("grid") or None,
                grouping=request.POST.get("grouping") or None,
            )
        except GridGovError as exc:
            details = "; ".join(
                f"{label}: {' '.join(str(m) for m in msgs)}"
                for label, msgs in (exc.details or {}).items()
            )
            messages.error(request, details or str(exc.message))
        return redirect("people:import_detail", uid=job.uid)
    if request.method == "POST":
        try:
            job = imports.job_proceed(
                actor=request.user, job=job, mode=request.POST.get("mode", "")
            )
        except GridGovError as exc:
            messages.error(request, str(exc.message))
        return redirect("people:import_detail", uid=job.uid)
    template = "people/_import_progress.html" if request.htmx else "people/import_detail.html"
    context = {"job": job, "problems": imports.readable_problems(job.problems[:200])}
    if job.status in {ImportJob.Status.CHECKED, ImportJob.Status.DECIDE}:
        fields = imports.field_choices()
        names = dict(fields)
        context.update(
            fields=fields,
            columns=[{**c, "field_label": names.get(c.get("field"), "")} for c in job.columns],
            grids=selectors.import_target_grids(actor=request.user),
            groupings=ImportJob.Grouping.choices,
        )
    return render(request, template, context)


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
