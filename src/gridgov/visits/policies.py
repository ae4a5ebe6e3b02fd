"""Policies of household visits: the cycle and retries, the quality rules (double review,
spot checks) and the location check (docs/visits.md). The refusal warning is the KPI
target of ``visits.refusal_rate`` (policy ``kpis.targets``), read by the alert job."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class CyclePolicy(PolicySchema):
    household_reverify_days: int = Field(
        90, ge=7, le=3 * 365, description="a household without a completed visit this long is due"
    )
    task_due_days: int = Field(
        14, ge=1, le=90, description="days a generated task has before it is overdue"
    )
    not_home_retry_days: int = Field(
        2, ge=1, le=30, description="days until the next attempt after nobody was at home"
    )
    not_home_max_attempts: int = Field(
        3, ge=1, le=10, description="attempts before a not-at-home task goes back to the office"
    )
    location_tolerance_m: int = Field(
        150, ge=20, le=5000, description="a visit further than this from the building is flagged"
    )


class QualityPolicy(PolicySchema):
    reviewer_roles: list[str] = Field(
        default_factory=lambda: ["community_staff", "grid_leader"],
        description="roles that may review (双人复核); never the collector",
    )
    spot_check_rate: float = Field(0.05, ge=0.01, le=1.0, description="share sampled per period")
    spot_check_period: str = Field("month", pattern="^(month|quarter)$")
    sensitive_consent_purpose: str = Field(
        "care_services",
        description="consent purpose a household member must have given for sensitive indicators",
    )


class AttachmentPolicy(PolicySchema):
    max_per_visit: int = Field(10, ge=1, le=50, description="files on one visit record")
    max_photo_mb: int = Field(10, ge=1, le=50, description="largest photo upload")
    max_scan_mb: int = Field(20, ge=1, le=100, description="largest PDF scan upload")
    max_scan_pages: int = Field(20, ge=1, le=500, description="most pages of a PDF scan")


def _quality_labels() -> dict[str, str]:
    """Role codes and consent purposes by their names (the policy pages)."""
    from gridgov.accounts.roles import Role
    from gridgov.kpis.registry import PERIOD_LABELS
    from gridgov.people.models import Consent

    labels = {str(code): str(label) for code, label in Role.choices}
    labels |= {code: str(label) for code, label in PERIOD_LABELS.items()}
    return labels | {code: str(label) for code, label in Consent.PURPOSE_LABELS.items()}


for definition in [
    PolicyDefinition(
        "visits.cycle",
        CyclePolicy,
        _("Visit cycle"),
        _(
            "How long a household may go without a completed visit, task deadlines, retries "
            "after nobody was at home, and the distance that flags a visit's location."
        ),
        "policy.change_system",
    ),
    PolicyDefinition(
        "visits.quality",
        QualityPolicy,
        _("Visit data quality"),
        _(
            "Who reviews visit records, the share of visited households spot-checked each "
            "period, and the consent sensitive indicators need."
        ),
        "policy.change_system",
        value_labels=_quality_labels,
    ),
    PolicyDefinition(
        "visits.attachments",
        AttachmentPolicy,
        _("Visit attachments"),
        _(
            "How many scans of the paper form and photos a visit record may carry, and the "
            "largest photo, scan and number of scan pages accepted."
        ),
        "policy.change_system",
    ),
]:
    register_policy(definition)
