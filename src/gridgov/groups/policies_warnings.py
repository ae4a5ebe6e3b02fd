"""Policies of chat exports, early warning and the compound risk index (docs/policies.md,
*Chat groups*). The keyword lexicons are data: the plan was written for epidemic control
and says itself that what is watched changes every year."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class MessagesPolicy(PolicySchema):
    max_export_mb: int = Field(20, ge=1, le=200, description="largest chat export accepted (MB)")
    text_days: int = Field(
        30, ge=1, le=180, description="days an export's text is kept (encrypted), then deleted"
    )
    metadata_days: int = Field(
        400,
        ge=60,
        le=1100,
        description="days the message rows without text are kept (months dropped whole)",
    )
    activity_days: int = Field(
        30, ge=7, le=90, description="days over which activity (members who posted) is counted"
    )
    question_markers: list[str] = Field(
        ["?", "？", "请问", "怎么办", "能不能", "有没有", "吗"],
        min_length=1,
        max_length=40,
        description="a message containing one of these asks something",
    )


register_policy(
    PolicyDefinition(
        "groups.messages",
        MessagesPolicy,
        _("Chat groups: chat exports"),
        _(
            "The largest export accepted, how long an export's text is kept (encrypted) before "
            "it is deleted, how long the message rows without text are kept, the window of "
            "the activity measure and what marks a question."
        ),
        "policy.change_system",
    )
)


class KeywordTerm(PolicySchema):
    term: str = Field(..., min_length=1, max_length=20)
    weight: int = Field(1, ge=1, le=10)


class KeywordTopic(PolicySchema):
    code: str = Field(..., pattern=r"^[a-z][a-z0-9_]{1,30}$")
    name: str = Field(..., min_length=1, max_length=60)
    terms: list[KeywordTerm] = Field(..., min_length=1, max_length=200)
    # The grid-event category a warning of this topic becomes (events catalogue code).
    event_category: str = Field("", max_length=10)


def _terms(*words: str) -> list[KeywordTerm]:
    return [KeywordTerm(term=w) for w in words]


class WarningsPolicy(PolicySchema):
    topics: list[KeywordTopic] = Field(
        [
            KeywordTopic(
                code="health",
                name="公共卫生",
                terms=_terms("发热", "发烧", "抗原", "阳性", "密接", "咳嗽", "腹泻", "核酸"),
                event_category="57001",
            ),
            KeywordTopic(
                code="rumour",
                name="谣言舆情",
                terms=_terms("谣言", "听说", "据说", "造谣", "辟谣", "转发扩散"),
                event_category="57002",
            ),
            KeywordTopic(
                code="safety",
                name="安全隐患",
                terms=_terms("燃气", "煤气", "漏气", "着火", "冒烟", "电梯困人"),
                event_category="52003",
            ),
            KeywordTopic(
                code="water",
                name="漏水停水",
                terms=_terms("漏水", "停水", "爆管", "渗水", "水管破"),
                event_category="56001",
            ),
        ],
        min_length=1,
        max_length=30,
        description="topics watched, each with its terms (weight = hits per occurrence)",
    )
    spike_factor: float = Field(
        3, ge=1, le=20, description="a day's hits at least this many times the daily mean before"
    )
    spike_min_hits: int = Field(5, ge=1, le=1000, description="and at least these many hits")
    baseline_days: int = Field(7, ge=1, le=60, description="days before that make the mean")
    recent_days: int = Field(
        3,
        ge=1,
        le=30,
        description="only days this recent raise a warning (an old export raises none)",
    )
    excerpts_per_day: int = Field(
        5, ge=0, le=20, description="masked excerpts kept per topic and day"
    )

    @field_validator("topics")
    @classmethod
    def _unique_codes(cls, topics):
        codes = [t.code for t in topics]
        if len(codes) != len(set(codes)):
            raise ValueError("topic codes must differ")
        return topics


register_policy(
    PolicyDefinition(
        "groups.warnings",
        WarningsPolicy,
        _("Chat groups: early warning"),
        _(
            "The keyword lexicons per topic with weights (matched in chat exports and in "
            "admins' monthly reports), the grid-event category each topic becomes, and the "
            "spike rule: a day's hits at least 3 × the group's 7-day daily mean and at least 5."
        ),
        "policy.change_system",
    )
)


class RiskInput(PolicySchema):
    weight: float = Field(..., ge=0, le=100)
    full_at: float = Field(..., gt=0, description="the value that scores 100 (linear from 0)")


class RiskPolicy(PolicySchema):
    warnings_per_1000: RiskInput = RiskInput(weight=25, full_at=10)
    confirmed_warnings: RiskInput = RiskInput(weight=15, full_at=3)
    special_share: RiskInput = RiskInput(weight=10, full_at=30)
    elderly_share: RiskInput = RiskInput(weight=15, full_at=50)
    class_mix: RiskInput = RiskInput(weight=10, full_at=50)
    open_rectifications: RiskInput = RiskInput(weight=10, full_at=3)
    unanswered_share: RiskInput = RiskInput(weight=15, full_at=50)
    window_days: int = Field(30, ge=7, le=180, description="days of warnings and questions")
    medium_from: float = Field(40, ge=0, le=100, description="index from which the level is 中")
    high_from: float = Field(70, ge=0, le=100, description="index from which the level is 高")

    @model_validator(mode="after")
    def _bands(self):
        if self.medium_from >= self.high_from:
            raise ValueError("medium_from must be below high_from")
        return self


register_policy(
    PolicyDefinition(
        "groups.risk",
        RiskPolicy,
        _("Chat groups: compound risk index"),
        _(
            "The inputs of the compound risk index 「小区风险指数」 (0–100), each with its weight "
            "and the value that scores 100, the window counted, and the bands 低 / 中 / 高."
        ),
        "policy.change_system",
    )
)
