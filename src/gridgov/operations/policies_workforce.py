"""The policy of the grid workforce's training (S004 §3.4, §6.2, §2.5.3; S002 §7.1;
docs/operations-app.md): the training categories and which count as professional (法律、
心理、急救 …) or smart-tool hours; the yearly minimums; the re-test after a training."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator

from gridgov.core.policies import (
    NamedEntry,
    PolicyDefinition,
    PolicySchema,
    register_policy,
    short_codes,
)

COUNTS = ("professional", "tools", "other")


class TrainingCategory(NamedEntry):
    counts_as: str = Field("other", description="professional, tools or other")

    @field_validator("counts_as")
    @classmethod
    def _counts(cls, value):
        if value not in COUNTS:
            raise ValueError("professional, tools or other")
        return value


def _default_categories() -> dict[str, TrainingCategory]:
    c = TrainingCategory
    return {
        "pre_job": c(name="岗前培训", name_en="pre-job training"),
        "legal": c(name="法律", name_en="law", counts_as="professional"),
        "psychology": c(name="心理", name_en="psychology", counts_as="professional"),
        "first_aid": c(name="急救", name_en="first aid", counts_as="professional"),
        "special": c(name="专项提升", name_en="special skills", counts_as="professional"),
        "tools": c(name="智能工具", name_en="smart tools", counts_as="tools"),
        "rotation": c(name="在岗轮训", name_en="in-service rotation"),
    }


class WorkforcePolicy(PolicySchema):
    training_categories: dict[str, TrainingCategory] = Field(
        default_factory=_default_categories,
        description="code → name and whether it counts as professional or tool hours",
    )
    professional_hours_min: float = Field(40, ge=0, le=1000, description="hours a year")
    tools_hours_min: float = Field(20, ge=0, le=1000, description="hours a year")
    retest_days: int = Field(90, ge=1, le=730, description="days after a training to test again")

    @field_validator("training_categories")
    @classmethod
    def _codes(cls, value):
        return short_codes(value, "training category")


def _category_labels() -> dict:
    from gridgov.core.policies import policy_get

    return {
        code: c.name for code, c in policy_get("operations.workforce").training_categories.items()
    }


register_policy(
    PolicyDefinition(
        "operations.workforce",
        WorkforcePolicy,
        _("Grid workforce: training categories and yearly hours"),
        _(
            "Training categories and whether they count as professional (law, psychology, "
            "first aid …) or smart-tool hours; the hours a grid worker needs a year; when a "
            "trained worker is tested again."
        ),
        "policy.change_system",
        value_labels=_category_labels,
    )
)


def workforce_policy() -> WorkforcePolicy:
    from gridgov.core.policies import policy_get

    return policy_get("operations.workforce")
