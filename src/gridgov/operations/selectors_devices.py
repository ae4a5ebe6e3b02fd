"""Reads of smart devices, every one scoped through ``visible_to``: the registry, repair
tickets, the alarm log, and the device figures (in service, connected, in working order,
past the replacement cycle; repair hours; alarm accuracy and response) that the board and
the KPIs both compute with the same conditions, as of a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gridgov.core.scoping import access_object
from gridgov.operations.models import Device, DeviceAlarm, RepairTicket
from gridgov.operations.policies_devices import devices_policy

OPEN = (RepairTicket.State.OPEN, RepairTicket.State.REPAIRING)


def device_list(
    *, actor, action: str = "view", status: str = "", kind: str = "", q: str = ""
) -> QuerySet[Device]:
    qs = Device.objects.visible_to(actor, action).select_related("source", "grid", "building")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(source__code__icontains=q) | Q(source__name__icontains=q))
    return qs


def device_get(*, actor, uid, action: str = "view") -> Device:
    return access_object(
        actor,
        Device.objects.select_related("source", "grid", "building__compound"),
        action,
        uid=uid,
    )


def ticket_list(*, actor, open_only: bool = True, overdue_only: bool = False):
    qs = RepairTicket.objects.visible_to(actor).select_related("device__source", "device__grid")
    if open_only or overdue_only:
        qs = qs.filter(state__in=OPEN)
    if overdue_only:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs


def ticket_get(*, actor, uid, action: str = "view") -> RepairTicket:
    return access_object(
        actor, RepairTicket.objects.select_related("device__source"), action, uid=uid
    )


def alarm_list(*, actor, pending_only: bool = False) -> QuerySet[DeviceAlarm]:
    qs = DeviceAlarm.objects.visible_to(actor).select_related("device__source", "event")
    if pending_only:
        qs = qs.filter(is_true__isnull=True)
    return qs


def alarm_get(*, actor, uid) -> DeviceAlarm:
    return access_object(
        actor, DeviceAlarm.objects.select_related("device__source", "event"), "view", uid=uid
    )


# The figures, as of a moment ---------------------------------------------------------------


def in_service_at(moment: datetime) -> Q:
    """Registered and installed by ``moment`` and not taken out of service before it."""
    return (
        Q(created_at__lte=moment)
        & Q(installed_on__lte=timezone.localtime(moment).date())
        & (Q(retired_at__isnull=True) | Q(retired_at__gt=moment))
    )


def broken_at(moment: datetime) -> Exists:
    """The device had a repair ticket open at ``moment``."""
    return Exists(
        RepairTicket.objects.filter(device=OuterRef("pk"), opened_at__lte=moment).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gt=moment)
        )
    )


def figures_by_path(devices: QuerySet[Device], moment: datetime) -> dict[str, dict[str, int]]:
    """{grid path: {in_service, connected, good, overdue}} in one grouped query:
    connected = heard from at least once (接入); good = no repair ticket open (完好);
    overdue = past the type's replacement cycle (超期服役)."""
    today = timezone.localtime(moment).date()
    rows = (
        devices.filter(in_service_at(moment))
        .annotate(broken=broken_at(moment))
        .values("scope_path")
        .annotate(
            in_service=Count("pk"),
            connected=Count("pk", filter=Q(first_seen_at__lte=moment)),
            good=Count("pk", filter=Q(broken=False)),
            overdue=Count("pk", filter=Q(replace_due_on__lte=today)),
        )
        .order_by()
    )
    return {
        r["scope_path"]: {k: r[k] for k in ("in_service", "connected", "good", "overdue")}
        for r in rows
    }


def month_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def repair_hours_by_path(tickets: QuerySet[RepairTicket], start, end) -> dict[str, list]:
    """{grid path: [hours taken summed, tickets fixed]} for tickets fixed in [start, end)."""
    out: dict[str, list] = {}
    for path, opened, closed in tickets.filter(
        state=RepairTicket.State.FIXED, closed_at__gte=start, closed_at__lt=end
    ).values_list("scope_path", "opened_at", "closed_at"):
        box = out.setdefault(path, [0.0, 0])
        box[0] += (closed - opened).total_seconds() / 3600
        box[1] += 1
    return out


def alarm_accuracy_by_path(alarms: QuerySet[DeviceAlarm], start, end) -> dict[str, list]:
    """{grid path: [alarms judged true, alarms judged]} received in [start, end)."""
    rows = (
        alarms.filter(received_at__gte=start, received_at__lt=end, is_true__isnull=False)
        .values("scope_path")
        .annotate(n=Count("pk"), true=Count("pk", filter=Q(is_true=True)))
        .order_by()
    )
    return {r["scope_path"]: [r["true"], r["n"]] for r in rows}


def alarm_response_by_path(alarms: QuerySet[DeviceAlarm], start, end) -> dict[str, list]:
    """{grid path: [minutes from alarm to the handler's check-in summed, alarms answered]}
    for alarms received in [start, end) whose event's handler has checked in."""
    out: dict[str, list] = {}
    for path, received, checked_in in alarms.filter(
        received_at__gte=start, received_at__lt=end, event__checked_in_at__isnull=False
    ).values_list("scope_path", "received_at", "event__checked_in_at"):
        box = out.setdefault(path, [0.0, 0])
        box[0] += max(0.0, (checked_in - received).total_seconds() / 60)
        box[1] += 1
    return out


@dataclass
class Board:
    in_service: int
    connected: int
    good: int
    overdue_service: int
    by_status: dict[str, int]
    open_tickets: int
    overdue_tickets: int
    repair_hours: float | None  # mean, tickets fixed in the last 30 days
    accuracy: list[dict]  # per type: judged, true, rate, target, met
    alarms_pending: int

    def rate(self, part: int) -> float | None:
        return round(100 * part / self.in_service, 1) if self.in_service else None

    @property
    def access_rate(self):
        return self.rate(self.connected)

    @property
    def good_rate(self):
        return self.rate(self.good)


def board(*, actor) -> Board:
    """The devices board of the actor's area, as of now."""
    now = timezone.now()
    devices = Device.objects.visible_to(actor)
    totals = {"in_service": 0, "connected": 0, "good": 0, "overdue": 0}
    for row in figures_by_path(devices, now).values():
        for key in totals:
            totals[key] += row[key]
    by_status = dict(
        devices.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n")
    )
    tickets = RepairTicket.objects.visible_to(actor)
    repaired = repair_hours_by_path(tickets, now - timedelta(days=30), now)
    hours = sum(v[0] for v in repaired.values())
    fixed = sum(v[1] for v in repaired.values())
    policy = devices_policy()
    accuracy = []
    judged = (
        DeviceAlarm.objects.visible_to(actor)
        .filter(received_at__gte=now - timedelta(days=90), is_true__isnull=False)
        .values("device__kind")
        .annotate(n=Count("pk"), true=Count("pk", filter=Q(is_true=True)))
        .order_by()
    )
    for row in judged:
        device_type = policy.types.get(row["device__kind"])
        target = device_type.alarm_accuracy_min if device_type else None
        rate = row["true"] / row["n"]
        accuracy.append(
            {
                "kind": row["device__kind"],
                "label": device_type.label() if device_type else row["device__kind"],
                "judged": row["n"],
                "true": row["true"],
                "rate": round(100 * rate, 1),
                "false_rate": round(100 * (1 - rate), 1),
                "target": None if target is None else round(100 * target, 1),
                "met": None if target is None else rate >= target,
            }
        )
    return Board(
        in_service=totals["in_service"],
        connected=totals["connected"],
        good=totals["good"],
        overdue_service=totals["overdue"],
        by_status=by_status,
        open_tickets=tickets.filter(state__in=OPEN).count(),
        overdue_tickets=ticket_list(actor=actor, overdue_only=True).count(),
        repair_hours=round(hours / fixed, 1) if fixed else None,
        accuracy=sorted(accuracy, key=lambda a: a["kind"]),
        alarms_pending=alarm_list(actor=actor, pending_only=True).count(),
    )


def replacement_due(*, actor) -> QuerySet[Device]:
    """Devices in service past their replacement date (超期服役), the oldest first."""
    today = timezone.localdate()
    return (
        device_list(actor=actor)
        .filter(in_service_at(timezone.now()), replace_due_on__lte=today)
        .order_by("replace_due_on", "pk")
    )
