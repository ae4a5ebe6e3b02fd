"""The rule engine of the four classes 「四类小区群」 over one month's snapshot.

The rules are tried in the order of the policy ``groups.classes``: 功能重构群 (a blurred
function), 问题整改群 (activity below the threshold with false information or missing
services), 高效能群 (activity, response and satisfaction all past their thresholds); a
group meeting none of them is 潜力提升群. A measure not had never satisfies a threshold.
The result names the rule that placed the group and the policy version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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


# The rule as people read it ---------------------------------------------------------------
# The stored rule is the engine's own record (kept as written, whatever the language); the
# pages show it in the reader's language.

_STORED = re.compile(r"^groups\.(classes|scoring)(?: v(\d+))?: (.*)$")
_RECTIFY = re.compile(r"^rectify: activity ([\d.]+) < ([\d.]+); (.+)$")
_HIGH = re.compile(
    r"^high: activity ([\d.]+) > ([\d.]+), response ([\d.]+) h < ([\d.]+) h, "
    r"satisfaction ([\d.]+) > ([\d.]+)$"
)
_LOW = re.compile(r"^score < ([\d.]+) for (\d+) months \(this month ([\d.]+)\)$")


def _fault(name: str) -> str:
    return {
        "false information": _("false information"),
        "services missing": _("services missing"),
    }.get(name, name)


def rule_text(stored: str) -> str:
    """The stored rule of a class or a low-score case in the reader's language, with the
    policy version; an unknown form is shown as stored."""
    from gridgov.groups.models import Group

    found = _STORED.match(stored or "")
    if found is None:
        return stored or ""
    policy, version, rest = found.groups()
    if policy == "scoring":
        low = _LOW.match(rest)
        if low is None:
            return stored
        return _(
            "score %(score)s below %(limit)s for %(months)s months running (scoring policy)"
        ) % {"score": low[3], "limit": low[1], "months": low[2]}
    head = _("class rules v%(version)s") % {"version": version}
    if rest.startswith("restructure: "):
        why = rest.removeprefix("restructure: ")
        if why == "function blurred":
            text = _("functions mixed in the month's report")
        else:
            code = why.removeprefix("function ")
            label = dict(Group.Function.choices).get(code, code)
            text = _("its function is %(function)s") % {"function": label}
        return f"{head}: {_('to be restructured (功能重构群)')} — {text}"
    if (rectify := _RECTIFY.match(rest)) is not None:
        separator = pgettext("list separator", ", ")
        faults = separator.join(_fault(f.strip()) for f in rectify[3].split(","))
        text = _("activity %(value)s%% below %(limit)s%%, with %(faults)s") % {
            "value": rectify[1],
            "limit": rectify[2],
            "faults": faults,
        }
        return f"{head}: {_('to be rectified (问题整改群)')} — {text}"
    if (high := _HIGH.match(rest)) is not None:
        text = _(
            "activity %(a)s%% above %(a_limit)s%%, first reply %(r)s h within %(r_limit)s h, "
            "satisfaction %(s)s%% above %(s_limit)s%%"
        ) % {
            "a": high[1],
            "a_limit": high[2],
            "r": high[3],
            "r_limit": high[4],
            "s": high[5],
            "s_limit": high[6],
        }
        return f"{head}: {_('high-performing (高效能群)')} — {text}"
    if rest.startswith("potential: "):
        text = _("none of the rules of the other classes holds")
        return f"{head}: {_('with potential (潜力提升群)')} — {text}"
    return stored
