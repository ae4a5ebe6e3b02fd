"""Policies of votes 表决 (docs/participation.md, *Votes*): the default electorate, ballot
and method, and the quorum and majority a vote needs. A vote keeps the rules in force
when it was set up."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class VotePolicy(PolicySchema):
    default_electorate: str = Field(
        "persons",
        pattern="^(persons|households|representatives)$",
        description="who votes unless chosen otherwise: persons (residents aged 18+ living "
        "in the unit), households (one per household) or representatives (居民代表)",
    )
    default_secrecy: str = Field(
        "secret", pattern="^(secret|open)$", description="secret or open ballot by default"
    )
    default_method: str = Field(
        "both", pattern="^(online|paper|both)$", description="online, paper or both by default"
    )
    voting_age: int = Field(18, ge=16, le=25, description="age from which a resident votes")
    quorum_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="a binding vote is valid when more than this share of the electorate took part",
    )
    majority_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="a binding vote passes when one option has more than this share of "
        "the ballots counted",
    )
    advisory_quorum: bool = Field(
        False, description="whether an advisory vote needs the quorum as well"
    )


register_policy(
    PolicyDefinition(
        "participation.votes",
        VotePolicy,
        _("Votes: electorate, quorum and majority"),
        _(
            "Who votes by default (residents aged 18 and over, one per household, or the "
            "residents' representatives), the default ballot and method, the quorum and the "
            "majority a binding vote needs; an advisory vote is decided by a simple majority."
        ),
        "policy.change_system",
    )
)
