"""The policy of service facilities 服务设施 (S004 §3.4, §7.2; docs/operations-app.md): the
facility types and which of them make the 15-minute service circle; the circle's reach in
metres (a straight line: no road network is read); the coverage target; the idle share above
which a space gets a 功能调整 task."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator

from gridgov.core.policies import (
    NamedEntry,
    PolicyDefinition,
    PolicySchema,
    register_policy,
    short_codes,
)


class FacilityKind(NamedEntry):
    in_circle: bool = Field(False, description="counts for the 15-minute service circle")


def _default_kinds() -> dict[str, FacilityKind]:
    k = FacilityKind
    return {
        "service_centre": k(
            name="综合服务中心", name_en="community service centre", in_circle=True
        ),
        "party_station": k(name="党群服务站", name_en="party-and-people service station"),
        "elderly_station": k(name="养老驿站", name_en="elderly care station"),
        "childcare": k(name="托育点", name_en="childcare point"),
        "activity_room": k(name="活动室", name_en="activity room"),
        "meeting_room": k(name="会议室", name_en="meeting room"),
        "canteen": k(name="食堂", name_en="canteen"),
        "health_station": k(name="卫生站", name_en="health station"),
    }


class FacilitiesPolicy(PolicySchema):
    kinds: dict[str, FacilityKind] = Field(
        default_factory=_default_kinds,
        description="code → name, and whether it counts for the 15-minute service circle",
    )
    circle_metres: int = Field(
        1000, ge=100, le=10_000, description="straight-line reach of the 15-minute circle"
    )
    circle_target: float = Field(0.8, ge=0, le=1, description="share of residents to cover")
    idle_max: float = Field(
        0.3, ge=0, le=1, description="idle share of open hours above which a space is adjusted"
    )

    @field_validator("kinds")
    @classmethod
    def _codes(cls, value):
        if not any(k.in_circle for k in value.values()):
            raise ValueError("at least one kind must count for the circle")
        return short_codes(value, "facility kind")


def _kind_labels() -> dict:
    from gridgov.core.policies import policy_get

    return {code: k.name for code, k in policy_get("operations.facilities").kinds.items()}


register_policy(
    PolicyDefinition(
        "operations.facilities",
        FacilitiesPolicy,
        _("Service facilities: types, the 15-minute circle, idle spaces"),
        _(
            "Facility types and which of them make the 15-minute service circle; the circle's "
            "straight-line reach in metres and its coverage target; the idle share of opening "
            "hours above which a space is given a function-adjustment task."
        ),
        "policy.change_system",
        value_labels=_kind_labels,
    )
)


def facilities_policy() -> FacilitiesPolicy:
    from gridgov.core.policies import policy_get

    return policy_get("operations.facilities")
