"""The backup policy: when the daily backup runs and how long backups are kept.

The plans ask for a daily backup before 22:00 and at least three years of history: every
backup is kept ``keep_daily_days`` days, and the first backup of each month
``keep_monthly_months`` months (never fewer than 36)."""

import re

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy

_TIME = re.compile(r"^(?P<hour>\d{2}):(?P<minute>\d{2})$")
# The daily backup must be done before the evening cut-off of the plans.
LATEST_START = (21, 59)


class BackupPolicy(PolicySchema):
    daily_at: str = Field("20:00", description="local time (HH:MM) of the daily backup")
    keep_daily_days: int = Field(35, ge=7, le=3660, description="every backup is kept this long")
    keep_monthly_months: int = Field(
        36, ge=36, le=360, description="the first backup of each month is kept this long"
    )

    @field_validator("daily_at")
    @classmethod
    def _before_ten_pm(cls, value: str) -> str:
        match = _TIME.match(value)
        if match is None or int(match["minute"]) > 59:
            raise ValueError("daily_at is a time of day written HH:MM, e.g. 20:00")
        if (int(match["hour"]), int(match["minute"])) > LATEST_START:
            raise ValueError("the daily backup must start before 22:00")
        return value

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.daily_at.split(":")
        return int(hour), int(minute)


register_policy(
    PolicyDefinition(
        "backups.schedule",
        BackupPolicy,
        _("Backups"),
        _(
            "Time of the daily backup (before 22:00), how long every backup is kept, and how "
            "long the first backup of each month is kept (at least 3 years)."
        ),
        "policy.change_security",
    )
)
