"""Policies of deliberation 议事 (docs/participation.md, "Deliberation")."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class DeliberationPolicy(PolicySchema):
    """A proposal with ``cosign_threshold`` co-signers (its author not counted) is 已附议 and
    a candidate topic; residents are told of a topic's meeting ``notice_days`` before it;
    an adopted decision's report-back is due ``report_back_days`` after the decision;
    residents younger than ``adult_age`` are not told; a topic holds ``documents_max``
    documents (photos up to ``document_mb``, PDFs up to ``document_pdf_mb`` and
    ``document_pdf_pages``)."""

    cosign_threshold: int = Field(
        5, ge=1, le=500, description="co-signers that make a proposal a candidate topic"
    )
    notice_days: int = Field(
        3, ge=0, le=60, description="days before the meeting residents are told of it"
    )
    report_back_days: int = Field(
        30, ge=1, le=365, description="days from the decision to the report-back's due date"
    )
    adult_age: int = Field(18, ge=14, le=25, description="age from which a resident is told")
    documents_max: int = Field(10, ge=1, le=50, description="documents a topic holds at most")
    document_mb: int = Field(10, ge=1, le=50, description="largest photo, in MB")
    document_pdf_mb: int = Field(20, ge=1, le=100, description="largest PDF, in MB")
    document_pdf_pages: int = Field(50, ge=1, le=500, description="most pages of a PDF")


register_policy(
    PolicyDefinition(
        "participation.deliberation",
        DeliberationPolicy,
        _("Deliberation: co-signers, notices and report-backs"),
        _(
            "How many co-signers make a proposal a candidate topic, how many days before a "
            "meeting residents are told, and how long after a decision its report-back is due."
        ),
        "policy.change_system",
    )
)
