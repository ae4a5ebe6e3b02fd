"""Writes of smart devices: registration (the events app's signed device source and the
registry row, in one transaction), heartbeats and fault reports from the webhook, the
offline scan that opens repair tickets, the tickets' actions, taking a device out of
service, and the verdict on an alarm. Each write is one transaction with its audit record;
refused means nothing written.

Device status follows the tickets: a device with an open ticket is 离线 / 故障 (waiting) or
维修中 (being repaired); fixing the ticket puts it back online, with a fresh allowance of
missed heartbeats before the scan may take it offline again.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.selectors import unit_staff
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import notifications
from gridgov.core.crypto import encrypt_field
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.masking import mask_phone
from gridgov.core.scoping import path_in_scope
from gridgov.core.text import free_text
from gridgov.core.validators import FieldInvalid, china_point, normalise_phone
from gridgov.core.workflow import StateMachine, Transition, locked_for_transition
from gridgov.events import sla
from gridgov.events.models import Category, DeviceSource
from gridgov.operations.models import Device, DeviceAlarm, RepairTicket
from gridgov.operations.policies_devices import devices_policy
from gridgov.org.models import Building, OrgUnit

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
S = Device.Status
T = RepairTicket.State
IN_SERVICE = (S.ONLINE, S.OFFLINE, S.FAULT, S.REPAIRING)
MAINTAIN = "operations.maintain"
MANAGE = "operations.manage"


class DeviceErrorCode:
    NOT_REGISTERED = "not_registered"
    OUT_OF_SERVICE = "out_of_service"
    ALREADY_VERIFIED = "already_verified"


def _may(actor, record, permission: str) -> bool:
    return path_in_scope(actor, record.scope_path, permission)


TICKET_MACHINE = StateMachine(
    [
        Transition("start", _("Start the repair"), frozenset({T.OPEN}), T.REPAIRING, MAINTAIN),
        Transition(
            "fix",
            _("Repaired"),
            frozenset({T.OPEN, T.REPAIRING}),
            T.FIXED,
            MAINTAIN,
            needs_reason=True,
        ),
    ],
    may=_may,
)

DEVICE_MACHINE = StateMachine(
    [
        Transition(
            "report_fault",
            _("Report a fault"),
            frozenset({S.ONLINE, S.OFFLINE}),
            S.FAULT,
            MAINTAIN,
            needs_reason=True,
        ),
        Transition(
            "disable",
            _("Take out of service (停用)"),
            frozenset(IN_SERVICE),
            S.DISABLED,
            MANAGE,
            needs_reason=True,
        ),
        Transition("enable", _("Put back into service"), frozenset({S.DISABLED}), S.ONLINE, MANAGE),
        Transition(
            "scrap",
            _("Scrap (报废)"),
            frozenset({*IN_SERVICE, S.DISABLED}),
            S.SCRAPPED,
            MANAGE,
            needs_reason=True,
        ),
    ],
    may=_may,
)


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _date(value, field: str, errors: dict, *, required=True) -> date | None:
    if isinstance(value, date):
        return value
    if value in (None, "") and not required:
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def offline_moment(now: datetime, sampling_minutes: int) -> datetime:
    """When a device heard from at ``now`` counts as offline if it is not heard again."""
    return now + timedelta(minutes=sampling_minutes * devices_policy().offline_after_intervals)


# Registration -----------------------------------------------------------------------------


def device_register(*, actor, data: dict) -> tuple[Device, str]:
    """Register a device in a grid where the actor manages: its signed source (the secret
    is returned once, for the installer to load) and its registry row. Its replacement is
    due the type's cycle after installation."""
    policy = devices_policy()
    errors: dict = {}
    code = _text(data.get("code"), 60)
    if not CODE_RE.match(code):
        errors["code"] = [_("Give a device code of letters, digits, '-', '_' or '.' (at most 40).")]
    elif DeviceSource.objects.filter(code=code).exists():
        errors["code"] = [_("This device code is already registered.")]
    kind = str(data.get("kind") or "")
    device_type = policy.types.get(kind)
    if device_type is None:
        errors["kind"] = [_("Not a device type of the policy.")]
    grid_code = str(data.get("grid") or "")
    grid = OrgUnit.objects.filter(code=grid_code, level=OrgUnit.Level.GRID).first()
    if grid is not None and not path_in_scope(actor, grid.path, MANAGE):
        raise NotFound()  # outside the actor's units looks like missing
    if grid is None:
        errors["grid"] = [_("No such grid.")]
    building = None
    if data.get("building") not in (None, ""):
        raw = str(data["building"])
        building = (
            Building.objects.filter(pk=int(raw), grid=grid).first()
            if grid is not None and raw.isdigit() and int(raw) < 2**31
            else None
        )
        if building is None:
            errors["building"] = [_("No such building in this grid.")]
    given = {k: data.get(k) for k in ("lon", "lat")}
    if building is not None and building.lon is not None:
        # Left out, the point is the building's.
        given = {k: v if v not in (None, "") else getattr(building, k) for k, v in given.items()}
    coords = china_point(given, errors)
    installed = _date(data.get("installed_on"), "installed_on", errors)
    if installed and installed > timezone.localdate():
        errors["installed_on"] = [_("The installation date is in the future.")]
    warranty = _date(data.get("warranty_until"), "warranty_until", errors, required=False)
    if warranty and installed and warranty < installed:
        errors["warranty_until"] = [_("The warranty cannot end before the installation.")]
    installer = _text(data.get("installer"), 100)
    if not installer:
        errors["installer"] = [_("Name the installer.")]
    keeper = _text(data.get("keeper_name"), 50)
    if not keeper:
        errors["keeper_name"] = [_("Name the person responsible.")]
    phone = str(data.get("keeper_phone") or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone)
        except FieldInvalid as exc:
            errors["keeper_phone"] = [exc.message]
    sampling = data.get("sampling_minutes")
    if sampling in (None, "") and device_type is not None:
        sampling = device_type.sampling_minutes
    try:
        sampling = int(sampling)
        if not 1 <= sampling <= policy.sampling_minutes_max:
            raise ValueError
    except (TypeError, ValueError):
        errors["sampling_minutes"] = [
            _("The heartbeat interval is 1 to %(n)d minutes.") % {"n": policy.sampling_minutes_max}
        ]
    category = None
    if device_type is not None:
        category_code = str(data.get("alarm_category") or device_type.alarm_category)
        category = Category.objects.filter(code=category_code, parent__isnull=False).first()
        if category is None:
            errors["alarm_category"] = [_("Unknown category %(c)s.") % {"c": category_code[:10]}]
    if errors:
        raise ValidationFailed(details=errors)
    name = _text(data.get("name"), 100) or f"{device_type.name} {code}"
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        source = DeviceSource.objects.create(
            code=code,
            name=name,
            category=category,
            lon=coords["lon"],
            lat=coords["lat"],
            address=_text(data.get("address"), 200),
            secret_encrypted=encrypt_field(secret, associated_data=f"device:{code}"),
        )
        device = Device(
            source=source,
            kind=kind,
            model_name=_text(data.get("model_name"), 60),
            spec=_text(data.get("spec"), 100),
            grid=grid,
            building=building,
            scope_path=grid.path,
            installer=installer,
            installed_on=installed,
            warranty_until=warranty,
            replace_due_on=_add_years(installed, device_type.cycle_years),
            keeper_name=keeper,
            sampling_minutes=sampling,
            status=S.OFFLINE,
            status_changed_at=now,
        )
        if phone:
            device.keeper_phone_encrypted = encrypt_field(
                phone, associated_data=f"operations_device/keeper_phone/{device.uid}"
            )
            device.keeper_phone_masked = mask_phone(phone)
        device.save()
        audit_record(
            "operations.device.create",
            actor=actor,
            target=device,
            org_unit_path=device.scope_path,
            changes={"code": code, "kind": kind},
        )
    return device, secret


# Messages from the device (through the events app's signed webhook) -------------------------


def _registered(source: DeviceSource) -> Device:
    device = Device.objects.filter(source=source).first()
    if device is None:
        raise Conflict(
            _("This device is not in the device registry; register it first."),
            code=DeviceErrorCode.NOT_REGISTERED,
        )
    return device


def heartbeat(source: DeviceSource, payload: dict) -> tuple[int, dict]:
    """The device is alive: it is heard from now, and an offline device is back online
    (its offline ticket closes: it recovered by itself). A device under a fault ticket,
    disabled or scrapped keeps its status."""
    device = _registered(source)
    now = timezone.now()
    due = offline_moment(now, device.sampling_minutes)
    if device.status != S.OFFLINE:
        # The common case, one statement: no lock, no audit record.
        Device.objects.filter(pk=device.pk).update(
            last_seen_at=now, offline_after=due, first_seen_at=device.first_seen_at or now
        )
        return 200, {"status": device.status}
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        locked.last_seen_at, locked.offline_after = now, due
        locked.first_seen_at = locked.first_seen_at or now
        if locked.status == S.OFFLINE:
            ticket = RepairTicket.objects.filter(
                device=locked, state__in=(T.OPEN, T.REPAIRING), cause=RepairTicket.Cause.OFFLINE
            ).first()
            if ticket is not None:
                _close_ticket(ticket, SystemActor(f"device:{source.code}"), T.FIXED, now, "")
            if not locked.tickets.filter(state__in=(T.OPEN, T.REPAIRING)).exists():
                _set_status(locked, S.ONLINE, now, SystemActor(f"device:{source.code}"))
        locked.save()
    return 200, {"status": locked.status}


def fault_report(source: DeviceSource, payload: dict) -> tuple[int, dict]:
    """The device reports its own fault (sensor failure, low battery …): a repair ticket."""
    device = _registered(source)
    errors: dict = {}
    message = free_text(payload.get("message", ""), "message", 300, errors)
    if errors:
        raise ValidationFailed(details=errors)
    system = SystemActor(f"device:{source.code}")
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        now = timezone.now()
        locked.last_seen_at, locked.offline_after = (
            now,
            offline_moment(now, locked.sampling_minutes),
        )
        locked.first_seen_at = locked.first_seen_at or now
        if locked.status not in IN_SERVICE:
            locked.save()
            raise Conflict(_("Not in service."), code=DeviceErrorCode.OUT_OF_SERVICE)
        ticket = _open_ticket(locked, RepairTicket.Cause.FAULT, message, system, now)
        if locked.status in (S.ONLINE, S.OFFLINE):
            _set_status(locked, S.FAULT, now, system)
        locked.save()
    return 201, {"status": locked.status, "ticket": str(ticket.uid)}


def _set_status(device: Device, status: str, now: datetime, actor, note: str = "") -> None:
    """Change the locked ``device``'s status (the caller saves it) with its audit record."""
    before = device.status
    device.status, device.status_changed_at = status, now
    device.version += 1
    if status == S.ONLINE:
        # A fresh allowance of missed heartbeats from now.
        device.offline_after = offline_moment(now, device.sampling_minutes)
    audit_record(
        "operations.device.status",
        actor=actor,
        target=device,
        org_unit_path=device.scope_path,
        changes={"from": before, "to": status, "note": note},
    )


def _open_ticket(device: Device, cause: str, description: str, actor, now: datetime):
    """The device's open ticket, or a new one with the policy's repair clock."""
    current = device.tickets.filter(state__in=(T.OPEN, T.REPAIRING)).first()
    if current is not None:
        return current
    due, _assumed = sla.deadline(now, devices_policy().repair)
    ticket = RepairTicket.objects.create(
        device=device,
        scope_path=device.scope_path,
        cause=cause,
        description=description,
        opened_at=now,
        due_at=due,
    )
    audit_record(
        "operations.ticket.open",
        actor=actor,
        target=ticket,
        org_unit_path=ticket.scope_path,
        changes={"device": device.source.code, "cause": cause},
    )
    return ticket


def _close_ticket(ticket: RepairTicket, actor, state: str, now: datetime, note: str) -> None:
    before = ticket.state
    ticket.state, ticket.closed_at, ticket.close_note = state, now, note
    ticket.closed_by = actor if getattr(actor, "pk", None) else None
    ticket.version += 1
    ticket.save()
    audit_record(
        "operations.ticket.close",
        actor=actor,
        target=ticket,
        org_unit_path=ticket.scope_path,
        changes={"from": before, "to": state, "note": note},
    )


# The offline scan and the repair clock -------------------------------------------------------


def scan_offline(now: datetime | None = None) -> int:
    """Take offline every online device not heard from in time, each with a repair
    ticket; returns how many. One indexed query finds them (``offline_after``)."""
    now = now or timezone.now()
    system = SystemActor("operations_devices")
    taken = 0
    silent = Device.objects.filter(status=S.ONLINE, offline_after__lt=now).values_list(
        "pk", flat=True
    )
    for pk in list(silent[:5000]):
        with transaction.atomic():
            device = (
                Device.objects.select_for_update()
                .select_related("source")
                .filter(pk=pk, status=S.ONLINE, offline_after__lt=now)
                .first()
            )
            if device is None:  # heard from meanwhile
                continue
            # No description: the cause says it, and the page shows when it was last heard.
            _open_ticket(device, RepairTicket.Cause.OFFLINE, "", system, now)
            _set_status(device, S.OFFLINE, now, system)
            device.save()
            taken += 1
    return taken


def notify_overdue(now: datetime | None = None) -> int:
    """Tell the staff who maintain a device's grid, once, that its repair is overdue."""
    now = now or timezone.now()
    told = 0
    for ticket in RepairTicket.objects.filter(
        state__in=(T.OPEN, T.REPAIRING), due_at__lt=now, overdue_notified=False
    ).select_related("device__source", "device__grid__parent")[:1000]:
        with transaction.atomic():
            if not RepairTicket.objects.filter(pk=ticket.pk, overdue_notified=False).update(
                overdue_notified=True
            ):
                continue
            grid = ticket.device.grid
            staff = unit_staff([grid, grid.parent], MAINTAIN)
            notifications.inbox(
                staff,
                kind="deadline",
                message=_("The repair of device %(code)s is overdue (due %(due)s).")
                % {
                    "code": ticket.device.source.code,
                    "due": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M"),
                },
                subject=ticket,
                key=f"repair-overdue:{ticket.pk}",
            )
            told += 1
    return told


# Staff actions -------------------------------------------------------------------------------


def ticket_transition(
    *, actor, ticket: RepairTicket, action: str, version, note: str = ""
) -> RepairTicket:
    """Start or finish a repair (a note on what was done is needed to finish). Finishing
    puts the device back online."""
    with transaction.atomic():
        locked, definition, note = locked_for_transition(
            TICKET_MACHINE, ticket, actor=actor, action=action, version=version, note=(note, 300)
        )
        device = Device.objects.select_for_update().get(pk=locked.device_id)
        now = timezone.now()
        if action == "start":
            locked.state, locked.started_at = T.REPAIRING, now
            locked.version += 1
            locked.save()
            audit_record(
                "operations.ticket.start",
                actor=actor,
                target=locked,
                org_unit_path=locked.scope_path,
                changes={"note": note},
            )
            if device.status in IN_SERVICE:
                _set_status(device, S.REPAIRING, now, actor)
        else:
            _close_ticket(locked, actor, T.FIXED, now, note)
            if device.status in IN_SERVICE:
                _set_status(device, S.ONLINE, now, actor, note)
        device.save()
    return locked


def device_transition(*, actor, device: Device, action: str, version, note: str = "") -> Device:
    """Report a fault (opens a ticket), take out of service, put back, scrap. Taking a
    device out of service closes its open ticket without repair."""
    with transaction.atomic():
        locked, definition, note = locked_for_transition(
            DEVICE_MACHINE, device, actor=actor, action=action, version=version, note=(note, 300)
        )
        now = timezone.now()
        if action == "report_fault":
            _open_ticket(locked, RepairTicket.Cause.REPORTED, note, actor, now)
        elif action in ("disable", "scrap"):
            for ticket in locked.tickets.filter(state__in=(T.OPEN, T.REPAIRING)):
                _close_ticket(ticket, actor, T.CANCELLED, now, note)
            locked.retired_at = locked.retired_at or now
        elif action == "enable":
            locked.retired_at = None
        _set_status(locked, definition.target, now, actor, note)
        locked.save()
        # Out of service, its webhook answers 401 like an unknown device.
        DeviceSource.objects.filter(pk=locked.source_id).update(
            is_active=locked.status in IN_SERVICE
        )
    return locked


# Alarms ----------------------------------------------------------------------------------------


def record_alarm(source: DeviceSource, event) -> None:
    """The events app's observer of device alarms: the alarm log (and the device is alive)."""
    device = Device.objects.filter(source=source).first()
    if device is None:
        return
    now = timezone.now()
    DeviceAlarm.objects.create(
        device=device, scope_path=device.scope_path, event=event, received_at=event.reported_at
    )
    Device.objects.filter(pk=device.pk).update(
        last_seen_at=now,
        first_seen_at=device.first_seen_at or now,
        offline_after=offline_moment(now, device.sampling_minutes),
    )


def alarm_verify(*, actor, alarm: DeviceAlarm, is_true, note: str = "") -> DeviceAlarm:
    """The handler's verdict: a true or a false alarm, once (409 when already given)."""
    errors: dict = {}
    if is_true not in (True, False):
        errors["is_true"] = [_("Say whether the alarm was true or false.")]
    note = free_text(note, "note", 300, errors)
    if errors:
        raise ValidationFailed(details=errors)
    if not path_in_scope(actor, alarm.scope_path, MAINTAIN):
        raise NotFound()
    with transaction.atomic():
        locked = DeviceAlarm.objects.select_for_update().get(pk=alarm.pk)
        if locked.is_true is not None:
            raise Conflict(
                _("This alarm was already judged."), code=DeviceErrorCode.ALREADY_VERIFIED
            )
        locked.is_true, locked.note = is_true, note
        locked.verified_at, locked.verified_by = timezone.now(), actor
        locked.save()
        audit_record(
            "operations.alarm.verify",
            actor=actor,
            target=locked,
            org_unit_path=locked.scope_path,
            changes={"is_true": is_true, "note": note},
        )
    return locked
