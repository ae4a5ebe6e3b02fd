"""Policies of volunteering (docs/participation.md, *Volunteers*): the check-in geofence and
window, how check-out turns into hours, and the star-level bands."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class StarBand(PolicySchema):
    stars: int = Field(ge=1, le=5)
    min_hours: float = Field(ge=0, le=100_000)
    min_rating: float | None = Field(None, ge=1, le=5)


class VolunteerPolicy(PolicySchema):
    radius_m: int = Field(
        300, ge=20, le=5000, description="default check-in radius around an activity's place (m)"
    )
    checkin_early_minutes: int = Field(
        30, ge=0, le=240, description="minutes before the start from which check-in is open"
    )
    round_minutes: int = Field(
        15, ge=1, le=60, description="check-out hours are rounded down to this many minutes"
    )
    tolerance_minutes: int = Field(
        30,
        ge=0,
        le=240,
        description="hours are capped at the shift's length plus this many minutes",
    )
    star_bands: list[StarBand] = Field(
        default_factory=lambda: [
            StarBand(stars=1, min_hours=20),
            StarBand(stars=2, min_hours=50),
            StarBand(stars=3, min_hours=100),
            StarBand(stars=4, min_hours=300, min_rating=4),
            StarBand(stars=5, min_hours=600, min_rating=4),
        ],
        description="approved hours (and, where set, the average rating) for each star level",
    )

    @model_validator(mode="after")
    def _bands_ordered(self):
        stars = [b.stars for b in self.star_bands]
        if len(set(stars)) != len(stars):
            raise ValueError("one band per star level")
        return self


register_policy(
    PolicyDefinition(
        "participation.volunteers",
        VolunteerPolicy,
        _("Volunteers: check-in, hours and star levels"),
        _(
            "The default check-in radius around an activity's place, how early check-in opens, "
            "how check-out hours are rounded and capped, and the approved hours and average "
            "rating each star level needs."
        ),
        "policy.change_system",
    )
)
