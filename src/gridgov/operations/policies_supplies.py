"""The policy of emergency supplies 应急物资 (S002 §3.2.3, §6.4, §7.3; docs/operations-app.md):
the supply categories with their unit, norm per 100 residents per day, shelf life and check
interval; the 3-day rule; near-expiry warnings; the dispatch target."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator

from gridgov.core.policies import (
    NamedEntry,
    PolicyDefinition,
    PolicySchema,
    register_policy,
    short_codes,
)


class SupplyCategory(NamedEntry):
    unit: str = Field(min_length=1, max_length=10, description="unit counted (件, 瓶, 袋 …)")
    norm_per_100: float = Field(
        gt=0, le=10_000, description="units needed per 100 residents per day"
    )
    shelf_life_days: int = Field(ge=1, le=36_500, description="shelf life in days")
    check_interval_days: int = Field(30, ge=1, le=366, description="days between checks")


def _default_categories() -> dict[str, SupplyCategory]:
    c = SupplyCategory
    return {
        "first_aid": c(
            name="急救包", name_en="first-aid kits", unit="个", norm_per_100=1, shelf_life_days=730
        ),
        "extinguisher": c(
            name="灭火器",
            name_en="fire extinguishers",
            unit="具",
            norm_per_100=0.5,
            shelf_life_days=1825,
        ),
        "sandbag": c(
            name="防汛沙袋",
            name_en="flood sandbags",
            unit="袋",
            norm_per_100=10,
            shelf_life_days=1095,
        ),
        "lighting": c(
            name="应急照明",
            name_en="emergency lighting",
            unit="套",
            norm_per_100=1,
            shelf_life_days=1095,
        ),
        "water": c(
            name="饮用水",
            name_en="drinking water",
            unit="升",
            norm_per_100=300,
            shelf_life_days=365,
        ),
        "food": c(name="食品", name_en="food", unit="份", norm_per_100=300, shelf_life_days=365),
        "tent": c(name="帐篷", name_en="tents", unit="顶", norm_per_100=1, shelf_life_days=1825),
        "warmth": c(
            name="保暖",
            name_en="blankets and warm clothing",
            unit="件",
            norm_per_100=10,
            shelf_life_days=1825,
        ),
        "protective": c(
            name="防护用品",
            name_en="protective equipment",
            unit="套",
            norm_per_100=10,
            shelf_life_days=730,
        ),
        "generator": c(
            name="发电设备",
            name_en="generators",
            unit="台",
            norm_per_100=0.1,
            shelf_life_days=3650,
            check_interval_days=30,
        ),
    }


class SuppliesPolicy(PolicySchema):
    categories: dict[str, SupplyCategory] = Field(
        default_factory=_default_categories,
        description="code → name, unit, norm per 100 residents per day, shelf life, check days",
    )
    categories_min: int = Field(10, ge=1, le=100, description="categories a community needs")
    coverage_days_min: float = Field(3, gt=0, le=365, description="days each must cover")
    near_expiry_days: list[int] = Field(
        default_factory=lambda: [90, 30], description="warning lead times in days"
    )
    dispatch_minutes_max: int = Field(30, ge=1, le=1440, description="dispatch target")

    @field_validator("categories")
    @classmethod
    def _codes(cls, value):
        return short_codes(value, "category")

    @field_validator("near_expiry_days")
    @classmethod
    def _lead_times(cls, value):
        if not value or any(d < 1 or d > 3650 for d in value):
            raise ValueError("lead times are 1–3650 days")
        return sorted(set(value), reverse=True)


def _category_labels() -> dict:
    from gridgov.core.policies import policy_get

    return {code: c.name for code, c in policy_get("operations.supplies").categories.items()}


register_policy(
    PolicyDefinition(
        "operations.supplies",
        SuppliesPolicy,
        _("Emergency supplies: categories, the 3-day rule, expiry warnings"),
        _(
            "Supply categories with unit, norm per 100 residents per day, shelf life and "
            "check interval; how many categories a community keeps and for how many days; "
            "near-expiry warning lead times; the dispatch target in minutes."
        ),
        "policy.change_system",
        value_labels=_category_labels,
    )
)


def supplies_policy() -> SuppliesPolicy:
    from gridgov.core.policies import policy_get

    return policy_get("operations.supplies")
