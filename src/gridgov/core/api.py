from typing import Any

from ninja import Schema

from gridgov.core.api_support import PermissionRouter, api_requires
from gridgov.core.errors import NotFound
from gridgov.core.policies import REGISTRY, policy_in_force
from gridgov.core.services import policy_update

router = PermissionRouter(tags=["policies"])


class PolicyOut(Schema):
    key: str
    title: str
    description: str
    version: int
    value: dict[str, Any]
    change_permission: str


class PolicyIn(Schema):
    value: dict[str, Any]
    note: str


def _out(key: str) -> PolicyOut:
    definition = REGISTRY[key]
    in_force = policy_in_force(key)
    return PolicyOut(
        key=key,
        title=str(definition.title),
        description=str(definition.description),
        version=in_force.version,
        value=in_force.value.model_dump(),
        change_permission=definition.change_permission,
    )


@router.get("/policies", response=list[PolicyOut])
@api_requires("policy.view")
def policy_list(request):
    return [_out(key) for key in REGISTRY]


@router.get("/policies/{key}", response=PolicyOut)
@api_requires("policy.view")
def policy_get(request, key: str):
    if key not in REGISTRY:
        raise NotFound()
    return _out(key)


@router.put("/policies/{key}", response=PolicyOut)
@api_requires("policy.view")
def policy_put(request, key: str, payload: PolicyIn):
    policy_update(actor=request.user, key=key, value=payload.value, note=payload.note)
    return _out(key)
