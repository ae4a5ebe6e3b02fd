"""Background tasks of the KPIs."""

from django.tasks import task


@task()
def generate_report(report_id: int) -> str:
    from gridgov.kpis.models import KpiReport
    from gridgov.kpis.reports import report_generate

    report = KpiReport.objects.select_related("unit", "created_by").get(pk=report_id)
    return report_generate(report).status
