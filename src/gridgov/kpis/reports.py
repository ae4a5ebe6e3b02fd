"""Monthly evaluation reports per unit: the KPI table with targets and colours, trends, the
best and worst units one level down, overdue events and the policy versions used — as PDF
(WeasyPrint, charts as SVG) and XLSX with the same numbers. The bulletins of the campaign
boards (``boards``; e.g. 入户走访月通报 of a street or district) are reports of their own
kind, made, scheduled and downloaded the same way. Generating and downloading are audited;
files are kept for the retention policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.masking import mask_text
from gridgov.core.policies import policy_get, policy_in_force
from gridgov.core.replica import reading_from_replica
from gridgov.core.writers import XlsxWriter, pdf_bytes
from gridgov.events.models import OPEN_STATES, Event
from gridgov.kpis import boards, charts, services
from gridgov.kpis.models import KpiReport
from gridgov.kpis.registry import BOARDS, REGISTRY, REPORT_KINDS, period_containing
from gridgov.org.models import OrgUnit

logger = logging.getLogger("gridgov.kpis")
TREND_KPIS = ["events.on_time_closure", "events.satisfaction", "events.avg_handle_hours"]
RANKED_KPI = "events.on_time_closure"
NEXT_LEVEL = {"district": "street", "street": "community", "community": "grid"}
REPORT_LEVELS = ("district", "street", "community")
BULLETIN_LEVELS = ("district", "street")


def report_kinds() -> dict[str, tuple]:
    """{kind: (name, levels it is made for)}: the KPI report, and each board's bulletin."""
    kinds = {KpiReport.KPIS: (_("Monthly evaluation report"), REPORT_LEVELS)}
    for code, board in BOARDS.items():
        kinds[code] = (board.bulletin_name, BULLETIN_LEVELS)
    for code, kind in REPORT_KINDS.items():
        kinds[code] = (kind.name, kind.levels)
    return kinds


def may_request(actor, kind: str, unit: OrgUnit) -> bool:
    """Whether ``actor`` may have a report of ``kind`` made for ``unit`` (a capability's
    report also needs that capability's read permission over the unit)."""
    from gridgov.core.scoping import path_in_scope

    if not path_in_scope(actor, unit.path, "kpis.view"):
        return False
    extra = REPORT_KINDS.get(kind)
    return extra is None or path_in_scope(actor, unit.path, extra.permission)


def kind_label(kind: str) -> str:
    return str(report_kinds().get(kind, (kind,))[0])


@dataclass
class ReportData:
    unit: OrgUnit
    period: object
    tiles: list
    trends: list
    children: list
    best: list
    worst: list
    overdue: list
    policies: list
    generated_at: object
    freshness: object  # daily.Freshness: when the figures were computed


def report_dir() -> Path:
    path = Path(settings.DATA_DIR) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def collect(*, actor, unit: OrgUnit, period) -> ReportData:
    tiles = services.dashboard_tiles(actor=actor, unit=unit, period=period)
    trends = []
    for code in TREND_KPIS:
        kpi = REGISTRY[code]
        points = services.trend(actor=actor, kpi=kpi, unit=unit, period=period)
        trends.append((kpi, mark_safe(charts.line_svg(points, unit=kpi.unit))))  # noqa: S308 - built from numbers and escaped labels
    children, best, worst = [], [], []
    level = NEXT_LEVEL.get(unit.level)
    if level:
        kpi = REGISTRY[RANKED_KPI]
        children = services.breakdown(actor=actor, kpi=kpi, unit=unit, level=level, period=period)
        best, worst = services.ranking(children, kpi)
    overdue = list(
        Event.objects.filter(
            scope_path__startswith=unit.path,
            state__in=OPEN_STATES,
            handle_due__lt=min(period.end, timezone.now()),
        )
        .select_related("category", "grid")
        .order_by("handle_due")[:50]
    )
    for event in overdue:  # free text: ID and phone numbers typed into it are masked
        event.title = mask_text(event.title)
    policies = [
        (key, policy_in_force(key).version)
        for key in ("kpis.targets", "kpis.composite", "events.sla", "people.quality")
    ]
    return ReportData(
        unit,
        period,
        tiles,
        trends,
        children,
        best,
        worst,
        overdue,
        policies,
        timezone.now(),
        services.freshness(period),
    )


def render_pdf(data: ReportData) -> bytes:
    html = render_to_string("kpis/report_pdf.html", {"r": data})
    return pdf_bytes(html, base_url=str(settings.BASE_DIR))


def render_xlsx(data: ReportData, path: Path) -> None:
    """The report's numbers as a workbook, in the active language: sheets, headers, colours
    and units as the reader says them."""
    book = XlsxWriter()
    sheet = book.sheet(_("KPIs"))
    as_of = data.freshness.as_of
    sheet.append(
        [
            _("Unit"),
            data.unit.name,
            _("Period"),
            data.period.label,
            _("Figures as of"),
            timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else "",
        ]
    )
    base = pgettext("KPI denominator", "Base")
    # KPIs by name only: the codes are for the API, not for the reader of a report.
    sheet.append(
        [
            _("KPI"),
            _("Value"),
            _("Target value"),
            base,
            _("Colour"),
            _("Previous period"),
            pgettext("KPI measure", "Unit of measure"),
        ]
    )
    for tile in data.tiles:
        sheet.append(
            [
                str(tile.kpi.name),
                tile.reading.value.value,
                tile.target.target if tile.target else None,
                tile.reading.value.denominator,
                str(services.COLOUR_LABELS[tile.reading.colour]),
                tile.previous,
                tile.kpi.unit_label,
            ]
        )
    units = book.sheet(_("Units"))
    units.append([_("Unit"), str(REGISTRY[RANKED_KPI].name), base, _("Colour")])
    for row in data.children:
        units.append(
            [
                row.label,
                row.value.value,
                row.value.denominator,
                str(services.COLOUR_LABELS[row.colour]),
            ]
        )
    overdue = book.sheet(_("Overdue events"))
    overdue.append([_("Tracking code"), _("Title"), _("Grid"), _("Due")])
    for event in data.overdue:
        overdue.append(
            [
                event.tracking_code,
                event.title,
                event.grid.name if event.grid_id else "",
                timezone.localtime(event.handle_due).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    book.save(path)


def render_bulletin_pdf(data: boards.BoardData, lines: list[str]) -> bytes:
    html = render_to_string(
        "kpis/bulletin_pdf.html", {"b": data, "lines": lines, "generated_at": timezone.now()}
    )
    return pdf_bytes(html, base_url=str(settings.BASE_DIR))


def _colour(reading) -> str:
    return str(services.COLOUR_LABELS[reading.colour])


def render_bulletin_xlsx(data: boards.BoardData, lines: list[str], path: Path) -> None:
    """The bulletin's figures as a workbook: the summary, the board's table with the unit's
    own row first, and the units ranked."""
    book = XlsxWriter()
    as_of = data.freshness.as_of
    summary = book.sheet(_("Summary"))
    summary.append([str(data.board.bulletin_name)])
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
    for line in lines:
        summary.append([line])
    header = [_("Unit")]
    for kpi in data.kpis:
        target = data.targets.get(kpi.code)
        header += [
            f"{kpi.name} ({kpi.unit_label})",
            f"{kpi.name} · {pgettext('KPI denominator', 'Base')}",
            f"{kpi.name} · {_('Colour')}",
        ]
        if target is not None:
            header[-3] += f" {'≥' if kpi.higher_is_better else '≤'} {target.target:g}"
    if data.show_columns:
        header += [f"{c.name} ({c.unit})" for c in data.board.columns]
    table = book.sheet(_("Board"))
    table.append(header)
    for row in [data.total, *data.rows]:
        cells = [row.unit.name]
        for reading in row.cells(data.kpis):
            cells += [reading.value.value, reading.value.denominator, _colour(reading)]
        if data.show_columns:
            cells += [row.columns.get(c.code) for c in data.board.columns]
        table.append(cells)
    if data.rows:
        ranking = book.sheet(_("Ranking"))
        kpi = data.ranked_kpi
        ranking.append([_("Rank"), _("Unit"), str(kpi.name), _("Colour"), _("Off target")])
        for place, row in enumerate(data.ranked, 1):
            reading = row.readings[kpi.code]
            ranking.append(
                [
                    place,
                    row.unit.name,
                    reading.value.value,
                    _colour(reading),
                    row.off_target_names,
                ]
            )
    book.save(path)


def bulletin_collect(*, actor, board_code: str, unit: OrgUnit, period):
    data = boards.board_read(
        actor=actor, board=boards.board_get_by_code(board_code), unit=unit, period=period
    )
    return data, boards.sentences(data)


def report_create(
    *, actor, unit: OrgUnit, period_date: date, scheduled: bool = False, kind: str = KpiReport.KPIS
):
    """Record a report to generate; scheduled ones exist once per unit, kind and period."""
    period = period_containing("month", period_date)
    try:
        with transaction.atomic():
            return KpiReport.objects.create(
                unit=unit,
                kind=kind,
                period_label=period.label,
                period_date=period_date,
                scheduled=scheduled,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return None


CLAIM_SECONDS = 3600


def _claim(report: KpiReport) -> bool:
    """Whether this worker may generate the report: one conditional update, so of two
    workers given the same task at once exactly one wins."""
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    return bool(
        KpiReport.objects.filter(pk=report.pk)
        .exclude(status=KpiReport.Status.DONE)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )


def report_generate(report: KpiReport) -> KpiReport:
    """Write the PDF and XLSX of a recorded report (or retry a failed one). Idempotent: a
    report that is done, or being generated by another worker, is left as it is."""
    if report.status == KpiReport.Status.DONE or not _claim(report):
        report.refresh_from_db()
        return report
    actor = report.created_by or _system_reader(report.unit)
    period = period_containing(report.period_kind, report.period_date)
    try:
        base = report_dir() / str(report.uid)
        if report.kind == KpiReport.KPIS:
            with reading_from_replica():
                data = collect(actor=actor, unit=report.unit, period=period)
            Path(f"{base}.pdf").write_bytes(render_pdf(data))
            render_xlsx(data, Path(f"{base}.xlsx"))
        elif report.kind in REPORT_KINDS:
            kind = REPORT_KINDS[report.kind]
            with reading_from_replica():
                data = kind.collect(actor=actor, unit=report.unit, period=period, reader=services)
            Path(f"{base}.pdf").write_bytes(kind.pdf(data))
            kind.xlsx(data, Path(f"{base}.xlsx"))
        else:
            with reading_from_replica():
                board, lines = bulletin_collect(
                    actor=actor, board_code=report.kind, unit=report.unit, period=period
                )
            Path(f"{base}.pdf").write_bytes(render_bulletin_pdf(board, lines))
            render_bulletin_xlsx(board, lines, Path(f"{base}.xlsx"))
    except Exception as exc:  # the report fails visibly, not silently
        logger.exception("report %s failed", report.uid)
        report.status, report.message = KpiReport.Status.FAILED, str(exc)[:300]
        report.claimed_at = None  # a retry may claim it at once
        report.save(update_fields=["status", "message", "claimed_at"])
        return report
    with transaction.atomic():
        report.pdf_path, report.xlsx_path = f"{base}.pdf", f"{base}.xlsx"
        report.status = KpiReport.Status.DONE
        report.save(update_fields=["pdf_path", "xlsx_path", "status"])
        audit_record(
            "kpis.report.generate",
            actor=report.created_by or SystemActor("kpis.reports"),
            target=report,
            changes={"period": report.period_label, "kind": report.kind},
        )
    return report


class _UnitReader:
    """Reads KPIs of one unit for a scheduled report (no person is behind it)."""

    is_authenticated = True
    is_active = True

    def __init__(self, unit: OrgUnit):
        self.unit = unit

    # The board columns a scheduled bulletin shows and the capabilities' reports read
    # (counts of the capability's records, never a person's data).
    @staticmethod
    def _reads() -> set[str]:
        return (
            {"kpis.view"}
            | {b.permission for b in BOARDS.values() if b.permission}
            | {k.permission for k in REPORT_KINDS.values() if k.permission}
        )

    def scope_paths(self, permission: str) -> list[str]:
        return [self.unit.path] if permission in self._reads() else []

    def has_permission(self, permission: str) -> bool:
        return permission in self._reads()


def _system_reader(unit: OrgUnit) -> _UnitReader:
    return _UnitReader(unit)


def schedule_monthly(today: date | None = None) -> int:
    """On the first days of a month, last month's report of every kind for every unit of
    its levels (the KPI report of every district, street and community; each board's
    bulletin of every district and street), once each; returns how many were made."""
    today = today or timezone.localdate()
    if today.day > 3:
        return 0
    last_month = today.replace(day=1) - timedelta(days=1)
    made = 0
    for kind, (_name, levels) in report_kinds().items():
        for unit in OrgUnit.objects.filter(level__in=levels, is_active=True):
            report = report_create(
                actor=None, unit=unit, period_date=last_month, scheduled=True, kind=kind
            )
            if report is not None:
                with translation.override(settings.LANGUAGE_CODE):  # nobody asked: the default
                    report_generate(report)
                made += 1
    return made


def purge_expired(now=None) -> int:
    days = policy_get("kpis.reports").retention_days
    old = KpiReport.objects.filter(created_at__lt=(now or timezone.now()) - timedelta(days=days))
    count = 0
    for report in old:
        for path in (report.pdf_path, report.xlsx_path):
            if path:
                Path(path).unlink(missing_ok=True)
        report.delete()
        count += 1
    return count
