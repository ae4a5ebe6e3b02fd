"""Policies of the points ledger and the time bank (docs/participation.md, "Points and the
time bank")."""

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class EarningRule(BaseModel):
    points: int = Field(ge=0, le=1000, description="points per act (per hour for volunteering)")
    daily_cap: int | None = Field(None, ge=0, description="most points a day per resident")
    monthly_cap: int | None = Field(None, ge=0, description="most points a month per resident")
    needs_approval: bool = Field(
        False, description="credited only once staff approve (the act is then recorded only)"
    )
    expiry_months: int | None = Field(
        24, ge=1, le=120, description="months after which unspent points lapse (none: never)"
    )


def _default_rules() -> dict[str, EarningRule]:
    return {
        "vote_cast": EarningRule(points=2, daily_cap=10, monthly_cap=40),
        "proposal_adopted": EarningRule(points=20, monthly_cap=60),
        "volunteer_hours": EarningRule(points=10, daily_cap=80, monthly_cap=400),
        "survey_answered": EarningRule(points=2, daily_cap=6, monthly_cap=20),
        "service_rated": EarningRule(points=1, daily_cap=3, monthly_cap=10),
        "group_suggestion_adopted": EarningRule(points=10, monthly_cap=50),
    }


class PointsPolicy(PolicySchema):
    earning: dict[str, EarningRule] = Field(
        default_factory=_default_rules,
        description="action → points, daily and monthly caps per resident, approval, expiry",
    )
    pickup_days: int = Field(
        14, ge=1, le=90, description="days a resident has to collect a redemption"
    )


class TimeBankPolicy(PolicySchema):
    hours_per_hour: float = Field(
        1.0, gt=0, le=10, description="hours deposited per hour of service given"
    )
    family_transfer: bool = Field(
        True, description="residents may transfer hours to members of their household"
    )


def _earning_labels() -> dict:
    return {
        "vote_cast": _("a vote cast"),
        "proposal_adopted": _("a proposal adopted"),
        "volunteer_hours": _("an hour of volunteering approved"),
        "survey_answered": _("a survey answered"),
        "service_rated": _("a service rated"),
        "group_suggestion_adopted": _("a suggestion to a chat group adopted"),
    }


register_policy(
    PolicyDefinition(
        "participation.points",
        PointsPolicy,
        _("Points: earning rules and redemption"),
        _(
            "Points per act (vote, adopted proposal, volunteer hour, survey, rated service, "
            "adopted group suggestion), daily and monthly caps, approval, expiry in months; "
            "days to collect a redemption."
        ),
        "policy.change_system",
        value_labels=_earning_labels,
    )
)
register_policy(
    PolicyDefinition(
        "participation.timebank",
        TimeBankPolicy,
        _("Time bank"),
        _("Hours deposited per hour given; whether hours may go to household members."),
        "policy.change_system",
    )
)
