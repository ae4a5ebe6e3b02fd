"""Policies of the public boards (docs/participation.md, *Boards and bylaws*): how the grid
service board 网格服务红黑榜 scores, ranks and bands the grid workers, and how it names them."""

from typing import Literal

from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class ServiceBoardPolicy(PolicySchema):
    """A worker's score is the weighted mean, in percent, of the satisfaction rate (ratings
    4–5 ÷ ratings, events and service orders together) and the on-time handling rate
    (events handled by their deadline ÷ handled); a part with nothing to measure drops
    out and the other carries the whole weight. A worker with fewer ratings than
    ``min_ratings`` is not ranked (insufficient data)."""

    satisfaction_weight: int = Field(
        70, ge=0, le=100, description="weight of the satisfaction rate in the score"
    )
    on_time_weight: int = Field(
        30, ge=0, le=100, description="weight of the on-time handling rate in the score"
    )
    min_ratings: int = Field(
        5,
        ge=1,
        le=1000,
        description="fewest ratings in the month for a worker to be ranked",
    )
    band_mode: Literal["rank", "threshold"] = Field(
        "threshold",
        description="threshold: scores at or above red_min_score are red, below "
        "black_below_score black; rank: the top N are red and the bottom N black (ties at "
        "the edge share the band; neither band takes more than half of those ranked)",
    )
    red_count: int = Field(3, ge=0, le=50, description="rank mode: how many are red")
    black_count: int = Field(3, ge=0, le=50, description="rank mode: how many are black")
    red_min_score: float = Field(
        90.0, ge=0, le=100, description="threshold mode: lowest score on the red list"
    )
    black_below_score: float = Field(
        60.0, ge=0, le=100, description="threshold mode: scores below this are black"
    )
    names: Literal["full", "initials"] = Field(
        "full",
        description="how the board names a worker: full display name, or the surname "
        "followed by ＊ (张＊＊)",
    )

    @model_validator(mode="after")
    def _weights(self):
        if self.satisfaction_weight + self.on_time_weight == 0:
            raise ValueError("the two weights cannot both be 0")
        if self.black_below_score > self.red_min_score:
            raise ValueError("black_below_score cannot be above red_min_score")
        return self


register_policy(
    PolicyDefinition(
        "participation.service_board",
        ServiceBoardPolicy,
        _("Grid service board (网格服务红黑榜)"),
        _(
            "How the monthly grid service board scores grid workers (satisfaction and "
            "on-time handling), the fewest ratings to be ranked, which workers are red and "
            "black, and whether names are shown in full or as the surname only."
        ),
        "policy.change_system",
    )
)
