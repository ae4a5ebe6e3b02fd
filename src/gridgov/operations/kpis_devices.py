"""The KPIs of smart devices, registered with the KPI registry (docs/kpis.md), summed per
grid path as of the period's end (the tickets' open and close times make the past
figures what they were; a device counts from its registration and installation to the
moment it was taken out of service):

- ``devices.access`` 设备接入率: devices in service heard from at least once ÷ devices in
  service;
- ``devices.good`` 设备完好率: devices in service without an open repair ticket ÷ devices in
  service;
- ``devices.repair_hours`` 平均修复时长: hours from ticket to repair, over the tickets fixed
  in the month;
- ``devices.overdue_service`` 超期服役率: devices in service past the replacement cycle ÷
  devices in service;
- ``devices.alarm_accuracy`` 告警准确率: alarms judged true ÷ alarms judged, received in the
  month (误报率 = 100 % − it);
- ``devices.alarm_response`` 告警响应时长: minutes from the alarm to the handler's check-in
  (报到), over the month's alarms answered.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Period, registrar
from gridgov.operations.models import Device, DeviceAlarm, RepairTicket
from gridgov.operations.selectors_devices import (
    alarm_accuracy_by_path,
    alarm_response_by_path,
    figures_by_path,
    month_start,
    repair_hours_by_path,
)

LEVELS = ("district", "street", "community", "grid")


def _share(key: str):
    def snapshot(prefix: str, moment: datetime) -> dict[str, list]:
        rows = figures_by_path(Device.objects.filter(scope_path__startswith=prefix), moment)
        return {path: [row[key], row["in_service"]] for path, row in rows.items()}

    return snapshot


def repair_hours(prefix: str, moment: datetime) -> dict[str, list]:
    tickets = RepairTicket.objects.filter(scope_path__startswith=prefix)
    return repair_hours_by_path(tickets, month_start(moment), moment)


def alarm_accuracy(prefix: str, moment: datetime) -> dict[str, list]:
    alarms = DeviceAlarm.objects.filter(scope_path__startswith=prefix)
    return alarm_accuracy_by_path(alarms, month_start(moment), moment)


def alarm_response(prefix: str, moment: datetime) -> dict[str, list]:
    alarms = DeviceAlarm.objects.filter(scope_path__startswith=prefix)
    return alarm_response_by_path(alarms, month_start(moment), moment)


def _link(unit_code: str, period: Period) -> str:
    return reverse("operations:device_board")


_kpi = registrar(
    capability="operations",
    levels=LEVELS,
    periods=("month",),
    source=lambda: Device.objects.all(),
    records=_link,
    unit="%",
)


_kpi(
    code="devices.access",
    name=_("Smart devices connected (设备接入率)"),
    definition=_(
        "Of the smart devices in service, the share that has reported to the platform at "
        "least once (a heartbeat, an alarm or a fault report through the signed webhook)."
    ),
    formula=_("devices in service heard from ÷ devices in service"),
    higher_is_better=True,
    snapshot=_share("connected"),
)
_kpi(
    code="devices.good",
    name=_("Smart devices in working order (设备完好率)"),
    definition=_(
        "Of the smart devices in service, the share without an open repair ticket (offline, "
        "faulty or under repair) at the end of the period."
    ),
    formula=_("devices in service without an open repair ticket ÷ devices in service"),
    higher_is_better=True,
    snapshot=_share("good"),
)
_kpi(
    code="devices.overdue_service",
    name=_("Smart devices past their replacement cycle (超期服役率)"),
    definition=_(
        "Of the smart devices in service, the share installed longer ago than their type's "
        "replacement cycle (devices policy: 3 years for sensors and cameras, 5 for terminals "
        "and screens)."
    ),
    formula=_("devices in service past the replacement date ÷ devices in service"),
    higher_is_better=False,
    snapshot=_share("overdue"),
)
_kpi(
    code="devices.repair_hours",
    name=_("Average device repair time (平均修复时长)"),
    definition=_(
        "The mean time from a repair ticket's opening (the device went offline, reported a "
        "fault, or staff reported one) to its repair, over the tickets repaired in the month."
    ),
    formula=_("sum of hours from ticket to repair ÷ tickets repaired"),
    unit="h",
    scale=1.0,
    higher_is_better=False,
    snapshot=repair_hours,
)
_kpi(
    code="devices.alarm_accuracy",
    name=_("Device alarm accuracy (告警准确率)"),
    definition=_(
        "Of the device alarms received in the month that their handler judged, the share "
        "judged true; the false-alarm rate (误报率) is the rest."
    ),
    formula=_("alarms judged true ÷ alarms judged"),
    higher_is_better=True,
    snapshot=alarm_accuracy,
)
_kpi(
    code="devices.alarm_response",
    name=_("Device alarm response time (告警响应时长)"),
    definition=_(
        "The mean time from a device alarm to the check-in (报到) of the grid worker its "
        "event was dispatched to, over the month's alarms answered."
    ),
    formula=_("sum of minutes from alarm to check-in ÷ alarms answered"),
    unit="min",
    scale=1.0,
    higher_is_better=False,
    snapshot=alarm_response,
)
