"""KPI targets and red/yellow/green thresholds: policy, overridable per level."""

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class Target(BaseModel):
    """Green at or beyond ``target``; yellow at or beyond ``yellow``; red otherwise
    ("beyond" is above for higher-is-better KPIs, below for the others)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    target: float
    yellow: float


def default_targets() -> dict[str, Target]:
    return {
        "events.on_time_handling": Target(target=95, yellow=85),
        "events.closure_rate": Target(target=95, yellow=85),
        "events.on_time_closure": Target(target=95, yellow=85),
        "events.rework_rate": Target(target=5, yellow=10),
        "events.extension_rate": Target(target=5, yellow=10),
        "events.avg_accept_minutes": Target(target=30, yellow=60),
        "events.avg_handle_hours": Target(target=48, yellow=72),
        "events.feedback_rate": Target(target=100, yellow=95),
        "events.satisfaction": Target(target=90, yellow=80),
        "events.discovery_rate": Target(target=60, yellow=40),
        "events.missed_rate": Target(target=20, yellow=35),
        "events.valid_report_rate": Target(target=90, yellow=80),
        "events.on_time_acceptance": Target(target=95, yellow=85),
        "events.on_time_check": Target(target=95, yellow=85),
        "events.repeat_rate": Target(target=5, yellow=10),
        "people.coverage": Target(target=95, yellow=90),
        "people.completeness": Target(target=98, yellow=95),
        "people.freshness": Target(target=95, yellow=90),
        "people.special_files": Target(target=100, yellow=95),
        "visits.coverage": Target(target=100, yellow=90),
        "visits.review_rate": Target(target=100, yellow=95),
        "visits.spot_check_rate": Target(target=5, yellow=4),
        "visits.accuracy": Target(target=98, yellow=95),
        # A warning above 30 %: red (alerted to the community and its street) past it.
        "visits.refusal_rate": Target(target=30, yellow=30),
        "visits.staleness": Target(target=5, yellow=10),
        "visits.on_time": Target(target=95, yellow=85),
        # The plans' staffing ratio for cities: one full-time grid worker per 500 residents.
        "people.staffing": Target(target=500, yellow=600),
        # The three lists (plans-wave2 §1.7, §6.1): the seeds' targets where they give one
        # (satisfaction 90 %, pilot 85 %; service–need match 85 %; identification 95 %,
        # S002 85 %; idle space used 70 %), policy defaults otherwise.
        "lists.fulfilment_rate": Target(target=80, yellow=70),
        "lists.match_rate": Target(target=90, yellow=80),
        "lists.avg_response_days": Target(target=7, yellow=10),
        "lists.on_time_accept": Target(target=95, yellow=85),
        "lists.satisfaction": Target(target=90, yellow=85),
        "lists.effectiveness": Target(target=85, yellow=75),
        "lists.service_match": Target(target=85, yellow=75),
        "lists.resource_utilisation": Target(target=70, yellow=50),
        "lists.identification_accuracy": Target(target=95, yellow=85),
        # Volunteers (plans-wave2 §3, §6.3): 20 % of residents, 3 per full-time grid worker.
        "volunteers.registration_rate": Target(target=20, yellow=15),
        "volunteers.per_worker": Target(target=3, yellow=2),
        "volunteers.retention": Target(target=80, yellow=70),
        # Chat groups: 「四有」 ≥ 90 %, 数据鲜活度 ≥ 95 % (S000 §2.2.2, §7.1).
        "groups.four_haves": Target(target=90, yellow=80),
        "groups.freshness": Target(target=95, yellow=90),
        "groups.monthly_update": Target(target=95, yellow=90),
        # 「社区季度复核」 of every group (S000 §7.1): all of them; few discrepancies.
        "groups.crosscheck_rate": Target(target=100, yellow=90),
        "groups.crosscheck_discrepancy": Target(target=5, yellow=10),
        "groups.rectification_on_time": Target(target=100, yellow=90),
        "groups.average_score": Target(target=80, yellow=70),
        # 群功能与需求匹配度 95 % (S000 §2.2.3).
        "groups.function_match": Target(target=95, yellow=85),
        "participation.adoption_rate": Target(target=75, yellow=60),
        "participation.report_back": Target(target=100, yellow=90),
        "participation.topics": Target(target=2, yellow=1),
        "participation.decision_participation": Target(target=80, yellow=60),
        "participation.decision_residents": Target(target=50, yellow=30),
        "participation.per_resident": Target(target=3, yellow=2),
        "participation.youth_rate": Target(target=40, yellow=30),
        # Surveys (plans-wave2 §3.6): satisfaction ≥ 90 %, awareness 85 % (E 41 %), trust ≥ 80
        # (E 62); the response rate has no target in the plans (E 45 %): ours is 60 %.
        "participation.survey_response_rate": Target(target=60, yellow=45),
        "participation.survey_satisfaction": Target(target=90, yellow=85),
        "participation.awareness": Target(target=85, yellow=60),
        "participation.trust": Target(target=80, yellow=70),
    }


def _composites() -> dict[str, dict[str, float]]:
    return {
        "worker": {
            "events.on_time_handling": 0.3,
            "events.rework_rate": 0.2,
            "events.valid_report_rate": 0.2,
            "events.on_time_check": 0.15,
            "events.avg_handle_hours": 0.15,
        },
        "department": {
            "events.on_time_handling": 0.4,
            "events.rework_rate": 0.2,
            "events.extension_rate": 0.2,
            "events.avg_handle_hours": 0.2,
        },
    }


class CompositePolicy(PolicySchema):
    # Who is scored (worker, department) → KPI code → weight.
    weights: dict[str, dict[str, float]] = Field(default_factory=_composites)
    # Lowest score of each grade; below the last one is E.
    grades: dict[str, float] = Field(default_factory=lambda: {"A": 90, "B": 75, "C": 60, "D": 40})


class KpiTargetPolicy(PolicySchema):
    targets: dict[str, Target] = Field(default_factory=default_targets)
    # level → KPI code → target, e.g. {"grid": {"events.discovery_rate": {...}}}
    level_overrides: dict[str, dict[str, Target]] = Field(default_factory=dict)
    alert_min_count: int = Field(
        5, ge=1, le=10_000, description="rows a reading needs before red raises an alert"
    )


class ReportPolicy(PolicySchema):
    retention_days: int = Field(3 * 365, ge=30, le=30 * 365, description="days reports are kept")


register_policy(
    PolicyDefinition(
        "kpis.reports",
        ReportPolicy,
        _("KPI reports"),
        _("How long generated monthly reports are kept in the download centre."),
        "policy.change_system",
    )
)


def _kpi_labels() -> dict[str, str]:
    """KPI codes, who is scored and org levels by their names (the policy pages)."""
    from gridgov.kpis.registry import REGISTRY
    from gridgov.org.models import OrgUnit

    labels = {code: str(kpi.name) for code, kpi in REGISTRY.items()}
    labels |= {str(code): str(label) for code, label in OrgUnit.Level.choices}
    return labels | {"worker": str(_("grid workers")), "department": str(_("departments"))}


register_policy(
    PolicyDefinition(
        "kpis.composite",
        CompositePolicy,
        _("Composite scores"),
        _("KPI weights of the composite score of grid workers and departments; A–E grades."),
        "policy.change_system",
        value_labels=_kpi_labels,
    )
)
register_policy(
    PolicyDefinition(
        "kpis.targets",
        KpiTargetPolicy,
        _("KPI targets"),
        _("Target and yellow threshold of every KPI, with overrides per level."),
        "policy.change_system",
        value_labels=_kpi_labels,
    )
)
