"""The policy of smart devices 智能设备 (S002 §3.2.3, §5.3, §7.3; S004 §3.4–3.5;
docs/operations-app.md): the device types with their replacement cycle, sampling interval,
the event category their alarms open and the accuracy target; when a silent device counts
as offline; the repair clock; the KPI targets."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator, model_validator

from gridgov.core.policies import (
    NamedEntry,
    PolicyDefinition,
    PolicySchema,
    register_policy,
    short_codes,
)
from gridgov.events.policies import TimeLimit


class DeviceType(NamedEntry):
    cycle_years: int = Field(ge=1, le=30, description="replacement cycle in years")
    sampling_minutes: int = Field(
        5, ge=1, le=1440, description="minutes between the device's heartbeats"
    )
    alarm_category: str = Field(
        "56001", min_length=1, max_length=10, description="event category its alarms open"
    )
    alarm_accuracy_min: float | None = Field(
        None, ge=0, le=1, description="share of alarms that must prove true (None: no target)"
    )


def _default_types() -> dict[str, DeviceType]:
    t = DeviceType
    return {
        "smoke": t(
            name="智能烟感",
            name_en="smoke detector",
            cycle_years=3,
            alarm_category="52001",
            alarm_accuracy_min=0.95,
        ),
        "gas": t(
            name="燃气报警器",
            name_en="gas detector",
            cycle_years=3,
            alarm_category="52003",
            alarm_accuracy_min=0.95,
        ),
        # No flow at a lone elderly resident's home for hours: 独居老人异常.
        "water_meter": t(
            name="智能水表", name_en="smart water meter", cycle_years=3, alarm_category="54001"
        ),
        "camera": t(
            name="智能摄像头",
            name_en="camera",
            cycle_years=3,
            alarm_category="52004",
            alarm_accuracy_min=0.90,
        ),
        "environment": t(
            name="环境传感器", name_en="environment sensor", cycle_years=3, alarm_category="57001"
        ),
        "door": t(name="智能门禁", name_en="smart door access", cycle_years=3),
        "patrol_terminal": t(name="移动巡检终端", name_en="patrol terminal", cycle_years=5),
        "screen": t(name="电子屏", name_en="information screen", cycle_years=5),
    }


class DevicesPolicy(PolicySchema):
    types: dict[str, DeviceType] = Field(
        default_factory=_default_types,
        description="code → name, replacement cycle, heartbeat interval, alarm accuracy target",
    )
    offline_after_intervals: int = Field(
        3, ge=1, le=100, description="heartbeat intervals missed before a device is offline"
    )
    sampling_minutes_max: int = Field(
        5, ge=1, le=1440, description="the longest heartbeat interval allowed (≥ once in 5 min)"
    )
    repair: TimeLimit = Field(
        default_factory=lambda: TimeLimit(hours=24), description="time to repair a device"
    )
    access_min: float = Field(0.95, ge=0, le=1, description="设备接入率 target")
    good_min: float = Field(0.95, ge=0, le=1, description="设备完好率 target")
    alarm_response_minutes_max: int = Field(
        10, ge=1, le=1440, description="alarm → handler on the way, in minutes"
    )

    @field_validator("types")
    @classmethod
    def _codes(cls, value):
        if not value:
            raise ValueError("at least one device type")
        return short_codes(value, "device type")

    @model_validator(mode="after")
    def _sampling_within_the_rule(self):
        slow = [c for c, t in self.types.items() if t.sampling_minutes > self.sampling_minutes_max]
        if slow:
            raise ValueError(f"heartbeat interval above sampling_minutes_max: {', '.join(slow)}")
        return self


def _type_labels() -> dict:
    from gridgov.core.policies import policy_get

    return {code: t.name for code, t in policy_get("operations.devices").types.items()}


register_policy(
    PolicyDefinition(
        "operations.devices",
        DevicesPolicy,
        _("Smart devices: types, heartbeats, the repair clock"),
        _(
            "Device types with their replacement cycle, heartbeat interval and alarm accuracy "
            "target; how many missed heartbeats make a device offline; the time allowed to "
            "repair a device; the access and good-condition targets."
        ),
        "policy.change_system",
        value_labels=_type_labels,
    )
)


def devices_policy() -> DevicesPolicy:
    from gridgov.core.policies import policy_get

    return policy_get("operations.devices")
