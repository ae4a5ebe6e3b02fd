"""The policy of the "网格+X" service models (S004 §1.2.3, §3.3, §4.3; docs/operations-app.md):
the kinds of model a deployment names, and the share of grids that should offer a signature
service 特色服务 (「到2026年…特色网格服务占比达到50%」)."""

from django.utils.translation import gettext_lazy as _
from pydantic import Field, field_validator

from gridgov.core.policies import (
    NamedEntry,
    PolicyDefinition,
    PolicySchema,
    register_policy,
    short_codes,
)


class ModelKind(NamedEntry):
    """A kind of 网格+X model: its names only."""


def _default_kinds() -> dict[str, ModelKind]:
    k = ModelKind
    return {
        "property": k(name="网格+物业", name_en="grid + property management"),
        "elderly": k(name="网格+养老", name_en="grid + elderly care"),
        "childcare": k(name="网格+托管", name_en="grid + after-school care"),
        "policing": k(name="网格+警务", name_en="grid + community policing"),
        "cooperative": k(name="网格+合作社", name_en="grid + cooperative"),
        "enterprise": k(name="网格+企业服务", name_en="grid + enterprise services"),
        "new_citizen": k(name="网格+新市民", name_en="grid + new-citizen services"),
        "commerce": k(name="网格+商业", name_en="grid + commerce"),
    }


class ServiceModelsPolicy(PolicySchema):
    model_kinds: dict[str, ModelKind] = Field(
        default_factory=_default_kinds, description="code → the name of a 网格+X model"
    )
    featured_target: float = Field(
        0.5, ge=0, le=1, description="share of grids with a signature service"
    )

    @field_validator("model_kinds")
    @classmethod
    def _codes(cls, value):
        if not value:
            raise ValueError("at least one kind")
        return short_codes(value, "kind")


def _kind_labels() -> dict:
    from gridgov.core.policies import policy_get

    return {code: k.name for code, k in policy_get("operations.service_models").model_kinds.items()}


register_policy(
    PolicyDefinition(
        "operations.service_models",
        ServiceModelsPolicy,
        _("Grid service models: the kinds of 网格+X, the signature-service target"),
        _(
            "The kinds of 网格+X service model a deployment names (property, elderly care, "
            "after-school care …) and the share of grids that should offer a signature "
            "service (特色服务)."
        ),
        "policy.change_system",
        value_labels=_kind_labels,
    )
)


def service_models_policy() -> ServiceModelsPolicy:
    from gridgov.core.policies import policy_get

    return policy_get("operations.service_models")
