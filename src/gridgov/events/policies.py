"""Policies of the event loop: time limits per urgency, the escalation ladder, workload,
duplicate detection, reopening, rating follow-up and limits of the public channels."""

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class TimeLimit(BaseModel):
    """A time limit in minutes, hours, or working days (exactly one is set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    minutes: int | None = Field(None, ge=1, le=60 * 24 * 30)
    hours: int | None = Field(None, ge=1, le=24 * 60)
    working_days: int | None = Field(None, ge=1, le=60)

    @model_validator(mode="after")
    def _one(self):
        if sum(v is not None for v in (self.minutes, self.hours, self.working_days)) != 1:
            raise ValueError("set exactly one of minutes, hours, working_days")
        return self


class SlaPolicy(PolicySchema):
    # 即时类 ≤ 30 分钟, 当日类 ≤ 24 小时, 限时类 ≤ 3 个工作日.
    urgency: dict[str, TimeLimit] = Field(
        default_factory=lambda: {
            "immediate": TimeLimit(minutes=30),
            "same_day": TimeLimit(hours=24),
            "deadline": TimeLimit(working_days=3),
        }
    )
    accept: TimeLimit = Field(default_factory=lambda: TimeLimit(minutes=30))
    feedback: TimeLimit = Field(default_factory=lambda: TimeLimit(hours=24))
    due_soon_share: float = Field(
        0.25, gt=0, lt=1, description="share of the limit left when 'due soon' starts"
    )
    stop_clock_when_waiting: bool = Field(
        True, description="the clock stops while waiting for the reporter"
    )

    @model_validator(mode="after")
    def _tiers(self):
        if set(self.urgency) != {"immediate", "same_day", "deadline"}:
            raise ValueError("urgency must define immediate, same_day and deadline")
        return self


class EscalationPolicy(PolicySchema):
    # Hours overdue before the event climbs to each rung: community, street, district.
    ladder_hours: list[int] = Field(default_factory=lambda: [0, 24, 72], min_length=3, max_length=3)

    @model_validator(mode="after")
    def _increasing(self):
        if self.ladder_hours != sorted(self.ladder_hours):
            raise ValueError("ladder_hours must increase")
        return self


class WorkloadPolicy(PolicySchema):
    max_events_per_day: int = Field(8, ge=1, le=200, description="per grid worker")


class DuplicatePolicy(PolicySchema):
    radius_m: int = Field(100, ge=5, le=5000)
    window_hours: int = Field(72, ge=1, le=24 * 30)


class LoopPolicy(PolicySchema):
    reopen_days: int = Field(7, ge=0, le=90, description="days after closing when reopening")
    rating_followup_hours: int = Field(48, ge=1, le=24 * 30)
    max_photos: int = Field(6, ge=1, le=20)
    max_photo_mb: int = Field(10, ge=1, le=50)
    public_per_ip_per_hour: int = Field(20, ge=1, le=10_000)
    public_per_phone_per_day: int = Field(10, ge=1, le=1_000)
    device_clock_skew_seconds: int = Field(300, ge=30, le=3600)
    recompute_inline_max: int = Field(
        200,
        ge=0,
        le=100_000,
        description="open events whose deadlines a calendar change recomputes at once; "
        "more go to a background task",
    )
    separate_verifier: bool = Field(
        True, description="the person who handled an event may not verify it on site"
    )


class PublicPolicy(PolicySchema):
    """What the public channels show and ask (docs/events.md, "Public output")."""

    phone_proof: bool = Field(
        True,
        description="besides the access key the reporter gives the last four digits of the "
        "phone they gave (a report without phone needs the key only); off: the key only",
    )
    grid_centre: bool = Field(
        False,
        description="public locations at the centre of the event's grid instead of the "
        "centre of a square cell of location_metres",
    )
    location_metres: int = Field(100, ge=100, le=5000, description="side of the public cell")
    max_page_size: int = Field(
        50, ge=1, le=1000, description="requests in one page of an anonymous Open311 list"
    )


def _urgency_labels() -> dict[str, str]:
    from gridgov.events.models import Urgency

    return {str(code): str(label) for code, label in Urgency.choices}


for definition in [
    PolicyDefinition(
        "events.public",
        PublicPolicy,
        _("Public event output"),
        _(
            "How reporters prove a report is theirs, how coarse public locations are, and "
            "the page size of anonymous lists."
        ),
        "policy.change_security",
    ),
    PolicyDefinition(
        "events.sla",
        SlaPolicy,
        _("Event time limits"),
        _("Time limits per urgency, to accept and to give feedback; clock stops."),
        "policy.change_system",
        value_labels=_urgency_labels,
    ),
    PolicyDefinition(
        "events.escalation",
        EscalationPolicy,
        _("Escalation ladder"),
        _("Hours overdue before an event climbs to the community, street and district."),
        "policy.change_system",
    ),
    PolicyDefinition(
        "events.workload",
        WorkloadPolicy,
        _("Grid worker workload"),
        _("Events per day above which a grid worker's workload is flagged."),
        "policy.change_system",
    ),
    PolicyDefinition(
        "events.duplicates",
        DuplicatePolicy,
        _("Duplicate suggestions"),
        _("Radius and time window in which a same-category event is a likely duplicate."),
        "policy.change_system",
    ),
    PolicyDefinition(
        "events.loop",
        LoopPolicy,
        _("Event loop limits"),
        _("Reopen window, rating follow-up, photo limits and public channel rate limits."),
        "policy.change_system",
    ),
]:
    register_policy(definition)
