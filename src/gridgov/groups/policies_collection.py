"""Policies of the inventory's collection plan (docs/policies.md, *Chat groups*): how a
compound's groups are collected by its size (S000 §2.3.2), when a compound is flagged for
assisted door-to-door collection, the grid workers' load (包片负责制, §9.1) and which group
functions each kind of compound needs (群功能与需求匹配度, §2.2.3)."""

from typing import Literal

from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy

# The ways of collecting a compound's groups and member figures.
Method = Literal["online_site_check", "grid_worker_check", "building_head_spot_check"]
# The functions a compound may need (the registry's functions but 综合群, which is blurred by
# definition and is told apart by ``mixed_covers``).
NeededFunction = Literal["notice", "service", "mutual_aid", "deliberation"]


METHOD_LABELS = {
    "online_site_check": _("online questionnaire + on-site check (线上问卷+实地核查)"),
    "grid_worker_check": _("grid worker fills in + community check (网格员填报+社区核查)"),
    "building_head_spot_check": _(
        "building head fills in + community spot check (楼栋长代为填报+社区抽查)"
    ),
}


def _method_labels():
    return METHOD_LABELS


def _function_labels():
    from gridgov.groups.models import Group
    from gridgov.org.models import Compound

    return {**dict(Group.Function.choices), **dict(Compound.Kind.choices)}


class CollectionPolicy(PolicySchema):
    large_from_households: int = Field(
        500, ge=1, le=100000, description="a compound with at least these households is large"
    )
    small_up_to_households: int = Field(
        100, ge=0, le=100000, description="a compound with at most these households is small"
    )
    large_method: Method = Field(
        "online_site_check", description="large compounds: 线上问卷+实地核查"
    )
    medium_method: Method = Field(
        "grid_worker_check",
        description="compounds between small and large (the plan names none): 网格员填报+社区核查",
    )
    small_method: Method = Field(
        "building_head_spot_check", description="small compounds: 楼栋长代为填报+社区抽查"
    )
    aged_share_above: float = Field(
        30,
        ge=0,
        le=100,
        description="a compound whose residents aged 60+ are strictly more than this share (%) "
        "is collected door to door with help (专人上门协助)",
    )
    min_households_on_file: float = Field(
        50,
        ge=0,
        le=100,
        description="households on file (%) of the compound's households below which its 60+ "
        "share is unknown rather than guessed",
    )
    min_groups_per_worker: int = Field(
        3, ge=0, le=50, description="a grid worker responsible for fewer groups is flagged"
    )
    max_groups_per_worker: int = Field(
        5, ge=1, le=50, description="a grid worker responsible for more groups is flagged"
    )

    @model_validator(mode="after")
    def _ordered(self):
        if self.small_up_to_households >= self.large_from_households:
            raise ValueError("small_up_to_households must be below large_from_households")
        if self.min_groups_per_worker > self.max_groups_per_worker:
            raise ValueError("min_groups_per_worker must not exceed max_groups_per_worker")
        return self


register_policy(
    PolicyDefinition(
        "groups.collection",
        CollectionPolicy,
        _("Chat groups: collection by compound size"),
        _(
            "How each compound's chat groups are collected: 500 households or more 线上问卷+"
            "实地核查, 100 or fewer 楼栋长代为填报+社区抽查, between them 网格员填报+社区核查; "
            "a compound with more than 30 % of its residents aged 60+ is collected door to "
            "door with help; each grid worker is responsible for 3 to 5 groups."
        ),
        "policy.change_system",
        value_labels=_method_labels,
    )
)


class FunctionNeeds(PolicySchema):
    commercial: list[NeededFunction] = Field(["notice", "service"], description="商品房小区")
    old: list[NeededFunction] = Field(
        ["notice", "service", "mutual_aid"],
        description="老旧小区 (the plan's 线下服务预约群 is a service group)",
    )
    work_unit: list[NeededFunction] = Field(["notice", "service"], description="单位宿舍")
    subsidised: list[NeededFunction] = Field(
        ["notice", "service", "mutual_aid"], description="保障性住房"
    )
    rural: list[NeededFunction] = Field(["notice", "mutual_aid"], description="农村社区")


class FunctionMatchPolicy(PolicySchema):
    needs: FunctionNeeds = FunctionNeeds()
    mixed_covers: list[NeededFunction] = Field(
        [],
        description="the functions a 综合群 counts for (none by default: the plan places it "
        "in 功能重构群, to be split)",
    )


register_policy(
    PolicyDefinition(
        "groups.function_match",
        FunctionMatchPolicy,
        _("Chat groups: the functions each kind of compound needs"),
        _(
            "The group functions a compound needs by its kind (every compound a 通知群; "
            "商品房小区 and 单位宿舍 also a 服务群; 老旧小区 and 保障性住房 a 服务群 and a 互助群; "
            "rural communities a 互助群) and what a 综合群 counts for (nothing by default). "
            "A compound's needs are met when its registered, active groups cover them all "
            "(群功能与需求匹配度)."
        ),
        "policy.change_system",
        value_labels=_function_labels,
    )
)


def collection_policy() -> CollectionPolicy:
    from gridgov.core.policies import policy_get

    return policy_get("groups.collection")


def function_match_policy() -> FunctionMatchPolicy:
    from gridgov.core.policies import policy_get

    return policy_get("groups.function_match")
