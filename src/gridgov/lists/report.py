"""The monthly 《社区需求分析报告》 (community needs analysis), a report kind of the report centre
(``kpis.reports``), as PDF and XLSX with the same numbers.

For the unit asked for and for each community under it: the needs registered, met and open
by category; the gap between open needs and the capacity the resource list offers each
category there (「资源分布与服务缺口」); the service orders and their timeliness; satisfaction;
and the categories with most needs still unmet. Counts only — no household, person, address
or telephone appears. Needs, orders and resources are read through ``visible_to`` of the
reader (``lists.view``); the KPI figures are the registry's, from the daily figures, exactly
as the KPI pages show them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.writers import XlsxWriter, pdf_bytes
from gridgov.kpis.registry import REGISTRY, Period, ReportKind, register_report_kind
from gridgov.lists.models import Need, NeedCategory, Resource, ServiceOrder
from gridgov.org.models import Grid, OrgUnit

KPI_CODES = (
    "lists.fulfilment_rate",
    "lists.match_rate",
    "lists.avg_response_days",
    "lists.on_time_accept",
    "lists.satisfaction",
    "lists.effectiveness",
    "lists.service_match",
    "lists.resource_utilisation",
    "lists.identification_accuracy",
)
TOP_UNMET = 3


@dataclass
class CategoryRow:
    category: str
    registered: int = 0
    met: int = 0
    open: int = 0
    unmet: int = 0  # closed in the month as cannot be met
    capacity: int = 0  # places a month offered to the community by the resource list
    used: int = 0  # of them, used by orders dispatched in the month
    parts: list = field(default_factory=list)  # a total: the rows it adds up

    @property
    def left(self) -> int:
        if self.parts:
            return sum(p.left for p in self.parts)
        return max(0, self.capacity - self.used)

    @property
    def gap(self) -> int:
        """Open needs the capacity left cannot take (0 when it can take them all); a total
        adds up its categories' gaps (capacity of one category cannot serve another)."""
        if self.parts:
            return sum(p.gap for p in self.parts)
        return max(0, self.open - self.left)


@dataclass
class Orders:
    dispatched: int = 0
    accepted: int = 0
    accepted_in_time: int = 0
    refused: int = 0
    timed_out: int = 0
    rated: int = 0
    satisfied: int = 0  # rated 4–5


@dataclass
class Section:
    unit: OrgUnit
    rows: list[CategoryRow]
    orders: Orders
    readings: list  # (Kpi, services.Reading) of the community
    top_unmet: list[CategoryRow] = field(default_factory=list)

    @property
    def totals(self) -> CategoryRow:
        total = CategoryRow(_("Total"), parts=self.rows)
        for row in self.rows:
            for name in ("registered", "met", "open", "unmet", "capacity", "used"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


@dataclass
class NeedsReport:
    unit: OrgUnit
    period: Period
    sections: list[Section]
    readings: list  # the unit's own KPI readings
    freshness: object
    generated_at: object
    colour_labels: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(KIND.name)


def _category_names() -> dict[int, str]:
    english = (translation.get_language() or "").startswith("en")
    return {
        pk: (name_en or name) if english else name
        for pk, name, name_en in NeedCategory.objects.values_list("pk", "name", "name_en")
    }


def _months_weeks(period: Period) -> float:
    first = timezone.localtime(period.start).date()
    return calendar.monthrange(first.year, first.month)[1] / 7


def _communities(unit: OrgUnit) -> list[OrgUnit]:
    if unit.level == OrgUnit.Level.COMMUNITY:
        return [unit]
    return list(
        OrgUnit.objects.filter(path__startswith=unit.path, level=OrgUnit.Level.COMMUNITY)
        .filter(is_active=True)
        .order_by("code")
    )


def _owner(path: str, communities: list[OrgUnit]) -> OrgUnit | None:
    for community in communities:
        if path.startswith(community.path):
            return community
    return None


def _need_counts(actor, unit: OrgUnit, period: Period, communities, names) -> dict:
    """{community path: {category id: CategoryRow}} from one grouped query."""
    end = min(period.end, timezone.now())
    in_month = Q(created_at__gte=period.start, created_at__lt=period.end)
    closed_in_month = Q(closed_at__gte=period.start, closed_at__lt=period.end)
    rows = (
        Need.objects.visible_to(actor)
        .filter(scope_path__startswith=unit.path, created_at__lt=end)
        .values("scope_path", "category_id")
        .annotate(
            registered=Count("pk", filter=in_month, distinct=True),
            met=Count(
                "pk",
                filter=closed_in_month
                & Q(orders__need_met=ServiceOrder.Met.YES, orders__state=ServiceOrder.State.RATED),
                distinct=True,
            ),
            open=Count("pk", filter=Q(state__in=Need.OPEN_STATES), distinct=True),
            unmet=Count("pk", filter=closed_in_month & Q(state=Need.State.UNMET), distinct=True),
        )
        .order_by()
    )
    out: dict[str, dict[int, CategoryRow]] = {c.path: {} for c in communities}
    for r in rows:
        community = _owner(r["scope_path"], communities)
        if community is None:
            continue
        row = out[community.path].setdefault(
            r["category_id"], CategoryRow(names.get(r["category_id"], "—"))
        )
        row.registered += r["registered"]
        row.met += r["met"]
        row.open += r["open"]
        row.unmet += r["unmet"]
    return out


def _serves(resource: dict, community: OrgUnit, boxes: dict) -> bool:
    """Whether a resource's area reaches the community: an area path above, at or inside it,
    or a radius whose point lies in one of its grids."""
    for area in resource["area_paths"] or []:
        if community.path.startswith(area) or area.startswith(community.path):
            return True
    lon, lat = resource["lon"], resource["lat"]
    if resource["radius_m"] and lon is not None and lat is not None:
        return any(
            x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in boxes.get(community.path, [])
        )
    return False


def _capacity(actor, unit: OrgUnit, period: Period, communities, counts, names) -> None:
    """Add each category's monthly capacity (weekly capacity × weeks in the month) and its
    use by orders dispatched in the month, for the resources in the pool that serve each
    community, to ``counts``."""
    if not communities:
        return
    weeks = _months_weeks(period)
    resources = list(
        Resource.objects.visible_to(actor)
        .filter(status=Resource.Status.ACTIVE)
        .values("pk", "area_paths", "lon", "lat", "radius_m", "capacity", "capacity_period")
    )
    offered = {}
    for pk, category in Resource.categories.through.objects.filter(
        resource_id__in=[r["pk"] for r in resources]
    ).values_list("resource_id", "needcategory_id"):
        offered.setdefault(pk, []).append(category)
    used = dict(
        ServiceOrder.objects.filter(
            resource_id__in=[r["pk"] for r in resources],
            state__in=ServiceOrder.USING_STATES,
            dispatched_at__gte=period.start,
            dispatched_at__lt=period.end,
        )
        .values("resource_id")
        .annotate(n=Count("pk"))
        .values_list("resource_id", "n")
        .order_by()
    )
    boxes: dict[str, list] = {}
    grids = Grid.objects.filter(unit__path__startswith=unit.path).values_list(
        "unit__path", "min_lon", "min_lat", "max_lon", "max_lat"
    )
    for path, *box in grids:
        community = _owner(path, communities)
        if community is not None and None not in box:
            boxes.setdefault(community.path, []).append(box)
    for resource in resources:
        monthly = resource["capacity"] * (
            weeks if resource["capacity_period"] == Resource.Period.WEEK else 1
        )
        for community in communities:
            if not _serves(resource, community, boxes):
                continue
            for category in offered.get(resource["pk"], []):
                row = counts[community.path].setdefault(
                    category, CategoryRow(names.get(category, "—"))
                )
                row.capacity += round(monthly)
                row.used += used.get(resource["pk"], 0)


def _order_counts(actor, unit: OrgUnit, period: Period, communities) -> dict[str, Orders]:
    def month(name):
        return Q(**{f"{name}__gte": period.start, f"{name}__lt": period.end})

    S = ServiceOrder.State
    rows = (
        ServiceOrder.objects.visible_to(actor)
        .filter(scope_path__startswith=unit.path)
        .values("scope_path")
        .annotate(
            dispatched=Count("pk", filter=month("dispatched_at")),
            accepted=Count("pk", filter=month("accepted_at")),
            in_time=Count("pk", filter=month("accepted_at") & Q(accepted_at__lte=F("accept_due"))),
            refused=Count("pk", filter=month("refused_at")),
            timed_out=Count("pk", filter=month("accept_due") & Q(state=S.TIMED_OUT)),
            rated=Count("pk", filter=month("rated_at")),
            satisfied=Count("pk", filter=month("rated_at") & Q(resident_rating__gte=4)),
        )
        .order_by()
    )
    out = {c.path: Orders() for c in communities}
    for r in rows:
        community = _owner(r["scope_path"], communities)
        if community is None:
            continue
        o = out[community.path]
        o.dispatched += r["dispatched"]
        o.accepted += r["accepted"]
        o.accepted_in_time += r["in_time"]
        o.refused += r["refused"]
        o.timed_out += r["timed_out"]
        o.rated += r["rated"]
        o.satisfied += r["satisfied"]
    return out


def _readings(reader, actor, unit: OrgUnit, period: Period) -> list:
    return [
        (
            REGISTRY[code],
            reader.unit_value(actor=actor, kpi=REGISTRY[code], unit=unit, period=period),
        )
        for code in KPI_CODES
    ]


def collect(*, actor, unit: OrgUnit, period: Period, reader) -> NeedsReport:
    """``reader`` is the KPI app's reading service, handed over by the report centre (a
    capability registers with ``kpis.registry`` and does not import the KPI readers)."""
    names = _category_names()
    communities = _communities(unit)
    counts = _need_counts(actor, unit, period, communities, names)
    _capacity(actor, unit, period, communities, counts, names)
    orders = _order_counts(actor, unit, period, communities)
    sections = []
    for community in communities:
        rows = sorted(counts[community.path].values(), key=lambda r: (-r.open, r.category))
        rows = [r for r in rows if r.registered or r.open or r.met or r.unmet or r.capacity]
        unmet = sorted(
            (r for r in rows if r.open + r.unmet),
            key=lambda r: (-(r.open + r.unmet), -r.gap, r.category),
        )
        sections.append(
            Section(
                unit=community,
                rows=rows,
                orders=orders[community.path],
                readings=_readings(reader, actor, community, period),
                top_unmet=unmet[:TOP_UNMET],
            )
        )
    return NeedsReport(
        unit=unit,
        period=period,
        sections=sections,
        readings=_readings(reader, actor, unit, period),
        freshness=reader.freshness(period),
        colour_labels=reader.COLOUR_LABELS,
        generated_at=timezone.now(),
    )


def render_pdf(data: NeedsReport) -> bytes:
    html = render_to_string("lists/needs_report_pdf.html", {"r": data})
    return pdf_bytes(html, base_url=str(settings.BASE_DIR))


def _value(reading) -> float | None:
    return reading.value.value


def render_xlsx(data: NeedsReport, path: Path) -> None:
    """The report's numbers as a workbook in the reader's language: the KPIs, then one sheet
    of categories and one of orders for all communities."""
    book = XlsxWriter()
    as_of = data.freshness.as_of
    summary = book.sheet(_("KPIs"))
    summary.append([data.name])
    summary.append(
        [
            _("Unit"),
            data.unit.name,
            _("Period"),
            data.period.label,
            _("Figures as of"),
            timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else "",
        ]
    )
    summary.append([_("Unit"), _("KPI"), _("Value"), _("Unit of measure"), _("Colour")])
    for unit, readings in [(data.unit, data.readings)] + [
        (s.unit, s.readings) for s in data.sections if s.unit != data.unit
    ]:
        for kpi, reading in readings:
            summary.append(
                [
                    unit.name,
                    str(kpi.name),
                    _value(reading),
                    kpi.unit_label,
                    str(data.colour_labels[reading.colour]),
                ]
            )
    needs = book.sheet(_("Needs and gap"))
    needs.append(
        [
            _("Community"),
            _("Category"),
            _("Registered"),
            _("Met"),
            _("Open"),
            _("Cannot be met"),
            _("Capacity a month"),
            _("Capacity used"),
            _("Capacity left"),
            _("Gap"),
        ]
    )
    for section in data.sections:
        for row in [*section.rows, section.totals]:
            needs.append(
                [
                    section.unit.name,
                    str(row.category),
                    row.registered,
                    row.met,
                    row.open,
                    row.unmet,
                    row.capacity,
                    row.used,
                    row.left,
                    row.gap,
                ]
            )
    orders = book.sheet(_("Service orders"))
    orders.append(
        [
            _("Community"),
            _("Dispatched"),
            _("Accepted"),
            _("Accepted in time"),
            _("Refused"),
            _("Not accepted in time"),
            _("Rated"),
            _("Rated 4–5"),
            _("Most unmet categories"),
        ]
    )
    for section in data.sections:
        o = section.orders
        orders.append(
            [
                section.unit.name,
                o.dispatched,
                o.accepted,
                o.accepted_in_time,
                o.refused,
                o.timed_out,
                o.rated,
                o.satisfied,
                "、".join(str(r.category) for r in section.top_unmet),
            ]
        )
    book.save(path)


KIND = register_report_kind(
    ReportKind(
        code="needs",
        name=gettext_lazy("Community needs analysis report (社区需求分析报告)"),
        levels=("district", "street", "community"),
        permission="lists.view",
        collect=collect,
        pdf=render_pdf,
        xlsx=render_xlsx,
    )
)
