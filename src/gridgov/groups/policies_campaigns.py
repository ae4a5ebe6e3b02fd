"""Policy of the inventory campaign 盘点 (docs/policies.md, *Chat groups*): its phases, the
batches of communities by size, the milestones a new campaign copies, the colours by days
late, extensions, the daily report, the board's thresholds and the low-collection alert.

The milestones and phases are copied into a campaign when it is created, so a later change
of this policy never rewrites a campaign that is running; the colour and alert thresholds
are read when they are applied."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, policy_get, register_policy


class PhaseRule(PolicySchema):
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=40)
    name_en: str = Field(..., min_length=1, max_length=60)
    first_day: int = Field(..., ge=1, le=3650)
    # None: the phase has no end (常态化).
    last_day: int | None = Field(None, ge=1, le=3650)


class MilestoneRule(PolicySchema):
    day: int = Field(..., ge=1, le=3650)
    name: str = Field(..., min_length=1, max_length=60)
    name_en: str = Field(..., min_length=1, max_length=100)
    owner: str = Field(..., min_length=1, max_length=60)
    acceptance: str = Field(..., min_length=1, max_length=200)


class BoardThreshold(PolicySchema):
    target: float = Field(..., ge=0, le=100)
    yellow: float = Field(..., ge=0, le=100)


def _default_board() -> dict[str, BoardThreshold]:
    return {
        "collection": BoardThreshold(target=95, yellow=80),
        "anomaly": BoardThreshold(target=0.5, yellow=2),
        "participation": BoardThreshold(target=60, yellow=40),
        "four_haves": BoardThreshold(target=90, yellow=80),
        "rectification_on_time": BoardThreshold(target=100, yellow=90),
        "monthly_update": BoardThreshold(target=95, yellow=80),
    }


# Indicators of the board where a lower figure is better.
LOWER_IS_BETTER = {"anomaly"}


class CampaignPolicy(PolicySchema):
    phases: list[PhaseRule] = Field(
        [
            PhaseRule(
                code="preparation", name="准备阶段", name_en="preparation", first_day=1, last_day=15
            ),
            PhaseRule(
                code="implementation",
                name="实施阶段",
                name_en="implementation",
                first_day=16,
                last_day=60,
            ),
            PhaseRule(
                code="optimisation",
                name="优化阶段",
                name_en="optimisation",
                first_day=61,
                last_day=90,
            ),
            PhaseRule(code="routine", name="常态化阶段", name_en="routine upkeep", first_day=91),
        ],
        min_length=1,
        max_length=8,
        description="the phases by campaign day, copied into a new campaign",
    )
    milestones: list[MilestoneRule] = Field(
        [
            MilestoneRule(
                day=10,
                name="制度与培训",
                name_en="rules and training",
                owner="区疫情防控指挥部",
                acceptance="配套文件通过率100%;培训考核合格率≥90%",
            ),
            MilestoneRule(
                day=15,
                name="平台部署与压力测试",
                name_en="platform deployed and load-tested",
                owner="区大数据中心",
                acceptance="支持1000个群组并发操作",
            ),
            MilestoneRule(
                day=25,
                name="首批数据采集",
                name_en="first batch collected",
                owner="街道办",
                acceptance="采集完整度:大型社区98%,小型社区95%",
            ),
            MilestoneRule(
                day=45,
                name="全量数据录入",
                name_en="all data entered",
                owner="区大数据中心",
                acceptance="系统校验错误率≤0.5%",
            ),
            MilestoneRule(
                day=60,
                name="实施阶段结束",
                name_en="implementation finished",
                owner="街道办",
                acceptance="各批次社区采集完成",
            ),
            MilestoneRule(
                day=70,
                name="问题整改",
                name_en="problems rectified",
                owner="社区居委会",
                acceptance="问题解决率100%",
            ),
            MilestoneRule(
                day=85,
                name="首轮评估",
                name_en="first evaluation",
                owner="第三方机构",
                acceptance="综合评分≥85",
            ),
            MilestoneRule(
                day=90,
                name="常态化移交",
                name_en="handed over to routine upkeep",
                owner="街道办→社区",
                acceptance="交接清单双方签字确认",
            ),
        ],
        min_length=1,
        max_length=20,
        description="the milestones a new campaign copies, by campaign day",
    )
    batch_start_day: int = Field(16, ge=1, le=365, description="the day the first batch starts")
    batch_interval_days: int = Field(7, ge=0, le=60, description="days between batches")
    batch_large_above: int = Field(
        500, ge=1, description="households above which a community is large (first batch)"
    )
    batch_small_below: int = Field(
        200, ge=1, description="households below which a community is small (last batch)"
    )
    yellow_within_days: int = Field(
        3, ge=0, le=60, description="days late the plan calls yellow (进度滞后3天内)"
    )
    red_after_days: int = Field(
        5,
        ge=0,
        le=60,
        description="days late beyond which a milestone is red and alerts the district; the "
        "days between the two numbers count as yellow",
    )
    extension_min_days: int = Field(3, ge=1, le=60, description="shortest extension")
    extension_max_days: int = Field(5, ge=1, le=60, description="longest extension")
    daily_report_by: str = Field(
        "17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="daily report due by (HH:MM)"
    )
    daily_report_phases: list[str] = Field(
        ["implementation"],
        description="phases in which communities report every day and a low collection rate "
        "days in a row alerts the street",
    )
    low_collection_below: float = Field(
        80, ge=0, le=100, description="collection rate (%) below which a day counts as low"
    )
    low_collection_days: int = Field(
        3, ge=1, le=30, description="low days in a row that alert the street"
    )
    monthly_update_day: int = Field(
        5, ge=1, le=28, description="day of the month by which the month's report is entered"
    )
    anomaly_member_change_pct: float = Field(
        50,
        gt=0,
        le=1000,
        description="a month whose member count moved more than this share (%) from the "
        "month before is abnormal",
    )
    board_thresholds: dict[str, BoardThreshold] = Field(
        default_factory=_default_board,
        description="target and yellow line of each board indicator (%)",
    )

    @model_validator(mode="after")
    def _consistent(self):
        if self.red_after_days < self.yellow_within_days:
            raise ValueError("red_after_days must not be below yellow_within_days")
        if self.extension_max_days < self.extension_min_days:
            raise ValueError("extension_max_days must not be below extension_min_days")
        if self.batch_small_below > self.batch_large_above:
            raise ValueError("batch_small_below must not be above batch_large_above")
        return self


register_policy(
    PolicyDefinition(
        "groups.campaigns",
        CampaignPolicy,
        _("Chat groups: the inventory campaign"),
        _(
            "The phases (days 1–15 准备, 16–60 实施, 61–90 优化, 91+ 常态化), the batches of "
            "communities by households (over 500, 200–500, under 200; 7 days apart), the "
            "milestones a new campaign copies, the colours by days late (yellow within 3 "
            "days, 4–5 days still yellow, red over 5 days), extensions of 3–5 days, the daily "
            "report by 17:00, the board's thresholds and the alert after 3 days below 80 % "
            "collection."
        ),
        "policy.change_system",
    )
)


def campaign_policy() -> CampaignPolicy:
    return policy_get("groups.campaigns")
