"""Background tasks of the KPIs."""

from django.conf import settings
from django.tasks import task
from django.utils import translation


@task()
def generate_report(report_id: int, language: str = "") -> str:
    """Generate a report in the language of who asked for it (the product's default for
    scheduled ones)."""
    from gridgov.kpis.models import KpiReport
    from gridgov.kpis.reports import report_generate

    report = KpiReport.objects.select_related("unit", "created_by").get(pk=report_id)
    with translation.override(language or settings.LANGUAGE_CODE):
        return report_generate(report).status
