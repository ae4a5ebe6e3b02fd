from django import template

register = template.Library()


@register.simple_tag
def kpi_records_url(kpi, unit_code, period) -> str:
    """Where a KPI number leads: the records behind it, in the unit, for the period."""
    return kpi.records(unit_code, period) if kpi.records else ""
