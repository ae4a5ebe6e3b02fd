"""KPI alerts: when a unit's KPI is red for the current period, its staff and the staff of
the level above are told once; they acknowledge it with a note."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.selectors import unit_staff
from gridgov.audit.services import audit_record
from gridgov.core import notifications
from gridgov.core.errors import ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import require_in_scope
from gridgov.kpis import daily, services
from gridgov.kpis.models import KpiAlert
from gridgov.kpis.registry import REGISTRY, KpiValue, Period, period_containing
from gridgov.org.models import OrgUnit


def unit_values(kpi, level: str, period: Period) -> dict[OrgUnit, KpiValue]:
    """The KPI for every active unit of a level, from the daily pre-aggregates."""
    units = list(OrgUnit.objects.filter(level=level, is_active=True))
    values = daily.values_for(kpi, units, period)
    return {u: values[u.path] for u in units if u.path in values}


def alert_list(*, actor, open_only: bool = False):
    """The KPI alerts in the actor's scope, newest first; ``open_only`` keeps those nobody
    has acknowledged (the alert page's filter and the workbench count)."""
    alerts = KpiAlert.objects.visible_to(actor).select_related("unit", "acknowledged_by")
    if open_only:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    return alerts


def check_alerts(now=None) -> int:
    """Create the alerts of the current month; returns how many are new."""
    period = period_containing("month", timezone.localdate(now or timezone.now()))
    minimum = policy_get("kpis.targets").alert_min_count
    created = 0
    for kpi in REGISTRY.values():
        for level in services.UNIT_LEVELS:
            target, _version = services.target_for(kpi, level)
            for unit, value in unit_values(kpi, level, period).items():
                if value.denominator < minimum:
                    continue
                if services.colour(kpi, value.value, target) != "danger":
                    continue
                created += _alert(kpi, unit, period, value, target)
    return created


def _alert(kpi, unit, period, value, target) -> int:
    try:
        with transaction.atomic():
            alert = KpiAlert.objects.create(
                unit=unit,
                kpi_code=kpi.code,
                period_kind=period.kind,
                period_label=period.label,
                value=value.value,
                target=target.target if target else None,
            )
    except IntegrityError:
        return 0  # already alerted for this period
    recipients = unit_staff([unit, unit.parent], "kpis.view")
    notifications.inbox(
        recipients,
        kind="kpi_red",
        message=_("%(unit)s: %(kpi)s is %(value)s in %(period)s, below its target.")
        % {"unit": unit.name, "kpi": kpi.name, "value": value.value, "period": period.label},
        key=f"kpi_red:{alert.pk}",
    )
    return 1


def alert_acknowledge(*, actor, alert: KpiAlert, note: str) -> KpiAlert:
    note = note.strip()
    if not note or len(note) > 500:
        raise ValidationFailed(details={"note": [_("Say what is being done (at most 500).")]})
    require_in_scope(actor, alert.unit.path, "kpis.view")
    with transaction.atomic():
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.note = note
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
        audit_record("kpis.alert.acknowledge", actor=actor, target=alert, changes={"note": note})
    return alert
