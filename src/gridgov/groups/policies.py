"""Policies of the chat-group inventory (docs/policies.md, *Chat groups*): the thresholds of
the four classes 「四类小区群」 and the order in which their rules are tried."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class ClassPolicy(PolicySchema):
    high_activity_above: float = Field(
        80, ge=0, le=100, description="高效能群: activity (%) strictly above this"
    )
    high_response_below_hours: float = Field(
        2, gt=0, le=72, description="高效能群: first reply to residents strictly within these hours"
    )
    high_satisfaction_above: float = Field(
        90, ge=0, le=100, description="高效能群: residents' satisfaction (%) strictly above this"
    )
    rectify_activity_below: float = Field(
        50,
        ge=0,
        le=100,
        description="问题整改群: activity (%) strictly below this, with false information or "
        "missing services",
    )
    restructure_functions: list[str] = Field(
        ["mixed"],
        description="functions that are blurred by definition (功能重构群), besides a month "
        "reported as mixing functions",
    )


register_policy(
    PolicyDefinition(
        "groups.classes",
        ClassPolicy,
        _("Chat groups: the four classes"),
        _(
            "The thresholds of 高效能群, 潜力提升群, 问题整改群 and 功能重构群. "
            "The rules are tried in the order 重构 → 整改 → 高效能; "
            "a group meeting none of them is 潜力提升群. "
            "Every class names the rule and this policy's version."
        ),
        "policy.change_system",
    )
)


class ScoreWeights(PolicySchema):
    data: float = Field(25, ge=0, le=100, description="数据 (share of indicators measured)")
    service: float = Field(25, ge=0, le=100, description="服务 (response, satisfaction, services)")
    security: float = Field(
        25, ge=0, le=100, description="安全 (false information, leaks, complaints)"
    )
    development: float = Field(25, ge=0, le=100, description="发展 (residents' participation)")


class ScoringPolicy(PolicySchema):
    weights: ScoreWeights = ScoreWeights()
    response_target_hours: float = Field(
        2, gt=0, le=72, description="a first reply within these hours scores 100"
    )
    response_worst_hours: float = Field(
        24, gt=0, le=720, description="a first reply after these hours scores 0 (linear between)"
    )
    leak_penalty: float = Field(50, ge=0, le=100, description="points off 安全 per leak incident")
    complaint_penalty: float = Field(10, ge=0, le=100, description="points off 安全 per complaint")
    score_star_bands: list[float] = Field(
        [60, 70, 80, 90],
        min_length=4,
        max_length=4,
        description="the score from which 2, 3, 4 and 5 stars are given (1 star below)",
    )
    low_score_below: float = Field(
        70, ge=0, le=100, description="a score below this two months running opens rectification"
    )
    low_score_months: int = Field(2, ge=1, le=12, description="months running below the score")
    top_bottom: int = Field(3, ge=1, le=20, description="groups listed at the top and bottom")


register_policy(
    PolicyDefinition(
        "groups.scoring",
        ScoringPolicy,
        _("Chat groups: the monthly score"),
        _(
            "The weights of the four dimensions 数据, 服务, 安全 and 发展 (25 % each by "
            "default), how each is computed, the star bands, the score below which two "
            "months running open rectification, and how many groups are listed at the top "
            "and bottom of each street."
        ),
        "policy.change_system",
    )
)


class RectificationItemRule(PolicySchema):
    text: str = Field(..., min_length=1, max_length=200)
    days: int = Field(..., ge=1, le=90)


class RectificationPolicy(PolicySchema):
    items: list[RectificationItemRule] = Field(
        [
            RectificationItemRule(text="建立信息审核制度", days=7),
            RectificationItemRule(text="完成成员清查", days=14),
        ],
        min_length=1,
        max_length=10,
        description="the items of a new case and their deadlines in calendar days",
    )
    open_on_class: bool = Field(
        True, description="a month placed in 问题整改群 opens a case (unless one is open)"
    )
    item_due_soon_share: float = Field(
        0.25, gt=0, lt=1, description="share of an item's time left when it turns yellow"
    )


register_policy(
    PolicyDefinition(
        "groups.rectification",
        RectificationPolicy,
        _("Chat groups: rectification"),
        _(
            "The items of a rectification case with their deadlines (7 days to set up "
            "content review, 14 days to check the members), and whether a month placed in "
            "问题整改群 opens a case."
        ),
        "policy.change_system",
    )
)


class TreatmentPolicy(PolicySchema):
    restructure_days: int = Field(
        30, ge=7, le=180, description="days to split or merge a 功能重构群 (calendar days)"
    )
    open_restructure_on_class: bool = Field(
        True, description="a month placed in 功能重构群 opens a split-or-merge task"
    )
    recheck_months: int = Field(
        3, ge=1, le=12, description="a 高效能群 reports every so many months (quarterly)"
    )


register_policy(
    PolicyDefinition(
        "groups.treatments",
        TreatmentPolicy,
        _("Chat groups: treatments of the classes"),
        _(
            "高效能群 only re-checked every quarter; 潜力提升群 paired with a mentor group; "
            "功能重构群 given a split-or-merge task with its deadline (30 days)."
        ),
        "policy.change_system",
    )
)


class FeedbackPolicy(PolicySchema):
    satisfied_from_stars: int = Field(
        4, ge=1, le=5, description="a rating with at least these stars counts as satisfied"
    )
    min_group_ratings: int = Field(
        5, ge=1, le=1000, description="ratings a month needs before they give its satisfaction"
    )
    golden_per_month: int = Field(
        10, ge=1, le=50, description="金点子 picked per community and month"
    )


register_policy(
    PolicyDefinition(
        "groups.feedback",
        FeedbackPolicy,
        _("Chat groups: residents' ratings and suggestions"),
        _(
            "When residents' monthly ratings give a group's satisfaction (the share of "
            "ratings of 4 or 5 stars, once 5 residents rated), and how many suggestions are "
            "picked as 金点子 per community and month (10)."
        ),
        "policy.change_system",
    )
)


class CrossCheckPolicy(PolicySchema):
    opens_days_before_end: int = Field(
        10,
        ge=0,
        le=31,
        description="the quarterly cross-check opens this many days before the quarter ends",
    )
    due_days_after_end: int = Field(
        15, ge=1, le=60, description="days into the next quarter a cross-check is due by"
    )


register_policy(
    PolicyDefinition(
        "groups.crosscheck",
        CrossCheckPolicy,
        _("Chat groups: quarterly cross-check (季度复核)"),
        _(
            "When the quarterly cross-check of a registered group's monthly reports by a "
            "second person opens (the quarter's last 10 days) and until when it is due (the "
            "15th day of the next quarter); a check after that is recorded as late."
        ),
        "policy.change_system",
    )
)
