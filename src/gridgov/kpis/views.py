"""KPI pages: the list with this month's value at the user's own level, and a page per
KPI with its definition, formula, targets, value, breakdown one level down, and trend."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import ValidationFailed, error_text
from gridgov.core.maps import display_grids
from gridgov.core.permissions import requires
from gridgov.core.replica import replica_reads
from gridgov.core.scoping import path_in_scope
from gridgov.kpis import services
from gridgov.kpis.registry import LEVEL_LABELS, PERIOD_LABELS, REGISTRY
from gridgov.kpis.services import home_unit
from gridgov.org.models import OrgUnit
from gridgov.org.selectors import grid_feature_collection, grid_list

NEXT_LEVEL = {"district": "street", "street": "community", "community": "grid", "grid": "worker"}


def _unit(request) -> OrgUnit | None:
    code = request.GET.get("unit", "")[:20]
    if code:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is not None:
            return unit
    return home_unit(request.user)


@requires("kpis.view")
@replica_reads
def kpi_list(request):
    unit = _unit(request)
    period = services.parse_period(request.GET.get("period", "month")[:10])
    rows = []
    for kpi in REGISTRY.values():
        reading = services.unit_value(actor=request.user, kpi=kpi, unit=unit, period=period)
        target, _version = services.target_for(kpi, unit.level)
        rows.append({"kpi": kpi, "reading": reading, "target": target})
    scores = {
        who: services.composite_scores(actor=request.user, unit=unit, who=who, period=period)
        for who in ("worker", "department")
    }
    return render(
        request,
        "kpis/kpi_list.html",
        {
            "rows": rows,
            "unit": unit,
            "period": period,
            "periods": list(PERIOD_LABELS.items()),
            "scores": scores,
            "freshness": services.freshness(period),
        },
    )


@requires("kpis.view")
@replica_reads
def kpi_detail(request, code: str):
    kpi = services.kpi_get(code)
    unit = _unit(request)
    period = services.parse_period(
        request.GET.get("period", "month")[:10], request.GET.get("date", "")[:10]
    )
    level = request.GET.get("level", "") or NEXT_LEVEL.get(unit.level, "grid")
    reading = services.unit_value(actor=request.user, kpi=kpi, unit=unit, period=period)
    target, version = services.target_for(kpi, unit.level)
    rows = services.breakdown(actor=request.user, kpi=kpi, unit=unit, level=level, period=period)
    return render(
        request,
        "kpis/kpi_detail.html",
        {
            "kpi": kpi,
            "unit": unit,
            "period": period,
            "periods": list(PERIOD_LABELS.items()),
            "level": level,
            "levels": [(lv, LEVEL_LABELS[lv]) for lv in kpi.levels if lv != unit.level],
            "reading": reading,
            "target": target,
            "policy_version": version,
            "rows": rows,
            "trend": services.trend(actor=request.user, kpi=kpi, unit=unit, period=period),
            "unit_levels": services.UNIT_LEVELS,
            "freshness": services.freshness(period),
        },
    )


@requires("kpis.view")
@replica_reads
def dashboard(request):
    """The unit's KPIs as tiles with the change against the previous period; its child
    units for one KPI with the best and worst three; the grid map coloured by that KPI."""
    unit = _unit(request)
    period = services.parse_period(
        request.GET.get("period", "month")[:10], request.GET.get("date", "")[:10]
    )
    tiles = services.dashboard_tiles(actor=request.user, unit=unit, period=period)
    kpi = services.kpi_get(request.GET.get("kpi", "events.on_time_closure")[:40])
    level = NEXT_LEVEL.get(unit.level)
    children = []
    if level in services.UNIT_LEVELS:
        children = services.breakdown(
            actor=request.user, kpi=kpi, unit=unit, level=level, period=period
        )
    best, worst = services.ranking(children, kpi)
    grids = (
        children
        if level == "grid"
        else services.breakdown(actor=request.user, kpi=kpi, unit=unit, level="grid", period=period)
        if unit.level != "grid"
        else []
    )
    geojson = display_grids(grid_feature_collection(grid_list(actor=request.user, under=unit)))
    colours = {r.code: {"colour": r.colour, "value": r.value.value} for r in grids}
    return render(
        request,
        "kpis/dashboard.html",
        {
            "unit": unit,
            "period": period,
            "periods": list(PERIOD_LABELS.items()),
            "tiles": tiles,
            "kpi": kpi,
            "kpis": list(REGISTRY.values()),
            "children": children,
            "level": level,
            "level_label": LEVEL_LABELS.get(level, ""),
            "best": best,
            "worst": worst,
            "geojson": geojson,
            "colours": colours,
            "freshness": services.freshness(period),
            "parent": unit.parent
            if unit.parent and path_in_scope(request.user, unit.parent.path, "kpis.view")
            else None,
        },
    )


@requires("kpis.view")
def alert_list(request):
    from django.core.paginator import Paginator

    from gridgov.kpis.alerts import alert_list as alerts_in_scope

    alerts = alerts_in_scope(actor=request.user, open_only=request.GET.get("open") == "1")
    page = Paginator(alerts, 30).get_page(request.GET.get("page"))
    for alert in page.object_list:
        alert.kpi = REGISTRY.get(alert.kpi_code)
    return render(request, "kpis/alert_list.html", {"page": page})


@requires("kpis.view")
@require_POST
def alert_acknowledge(request, pk: int):
    from gridgov.core.scoping import access_object
    from gridgov.kpis import alerts
    from gridgov.kpis.models import KpiAlert

    alert = access_object(request.user, KpiAlert.objects.select_related("unit"), pk=pk)
    try:
        alerts.alert_acknowledge(actor=request.user, alert=alert, note=request.POST.get("note", ""))
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("kpis:alert_list")


COMMAND_KPIS = [
    "events.on_time_closure",
    "events.on_time_handling",
    "events.satisfaction",
    "events.discovery_rate",
    "events.rework_rate",
    "events.avg_handle_hours",
]


@requires("kpis.view")
@replica_reads
def command_screen(request):
    """The street hub's big screen (1920×1080, dark, refreshes itself every minute)."""
    from django.utils import timezone

    from gridgov.events.models import OPEN_STATES, Event

    unit = _unit(request)
    period = services.parse_period("month")
    tiles = [
        t
        for t in services.dashboard_tiles(actor=request.user, unit=unit, period=period)
        if t.kpi.code in COMMAND_KPIS
    ]
    kpi = REGISTRY["events.on_time_closure"]
    grids = (
        services.breakdown(actor=request.user, kpi=kpi, unit=unit, level="grid", period=period)
        if unit.level != "grid"
        else []
    )
    now = timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    events = Event.objects.visible_to(request.user).filter(scope_path__startswith=unit.path)
    counts = {
        "reported_today": events.filter(reported_at__gte=start_of_day).count(),
        "closed_today": events.filter(closed_at__gte=start_of_day, state="closed").count(),
        "open": events.filter(state__in=OPEN_STATES).count(),
        "overdue": events.filter(
            state__in=OPEN_STATES, handle_due__lt=now, paused_at__isnull=True
        ).count(),
    }
    overdue = list(
        events.filter(state__in=OPEN_STATES, handle_due__lt=now, paused_at__isnull=True)
        .select_related("grid", "category")
        .order_by("handle_due")[:12]
    )
    return render(
        request,
        "kpis/command.html",
        {
            "unit": unit,
            "period": period,
            "tiles": tiles,
            "counts": counts,
            "overdue": overdue,
            "geojson": display_grids(
                grid_feature_collection(grid_list(actor=request.user, under=unit))
            ),
            "colours": {r.code: {"colour": r.colour, "value": r.value.value} for r in grids},
            "kpi": kpi,
            "now": now,
            "freshness": services.freshness(period),
        },
    )


@requires("events.handle")
@replica_reads
def my_numbers(request):
    """A grid worker's or department handler's own KPIs and workload."""
    from gridgov.events.routing import events_today
    from gridgov.events.services import open_events_for

    period = services.parse_period(request.GET.get("period", "month")[:10])
    return render(
        request,
        "kpis/mine.html",
        {
            "period": period,
            "periods": list(PERIOD_LABELS.items()),
            "sections": services.own_readings(user=request.user, period=period),
            "open_count": open_events_for(request.user).count(),
            "today_count": events_today(request.user),
        },
    )
