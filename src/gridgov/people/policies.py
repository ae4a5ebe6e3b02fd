"""Policies of the registry: who sees minors and sensitive tags, what each collection
purpose may collect, how long archived people are kept, and import limits."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from pydantic import Field, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy

STAFF_WITH_CARE_DUTIES = ["district_staff", "street_staff", "community_staff", "grid_leader"]


class VisibilityPolicy(PolicySchema):
    minor_age: int = Field(14, ge=14, le=18, description="under this age a person is a minor")
    minors_roles: list[str] = Field(
        default_factory=lambda: [*STAFF_WITH_CARE_DUTIES, "grid_worker"],
        description="roles that see minors",
    )
    sensitive_tag_roles: list[str] = Field(
        default_factory=lambda: list(STAFF_WITH_CARE_DUTIES),
        description="roles that see health, disability, allowance and minors' tags",
    )


class RetentionPolicy(PolicySchema):
    anonymise_after_days: int = Field(
        3 * 365, ge=180, le=30 * 365, description="after moving out or death"
    )


# Resident fields, by collection purpose (minimum necessary, PIPL art. 6).
ALL_RESIDENT_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_type",
    "id_number",
    "phone",
    "relation",
    "registration",
    "residence",
    "occupation",
    "education",
]


# The fields a record may lack (the others are required by every form and import).
OPTIONAL_RESIDENT_FIELDS = ["id_number", "phone", "ethnicity", "occupation", "education"]


class CollectionPolicy(PolicySchema):
    purposes: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "registry": list(ALL_RESIDENT_FIELDS),
            "visit": ["name", "sex", "birth_date", "phone", "relation", "residence"],
            "event_contact": ["name", "phone"],
        },
        description="purpose → the resident fields it may collect",
    )


class ImportPolicy(PolicySchema):
    max_file_mb: int = Field(50, ge=1, le=2048)
    max_rows: int = Field(2_000_000, ge=1)
    max_columns: int = Field(
        200, ge=10, le=1000, description="columns an import reads; a wider header is refused"
    )
    max_zip_entries: int = Field(200, ge=10, le=100_000)
    max_uncompressed_mb: int = Field(1024, ge=1, le=20_480)
    export_max_rows: int = Field(1_000_000, ge=1)


class QualityPolicy(PolicySchema):
    required_fields: list[str] = Field(
        default_factory=lambda: ["id_number", "phone", "ethnicity", "occupation", "education"],
        description="fields a complete resident record has filled (数据完整率)",
    )
    verify_within_days: int = Field(
        180, ge=7, le=3 * 365, description="a record verified longer ago is stale (数据鲜活度)"
    )

    @model_validator(mode="after")
    def _known_fields(self):
        unknown = set(self.required_fields) - set(OPTIONAL_RESIDENT_FIELDS)
        if unknown:
            raise ValueError(f"not an optional resident field: {', '.join(sorted(unknown))}")
        return self


def _people_value_labels() -> dict[str, str]:
    """Role codes and resident field names, as the policy pages show them."""
    from gridgov.accounts.roles import Role
    from gridgov.people.models import Consent, Resident

    labels = {str(code): str(label) for code, label in Role.choices}
    labels |= {f.name: str(f.verbose_name) for f in Resident._meta.get_fields() if f.concrete}
    # The encrypted fields are named after their masked copies.
    for name in ("id_number", "phone"):
        labels[name] = str(Resident._meta.get_field(f"{name}_masked").verbose_name)
    labels |= {code: str(label) for code, label in Consent.PURPOSE_LABELS.items()}
    labels["name"] = str(pgettext("person", "name"))
    return labels


for definition in [
    PolicyDefinition(
        "people.visibility",
        VisibilityPolicy,
        _("Who sees minors and sensitive tags"),
        _("Roles that may see minors and sensitive special-population tags."),
        "policy.change_security",
        value_labels=_people_value_labels,
    ),
    PolicyDefinition(
        "people.retention",
        RetentionPolicy,
        _("Retention of archived residents"),
        _("Days after moving out or death before a resident is anonymised."),
        "policy.change_security",
    ),
    PolicyDefinition(
        "people.collection",
        CollectionPolicy,
        _("Collection purposes"),
        _("For each purpose, the resident fields that may be collected (minimum necessary)."),
        "policy.change_security",
        value_labels=_people_value_labels,
    ),
    PolicyDefinition(
        "people.quality",
        QualityPolicy,
        _("Registry data quality"),
        _(
            "The fields a complete resident record has, and how recently a record must have "
            "been verified to count as fresh."
        ),
        "policy.change_system",
        value_labels=_people_value_labels,
    ),
    PolicyDefinition(
        "people.import",
        ImportPolicy,
        _("Import and export limits"),
        _("File size, row count and archive limits for imports; largest export."),
        "policy.change_system",
    ),
]:
    register_policy(definition)
