"""The policy of the participation KPIs that span every part: who counts as young for
年轻群体参与率 (the plans disagree: S001 says "年轻群体" without an age, S002 18–45)."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class ParticipationPolicy(PolicySchema):
    youth_min_age: int = Field(18, ge=14, le=30, description="youngest age counted as young")
    youth_max_age: int = Field(45, ge=25, le=60, description="oldest age counted as young")


register_policy(
    PolicyDefinition(
        "participation.participation",
        ParticipationPolicy,
        _("Participation: the young residents' age band"),
        _(
            "The ages counted in the young residents' participation rate (年轻群体参与率): "
            "18 to 45 by default, as S002 defines it."
        ),
        "policy.change_system",
    )
)
