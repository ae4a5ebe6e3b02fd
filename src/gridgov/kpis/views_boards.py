"""Campaign boards (e.g. 入户走访调度看板, 「周调度、月通报」): a unit's figures of a
capability's KPIs and columns for itself and each unit one level down, in a week or a month,
coloured by the targets; the monthly bulletin of the same board is in the report centre."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.core.permissions import requires
from gridgov.core.replica import replica_reads
from gridgov.core.scoping import path_in_scope
from gridgov.kpis import boards, reports
from gridgov.kpis.registry import PERIOD_LABELS
from gridgov.kpis.services import home_unit
from gridgov.org.models import OrgUnit

BOARD_LEVELS = ("district", "street", "community", "grid")


def board_unit(user, code: str) -> OrgUnit:
    """The unit a board is asked for (the top of the reader's scope if none): missing and
    out of scope look the same."""
    unit = OrgUnit.objects.filter(code=code[:20]).first() if code else home_unit(user)
    if unit is None or unit.level not in BOARD_LEVELS:
        raise NotFound()
    if not path_in_scope(user, unit.path, "kpis.view"):
        raise NotFound()
    return unit


@requires("kpis.view")
@replica_reads
def board(request, code: str):
    board_def = boards.board_get_by_code(code)
    unit = board_unit(request.user, request.GET.get("unit", ""))
    day = request.GET.get("date", "")[:10]
    period = boards.board_period(board_def, request.GET.get("period", "week")[:10], day)
    data = boards.board_read(actor=request.user, board=board_def, unit=unit, period=period)
    today = timezone.localdate()
    start = timezone.localtime(period.start).date()
    following = timezone.localtime(period.end).date()
    units = OrgUnit.objects.filter(level__in=("district", "street", "community"), is_active=True)
    units = [u for u in units.order_by("path") if path_in_scope(request.user, u.path, "kpis.view")]
    parent = (
        unit.parent
        if unit.parent and path_in_scope(request.user, unit.parent.path, "kpis.view")
        else None
    )
    return render(
        request,
        "kpis/board.html",
        {
            "b": data,
            "date": start.isoformat(),
            "previous": (start - timedelta(days=1)).isoformat(),
            "next": following.isoformat() if following <= today else "",
            "periods": [(p, PERIOD_LABELS[p]) for p in board_def.periods],
            "units": units[:300],
            "parent": parent,
            "lines": boards.sentences(data),
            "bulletin_kind": code,
            "bulletin_levels": reports.BULLETIN_LEVELS,
        },
    )
