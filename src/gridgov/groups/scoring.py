"""The monthly score 「双周期四维度」 of one snapshot (docs/groups.md, *Monthly score*).

- 数据: the share of the 12 scored indicators measured this month × 100;
- 服务: the mean of the measured among the first-reply time (100 within the target hours,
  0 after the worst, linear between), the residents' satisfaction (%) and services not
  missing (100, or 0 when missing);
- 安全: the mean of the measured among no false information (100, or 0), 100 less the
  penalty per leak incident, 100 less the penalty per complaint (never below 0);
- 发展: the activity (% of members who posted in 30 days: the residents' participation).

A dimension with nothing measured is NULL ("not measured") and leaves the weighted mean;
the total is 0–100, the stars 1 + the number of star bands reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DIMENSIONS = ("data", "service", "security", "development")


@dataclass(frozen=True)
class Result:
    data: float | None
    service: float | None
    security: float | None
    development: float | None
    total: float
    stars: int


def measured_indicators(group, values: dict[str, Any]) -> int:
    """How many of the 12 scored indicators have a value this month."""
    checks = [
        group.created_on is not None,
        group.community_id is not None,
        bool(group.function),
        values.get("activity_pct") is not None,
        values.get("members_total") is not None,
        all(values.get(k) is not None for k in ("age_0_18", "age_19_60", "age_60_plus")),
        all(
            values.get(k) is not None
            for k in (
                "occupation_students",
                "occupation_employed",
                "occupation_retired",
                "occupation_other",
            )
        ),
        all(
            values.get(k) is not None
            for k in ("special_elderly_alone", "special_pregnant", "special_chronic")
        ),
        values.get("admin_contact") is not None,
        values.get("publish_hours") is not None,
        values.get("response_hours") is not None,
        values.get("allocation_hours") is not None,
    ]
    return sum(checks)


def _mean(parts: list[float]) -> float | None:
    return round(math.fsum(parts) / len(parts), 2) if parts else None


def score(group, values: dict[str, Any], policy) -> Result:
    data = round(measured_indicators(group, values) / 12 * 100, 2)
    service_parts = []
    response = values.get("response_hours")
    if response is not None:
        best, worst = policy.response_target_hours, policy.response_worst_hours
        if response <= best:
            service_parts.append(100.0)
        elif response >= worst:
            service_parts.append(0.0)
        else:
            service_parts.append(100 * (worst - response) / (worst - best))
    if values.get("satisfaction_pct") is not None:
        service_parts.append(float(values["satisfaction_pct"]))
    if values.get("service_missing") is not None:
        service_parts.append(0.0 if values["service_missing"] else 100.0)
    security_parts = []
    if values.get("false_information") is not None:
        security_parts.append(0.0 if values["false_information"] else 100.0)
    if values.get("leak_incidents") is not None:
        security_parts.append(max(0.0, 100 - policy.leak_penalty * values["leak_incidents"]))
    if values.get("complaints") is not None:
        security_parts.append(max(0.0, 100 - policy.complaint_penalty * values["complaints"]))
    activity = values.get("activity_pct")
    dims = {
        "data": data,
        "service": _mean(service_parts),
        "security": _mean(security_parts),
        "development": round(float(activity), 2) if activity is not None else None,
    }
    weights = policy.weights.model_dump()
    counted = [(weights[d], v) for d, v in dims.items() if v is not None and weights[d] > 0]
    weight = sum(w for w, _ in counted)
    total = round(sum(w * v for w, v in counted) / weight, 2) if weight else 0.0
    stars = 1 + sum(1 for band in policy.score_star_bands if total >= band)
    return Result(total=total, stars=min(stars, 5), **dims)
