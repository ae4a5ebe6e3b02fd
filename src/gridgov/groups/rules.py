"""The rule engine of the four classes 「四类小区群」 over one month's snapshot.

The rules are tried in the order of the policy ``groups.classes``: 功能重构群 (a blurred
function), 问题整改群 (activity below the threshold with false information or missing
services), 高效能群 (activity, response and satisfaction all past their thresholds); a
group meeting none of them is 潜力提升群. A measure not had never satisfies a threshold.
The result names the rule that placed the group and the policy version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridgov.core.policies import policy_in_force

HIGH = "high"
POTENTIAL = "potential"
RECTIFY = "rectify"
RESTRUCTURE = "restructure"


@dataclass(frozen=True)
class Placement:
    klass: str
    rule: str  # e.g. "groups.classes v1: rectify: activity 42 < 50; false information"
    policy_version: int


def _pct(value: float) -> str:
    return f"{value:g}"


def classify(*, function: str, values: dict[str, Any], rules=None, version: int | None = None):
    """The class of a group of ``function`` whose month measured ``values`` (the snapshot's
    fields); ``rules``/``version`` default to the policy in force."""
    if rules is None:
        in_force = policy_in_force("groups.classes")
        rules, version = in_force.value, in_force.version
    prefix = f"groups.classes v{version}"
    activity = values.get("activity_pct")
    response = values.get("response_hours")
    satisfaction = values.get("satisfaction_pct")
    if values.get("mixed_function") or function in rules.restructure_functions:
        why = "function blurred" if values.get("mixed_function") else f"function {function}"
        return Placement(RESTRUCTURE, f"{prefix}: restructure: {why}", version)
    faults = [
        name
        for key, name in (
            ("false_information", "false information"),
            ("service_missing", "services missing"),
        )
        if values.get(key)
    ]
    if activity is not None and activity < rules.rectify_activity_below and faults:
        return Placement(
            RECTIFY,
            f"{prefix}: rectify: activity {_pct(activity)} < "
            f"{_pct(rules.rectify_activity_below)}; {', '.join(faults)}",
            version,
        )
    if (
        activity is not None
        and response is not None
        and satisfaction is not None
        and activity > rules.high_activity_above
        and response < rules.high_response_below_hours
        and satisfaction > rules.high_satisfaction_above
    ):
        return Placement(
            HIGH,
            f"{prefix}: high: activity {_pct(activity)} > {_pct(rules.high_activity_above)}, "
            f"response {_pct(response)} h < {_pct(rules.high_response_below_hours)} h, "
            f"satisfaction {_pct(satisfaction)} > {_pct(rules.high_satisfaction_above)}",
            version,
        )
    return Placement(POTENTIAL, f"{prefix}: potential: none of restructure, rectify, high", version)
