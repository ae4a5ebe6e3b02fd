"""The class rule engine on every boundary (80 %, 50 %, 2 h, 90 %) and the precedence
重构 → 整改 → 高效能 → 潜力 for the cases the plan leaves in no class or in two; with the
policy changed, the new thresholds and version apply."""

from __future__ import annotations

import pytest

from gridgov.groups import rules

GOOD = {"activity_pct": 85, "response_hours": 1, "satisfaction_pct": 95}


def _class(function="service", **values):
    return rules.classify(function=function, values=values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "klass"),
    [
        # activity 80 %: strictly above for 高效能
        ({**GOOD, "activity_pct": 80}, "potential"),
        ({**GOOD, "activity_pct": 80.01}, "high"),
        # response 2 h: strictly within for 高效能
        ({**GOOD, "response_hours": 2}, "potential"),
        ({**GOOD, "response_hours": 1.99}, "high"),
        # satisfaction 90 %: strictly above for 高效能
        ({**GOOD, "satisfaction_pct": 90}, "potential"),
        ({**GOOD, "satisfaction_pct": 90.01}, "high"),
        # activity 50 %: strictly below for 整改, with false information or missing services
        ({"activity_pct": 50, "false_information": True}, "potential"),
        ({"activity_pct": 49.99, "false_information": True}, "rectify"),
        ({"activity_pct": 49.99, "service_missing": True}, "rectify"),
        # below 50 % without a fault: no class in the plan → 潜力
        ({"activity_pct": 20}, "potential"),
        # above 80 % but slow or unsatisfying: no class in the plan → 潜力
        ({"activity_pct": 95, "response_hours": 5, "satisfaction_pct": 95}, "potential"),
        # not measured never meets a threshold
        ({"activity_pct": 95, "satisfaction_pct": 95}, "potential"),
        ({"false_information": True}, "potential"),
    ],
)
def test_boundaries(values, klass):
    assert _class(**values).klass == klass


@pytest.mark.django_db
def test_precedence_and_the_rule_named():
    both = _class(activity_pct=30, false_information=True, mixed_function=True)
    assert both.klass == "restructure" and "function blurred" in both.rule
    mixed_type = _class(function="mixed", **GOOD)
    assert mixed_type.klass == "restructure" and "function mixed" in mixed_type.rule
    rectify = _class(activity_pct=30, false_information=True, response_hours=1)
    assert rectify.klass == "rectify"
    assert rectify.rule == "groups.classes v0: rectify: activity 30 < 50; false information"
    high = _class(**GOOD)
    assert high.rule.startswith("groups.classes v0: high: activity 85 > 80")
    assert high.policy_version == 0


@pytest.mark.django_db
def test_thresholds_are_policy(make_user, org_tree):
    from gridgov.accounts.roles import Role
    from gridgov.core.services import policy_update

    admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    policy_update(actor=admin, key="groups.classes", value={"high_activity_above": 70}, note="试行")
    placed = _class(**{**GOOD, "activity_pct": 75})
    assert placed.klass == "high" and placed.rule.startswith("groups.classes v1: high")
