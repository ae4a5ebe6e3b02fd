"""The KPIs' part of each home (core/workbench.py): alerts not acknowledged and the KPIs
off target at the user's own level; the district sees its whole board, and the street
and district hubs read it first."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Role
from gridgov.core.workbench import Queue, Section, register_section
from gridgov.kpis import services
from gridgov.kpis.alerts import alert_list

BOARD_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_STAFF})
HUB_ROLES = frozenset({Role.STREET_STAFF, Role.DISTRICT_STAFF})


@register_section(30)
def board_section(user) -> Section | None:
    if not (user.roles & BOARD_ROLES) or not user.has_permission("kpis.view"):
        return None
    unit = services.home_unit(user)
    if unit is None:
        return None
    period = services.parse_period("month")
    tiles = services.dashboard_tiles(actor=user, unit=unit, period=period)
    measured = any(t.reading.value.value is not None for t in tiles)
    district = Role.DISTRICT_STAFF in user.roles
    if not district:
        tiles = [t for t in tiles if t.reading.colour in ("danger", "warning")]
    alerts = Queue(
        "alerts",
        _("KPI alerts not acknowledged"),
        alert_list(actor=user, open_only=True).count(),
        f"{reverse('kpis:alert_list')}?open=1",
        "danger",
    )
    return Section(
        "board",
        _("District board") if district else _("KPIs off target"),
        [alerts],
        tiles,
        unit,
        services.freshness(period),
        measured,
        lead=bool(user.roles & HUB_ROLES),
    )
