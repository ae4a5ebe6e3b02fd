"""The KPIs of service facilities, registered with the KPI registry (docs/kpis.md), per grid
path as of the period's end:

- ``facilities.coverage_15min`` 15分钟服务圈覆盖率: residents of placed buildings within the
  circle's reach of a facility of a circle kind ÷ residents of placed buildings (residents
  and facilities as the registry holds them now);
- ``facilities.grid_centre`` 综合服务中心覆盖: grids where such a facility stands ÷ grids;
- ``facilities.utilisation`` 设施使用率: hours used ÷ hours open, over the spaces of the
  facilities, for the month (to the moment, for the running month).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Period, registrar
from gridgov.operations.models import Facility, FacilitySpace
from gridgov.operations.selectors_facilities import circle, grids_with_centre, space_utilisation

LEVELS = ("district", "street", "community", "grid")


def coverage(prefix: str, moment: datetime) -> dict[str, list]:
    return circle(prefix).by_path()


def utilisation(prefix: str, moment: datetime) -> dict[str, list]:
    """{facility path: [hours used, hours open]} over the month of ``moment``."""
    # The period ends at the next month's first instant: its last day is the one before.
    local = timezone.localtime(moment - timedelta(microseconds=1))
    spaces = FacilitySpace.objects.filter(
        is_active=True, facility__is_active=True, facility__scope_path__startswith=prefix
    ).select_related("facility", "bookable")
    out: dict[str, list] = {}
    for row in space_utilisation(spaces, local.date(), until=local.date()):
        box = out.setdefault(row.space.facility.scope_path, [0.0, 0.0])
        box[0] += min(row.used_hours, row.open_hours)
        box[1] += row.open_hours
    return out


def _link(unit_code: str, period: Period) -> str:
    return reverse("operations:facility_board")


_kpi = registrar(
    capability="operations",
    levels=LEVELS,
    periods=("month",),
    source=lambda: Facility.objects.all(),
    records=_link,
    unit="%",
)


_kpi(
    code="facilities.coverage_15min",
    name=_("15-minute service circle coverage (15分钟服务圈覆盖率)"),
    definition=_(
        "Of the residents living in buildings placed on the map, the share whose building lies "
        "within the circle's reach (facilities policy: 1,000 m in a straight line) of a "
        "facility that counts for the circle (a 综合服务中心 by default)."
    ),
    formula=_("residents within reach ÷ residents of placed buildings"),
    higher_is_better=True,
    snapshot=coverage,
)
_kpi(
    code="facilities.grid_centre",
    name=_("Grids with a community service centre (综合服务中心覆盖)"),
    definition=_(
        "Of the active grids, the share where a facility that counts for the circle (a "
        "综合服务中心 by default) stands."
    ),
    formula=_("grids with a service centre ÷ grids"),
    higher_is_better=True,
    snapshot=lambda prefix, moment: grids_with_centre(prefix),
)
_kpi(
    code="facilities.utilisation",
    name=_("Facility utilisation (设施使用率)"),
    definition=_(
        "Of the hours the facilities' spaces were open in the month, the share used: bookings "
        "checked in or completed, and walk-in use entered by staff. The idle rate is the rest."
    ),
    formula=_("hours used ÷ hours open"),
    higher_is_better=True,
    snapshot=utilisation,
)
