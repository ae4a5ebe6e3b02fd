"""Monthly snapshots ``/api/v1/chat-groups/{uid}/snapshots`` and ``/api/v1/snapshots``:
one report per group per month; a measure left out is "not measured" (null), never zero;
impossible numbers are a 422 naming the field. Each snapshot shows its class with the
rule and policy version that placed it."""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.errors import ValidationFailed
from gridgov.groups import selectors
from gridgov.groups import services_snapshots as services

router = PermissionRouter(tags=["chat groups"])


class SnapshotOut(Schema):
    uid: UUID
    group: UUID
    group_name: str
    month: date
    indicator_set: int
    activity_pct: float | None
    messages_per_day: float | None
    members_total: int | None
    age_0_18: int | None
    age_19_60: int | None
    age_60_plus: int | None
    occupation_students: int | None
    occupation_employed: int | None
    occupation_retired: int | None
    occupation_other: int | None
    special_elderly_alone: int | None
    special_pregnant: int | None
    special_chronic: int | None
    admin_contact: bool | None
    publish_hours: float | None
    response_hours: float | None
    allocation_hours: float | None
    satisfaction_pct: float | None
    false_information: bool | None
    service_missing: bool | None
    mixed_function: bool | None
    leak_incidents: int | None
    complaints: int | None
    remarks: str
    klass: str
    class_rule: str
    class_policy_version: int
    entered_by_name: str
    entered_at: datetime
    version: int

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name

    @staticmethod
    def resolve_indicator_set(obj):
        return obj.indicator_set.version


class SnapshotPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[SnapshotOut]


class SnapshotIn(Schema):
    """``month``: YYYY-MM. Percentages 0–100, hours ≥ 0, counts ≥ 0; leave a measure out
    (or null) when it was not measured. ``version``: the one read, to correct a month
    already entered."""

    month: line(7)
    activity_pct: float | None = None
    messages_per_day: float | None = None
    members_total: int | None = None
    age_0_18: int | None = None
    age_19_60: int | None = None
    age_60_plus: int | None = None
    occupation_students: int | None = None
    occupation_employed: int | None = None
    occupation_retired: int | None = None
    occupation_other: int | None = None
    special_elderly_alone: int | None = None
    special_pregnant: int | None = None
    special_chronic: int | None = None
    admin_contact: bool | None = None
    publish_hours: float | None = None
    response_hours: float | None = None
    allocation_hours: float | None = None
    satisfaction_pct: float | None = None
    false_information: bool | None = None
    service_missing: bool | None = None
    mixed_function: bool | None = None
    leak_incidents: int | None = None
    complaints: int | None = None
    remarks: lines(500) = ""
    version: Version | None = None


@router.get("/chat-groups/{uid}/snapshots", response=SnapshotPage)
@api_requires("groups.view")
def group_snapshots(request, uid: UUID, offset: Offset = 0, limit: Limit = 50):
    group = selectors.group_get(actor=request.user, uid=uid)
    qs = selectors.snapshot_list(actor=request.user, group=group)
    items, limit, offset = page_slice(qs, offset, limit)
    return SnapshotPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/chat-groups/{uid}/snapshots", response={201: SnapshotOut, 200: SnapshotOut})
@api_requires("groups.register")
def group_snapshot_save(request, uid: UUID, payload: SnapshotIn):
    """Enter the month (201); with ``version``, correct it (200). 409 ``snapshot_exists``
    when the month is there and no version was sent; 409 ``group_not_registered`` before
    the 居委会's approval."""
    group = selectors.group_get(actor=request.user, uid=uid, action="register")
    data = payload.model_dump()
    version = data.pop("version")
    month = data.pop("month")
    snapshot = services.snapshot_save(
        actor=request.user, group=group, month=month, data=data, version=version
    )
    snapshot = selectors.snapshot_list(actor=request.user).get(pk=snapshot.pk)
    return Status(201 if version is None else 200, snapshot)


@router.get("/snapshots", response=SnapshotPage)
@api_requires("groups.view")
def snapshot_list(
    request, month: line(7) = "", klass: line(12) = "", offset: Offset = 0, limit: Limit = 50
):
    """The snapshots of the caller's area, by month (YYYY-MM) and class."""
    first = None
    if month:
        first = services.month_of(month)
        if first is None:
            raise ValidationFailed(details={"month": ["YYYY-MM"]})
    qs = selectors.snapshot_list(actor=request.user, month=first, klass=klass)
    items, limit, offset = page_slice(qs, offset, limit)
    return SnapshotPage(count=qs.count(), offset=offset, limit=limit, items=list(items))
