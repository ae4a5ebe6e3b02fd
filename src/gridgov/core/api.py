from datetime import datetime
from typing import Any

from ninja import Schema, Status

from gridgov.core import notifications
from gridgov.core.api_support import Limit, Offset, PermissionRouter, api_requires, line, page_slice
from gridgov.core.errors import NotFound
from gridgov.core.permissions import SIGNED_IN
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
    note: line(500)


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


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    subject_type: str
    subject_id: str
    link: str
    created_at: datetime
    read: bool

    @staticmethod
    def resolve_read(obj):
        return obj.read_at is not None


@router.get("/notifications", response=list[NotificationOut], tags=["notifications"])
@api_requires(SIGNED_IN)
def notification_list(request, unread: bool = False, offset: Offset = 0, limit: Limit = 50):
    notices = notifications.notification_list(user=request.user, unread_only=unread)
    items, _, _ = page_slice(notices, offset, limit)
    return list(items)


@router.post("/notifications/{notification_id}/read", response={204: None}, tags=["notifications"])
@api_requires(SIGNED_IN)
def notification_read(request, notification_id: int):
    notifications.notifications_mark_read(user=request.user, notification_id=notification_id)
    return Status(204, None)
