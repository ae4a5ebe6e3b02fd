"""Quarterly cross-checks ``/api/v1/chat-groups/{uid}/cross-checks`` (季度复核, 双人复核): a
second person confirms each of the quarter's monthly snapshots or records its
discrepancies. 403 ``separation_of_duties`` for someone who entered the quarter's reports,
409 ``crosscheck_exists`` for a second check of the quarter, 422 ``crosscheck_not_open``
before the window opens (policy ``groups.crosscheck``)."""

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    page_slice,
)
from gridgov.groups import selectors, selectors_crosschecks
from gridgov.groups import services_crosschecks as services

router = PermissionRouter(tags=["chat groups"])


class DiscrepancyOut(Schema):
    indicator: str
    recorded: str
    found: str
    note: str


class ItemOut(Schema):
    snapshot: UUID
    month: date
    snapshot_version: int
    confirmed: bool
    # A version saved after the one checked: the correction was made.
    corrected: bool
    discrepancies: list[DiscrepancyOut]

    @staticmethod
    def resolve_snapshot(obj):
        return obj.snapshot.uid

    @staticmethod
    def resolve_month(obj):
        return obj.snapshot.month

    @staticmethod
    def resolve_corrected(obj):
        return services.discrepancy_corrected(obj)

    @staticmethod
    def resolve_discrepancies(obj):
        return list(obj.discrepancies.all())


class CrossCheckOut(Schema):
    uid: UUID
    group: UUID
    quarter: str
    checked_by_name: str
    checked_at: datetime
    late: bool
    months_missing: int
    note: str
    policy_version: int
    items: list[ItemOut]

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_quarter(obj):
        return obj.quarter_label

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class QuarterOut(Schema):
    """The quarter a check is asked for today and where this group stands."""

    quarter: str
    opens_on: date
    due_on: date
    status: str  # upcoming, due, overdue, done, done_late


class CrossCheckPage(Schema):
    count: int
    offset: int
    limit: int
    current: QuarterOut
    items: list[CrossCheckOut]


class DiscrepancyIn(Schema):
    indicator: line(40)
    found: line(50)
    note: line(300) = ""


class ItemIn(Schema):
    """``snapshot``: the uid of one of the quarter's snapshots; ``confirmed`` true, or false
    with its ``discrepancies``; ``version``: the one read (409 when corrected since)."""

    snapshot: UUID
    confirmed: bool
    discrepancies: list[DiscrepancyIn] = []
    version: Version | None = None


class CrossCheckIn(Schema):
    """``quarter``: YYYY-Qn; ``items``: every snapshot of the group in the quarter, once."""

    quarter: line(7)
    items: list[ItemIn]
    note: line(300) = ""


@router.get("/chat-groups/{uid}/cross-checks", response=CrossCheckPage)
@api_requires("groups.view")
def group_crosschecks(request, uid: UUID, offset: Offset = 0, limit: Limit = 50):
    group = selectors.group_get(actor=request.user, uid=uid)
    qs = selectors_crosschecks.crosscheck_list(actor=request.user, group=group)
    items, limit, offset = page_slice(qs, offset, limit)
    today = timezone.localdate()
    span = services.window(services.quarter_for(today))
    check = qs.filter(quarter=span.quarter).first()
    current = QuarterOut(
        quarter=span.label,
        opens_on=span.opens_on,
        due_on=span.due_on,
        status=span.status(today, check),
    )
    return CrossCheckPage(
        count=qs.count(), offset=offset, limit=limit, current=current, items=list(items)
    )


@router.post("/chat-groups/{uid}/cross-checks", response={201: CrossCheckOut})
@api_requires("groups.approve")
def group_crosscheck_record(request, uid: UUID, payload: CrossCheckIn):
    """Record the quarter's cross-check (201)."""
    group = selectors.group_get(actor=request.user, uid=uid, action="approve")
    data = payload.model_dump()
    items = [{**item, "snapshot": str(item["snapshot"])} for item in data["items"]]
    check = services.crosscheck_record(
        actor=request.user, group=group, quarter=data["quarter"], items=items, note=data["note"]
    )
    check = selectors_crosschecks.crosscheck_list(actor=request.user).get(pk=check.pk)
    return Status(201, check)
