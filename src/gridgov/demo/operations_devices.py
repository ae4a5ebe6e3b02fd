"""The demo's smart devices: about 240 across the district's grids, placed at buildings, of
every type, installed over the past four years (some past their replacement cycle), in every
status: most online; a few never connected; some gone offline with their repair ticket (one
overdue); faulty ones, some under repair; disabled and scrapped ones. A month of repairs
done (2 to 40 hours each) and alarms that opened events, most judged true or false, a few
waiting. Idempotent: a second run adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.events.services import device_alarm
from gridgov.operations import services_devices as services
from gridgov.operations.models import Device, DeviceAlarm, RepairTicket
from gridgov.org.models import Building, OrgUnit

DISTRICT = "310104"
TOTAL = 240
# type code → share of the devices
MIX = [
    ("smoke", 0.40),
    ("gas", 0.15),
    ("water_meter", 0.15),
    ("camera", 0.15),
    ("environment", 0.05),
    ("door", 0.05),
    ("patrol_terminal", 0.03),
    ("screen", 0.02),
]
MODELS = {
    "smoke": ("JTY-GD-01", "NB-IoT"),
    "gas": ("GAS-S200", "甲烷 5%LEL"),
    "water_meter": ("LXSY-20E", "DN20"),
    "camera": ("DS-2CD3T47", "1080P"),
    "environment": ("AQ-M8", "PM2.5 ±5 μg/m³"),
    "door": ("FACE-600", "人脸识别"),
    "patrol_terminal": ("PT-5", "4G"),
    "screen": ("LED-P3", "2 m²"),
}
KEEPERS = ["孙立新", "吴海燕", "郑国强", "冯丽娟", "何建华", "许文静"]


def seed_devices() -> int:
    """Returns the devices registered (0 when already seeded or no demo district)."""
    if Device.objects.exists():
        return 0
    district = OrgUnit.objects.filter(code=DISTRICT).first()
    staff = User.objects.filter(username="demo_district").first()
    if district is None or staff is None:
        return 0
    rng = random.Random(20261201)
    buildings = list(
        Building.objects.filter(grid__path__startswith=district.path, lon__isnull=False)
        .select_related("grid")
        .order_by("pk")
    )
    if not buildings:
        return 0
    # The demo grid worker's grid first, so their home has devices to look after.
    buildings.sort(key=lambda b: (b.grid.code != "310104003001001", b.pk))
    today = timezone.localdate()
    kinds = [code for code, share in MIX for _ in range(round(share * TOTAL))]
    devices = []
    for i, kind in enumerate(kinds):
        building = buildings[i % len(buildings)] if i < 60 else rng.choice(buildings)
        installed = today - timedelta(days=rng.randint(30, 4 * 365))
        model, spec = MODELS[kind]
        device, _secret = services.device_register(
            actor=staff,
            data={
                "code": f"{kind.replace('_', '')}-{i + 1:04d}",
                "kind": kind,
                "model_name": model,
                "spec": spec,
                "grid": building.grid.code,
                "building": building.pk,
                "installer": "上海城市智能设备安装有限公司",
                "installed_on": installed,
                "warranty_until": installed + timedelta(days=3 * 365),
                "keeper_name": KEEPERS[i % len(KEEPERS)],
                "keeper_phone": f"138{20260000 + i:08d}",
            },
        )
        devices.append(device)
    rng.shuffle(devices)
    # devices[:8] never connect.
    silent, faulty, repairing, disabled, scrapped, history, rest = (
        devices[8:18],
        devices[18:26],
        devices[26:30],
        devices[30:34],
        devices[34:37],
        devices[37:62],
        devices[62:],
    )
    for device in devices[8:]:
        services.heartbeat(device.source, {})
    _past_repairs(history, staff, rng)
    _silent(silent)
    for device in faulty + repairing:
        services.fault_report(device.source, {"message": rng.choice(["传感器故障", "电池电量低"])})
    for device in repairing:
        ticket = device.tickets.get(state=RepairTicket.State.OPEN)
        services.ticket_transition(
            actor=staff, ticket=ticket, action="start", version=ticket.version
        )
    for device, action, note in [(d, "disable", "楼道装修，暂时拆除") for d in disabled] + [
        (d, "scrap", "到期报废") for d in scrapped
    ]:
        device.refresh_from_db()
        services.device_transition(
            actor=staff, device=device, action=action, version=device.version, note=note
        )
    _alarms([d for d in rest if d.kind in ("smoke", "gas", "water_meter", "camera")], staff, rng)
    return len(devices)


def _past_repairs(devices, staff, rng) -> None:
    """A month of repairs: each reported, fixed, then placed back in time (2–40 hours)."""
    now = timezone.now()
    for device in devices:
        device.refresh_from_db()
        services.device_transition(
            actor=staff,
            device=device,
            action="report_fault",
            version=device.version,
            note=rng.choice(["镜头遮挡", "信号不稳定", "外壳破损"]),
        )
        ticket = device.tickets.get(state=RepairTicket.State.OPEN)
        services.ticket_transition(
            actor=staff, ticket=ticket, action="fix", version=ticket.version, note="已更换配件"
        )
        opened = now - timedelta(days=rng.randint(2, 28), hours=rng.randint(0, 12))
        took = timedelta(hours=rng.choice([2, 4, 6, 10, 18, 22, 26, 40]))
        RepairTicket.objects.filter(pk=ticket.pk).update(
            opened_at=opened, due_at=opened + timedelta(hours=24), closed_at=opened + took
        )


def _silent(devices) -> None:
    """Devices that stopped beating: the scan takes them offline with a ticket; the first
    one went silent two days ago, so its repair is overdue."""
    now = timezone.now()
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(
        offline_after=now - timedelta(minutes=1)
    )
    services.scan_offline(now)
    first = RepairTicket.objects.filter(device=devices[0]).first()
    if first is not None:
        opened = now - timedelta(days=2)
        RepairTicket.objects.filter(pk=first.pk).update(
            opened_at=opened, due_at=opened + timedelta(hours=24)
        )


def _alarms(devices, staff, rng) -> None:
    """Alarms that opened immediate events, dispatched to the grids' workers; most judged
    (fire and gas mostly true, cameras with more false alarms), the last few waiting."""
    texts = {
        "smoke": "烟雾浓度超标",
        "gas": "燃气浓度超标",
        "water_meter": "独居老人家中12小时无用水",
        "camera": "疑似高空抛物",
    }
    for i, device in enumerate(devices[:24]):
        event = device_alarm(device=device.source, payload={"message": texts[device.kind]})
        alarm = DeviceAlarm.objects.get(event=event)
        if i >= 20:
            continue
        false_share = 0.4 if device.kind == "camera" else 0.05
        services.alarm_verify(
            actor=staff,
            alarm=alarm,
            is_true=rng.random() >= false_share,
            note="现场核实",
        )
