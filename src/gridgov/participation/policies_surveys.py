"""Policies of surveys (docs/participation.md, *Surveys*)."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class SurveyPolicy(PolicySchema):
    satisfied_from: int = Field(
        4,
        ge=1,
        le=5,
        description="on a 1–5 satisfaction scale, the answers that count as satisfied",
    )
    awareness_services: int = Field(
        3, ge=1, le=20, description="services a resident must name to count as aware (认知度)"
    )
    public_per_ip_per_hour: int = Field(
        30,
        ge=1,
        le=10000,
        description="answers and failed openings through public survey links per address an hour",
    )
    satisfaction_days: int = Field(
        14, ge=1, le=90, description="days a satisfaction survey started from a record stays open"
    )
    max_questions: int = Field(60, ge=1, le=200, description="questions one survey may hold")
    max_target: int = Field(
        200000, ge=1, le=5000000, description="the largest audience one survey may freeze"
    )


register_policy(
    PolicyDefinition(
        "participation.surveys",
        SurveyPolicy,
        _("Surveys"),
        _(
            "Which answers count as satisfied and as aware, how many answers a public link "
            "takes from one address an hour, and the size limits of a survey."
        ),
        "policy.change_system",
    )
)
