"""Helpers shared by the apps' API routers."""

from __future__ import annotations

from functools import wraps

from ninja import Router, Schema
from ninja.security import HttpBearer, SessionAuth

from gridgov.core.crypto import sm3_hex
from gridgov.core.permissions import SIGNED_IN, permission_refused, require_admin_network
from gridgov.core.policies import policy_get
from gridgov.core.ports import bearer_user
from gridgov.core.ratelimit import rate_limit

MAX_PAGE_SIZE = 200


def api_requires(permission: str):
    """Declares and checks the permission of an API operation (see core.permissions)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if permission != SIGNED_IN and not request.user.has_permission(permission):
                raise permission_refused(request, request.user, permission)
            require_admin_network(request, permission)
            return func(request, *args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def _check(request, user, permission: str):
    if permission != SIGNED_IN and not user.has_permission(permission):
        raise permission_refused(request, user, permission)
    require_admin_network(request, permission)
    return user


def _throttle(user, token: str | None = None) -> None:
    """Per-account and per-token request limits (policy ``accounts.rate_limits``): every
    authenticated API request counts, whatever it asks for (SECURITY.md G5)."""
    limits = policy_get("accounts.rate_limits")
    rate_limit(f"api:user:{user.pk}", limit=limits.api_per_user_per_minute, window_seconds=60)
    if token is not None:
        rate_limit(
            f"api:token:{sm3_hex(token.encode())[:32]}",
            limit=limits.api_per_token_per_minute,
            window_seconds=60,
        )


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gg_…`` personal tokens, scoped exactly like their user (the
    admin roles hold no tokens; Open311 keys are not bearer tokens)."""

    def __init__(self, permission: str = SIGNED_IN):
        super().__init__()
        self.permission = permission

    def authenticate(self, request, token):
        user = bearer_user(token)
        if user is None:
            return None
        request.user = user
        _throttle(user, token)
        return _check(request, user, self.permission)


class PermittedSessionAuth(SessionAuth):
    """The signed-in session (with the CSRF header for writes)."""

    def __init__(self, permission: str = SIGNED_IN):
        super().__init__(csrf=True)
        self.permission = permission

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None:
            return None
        _throttle(user)
        return _check(request, user, self.permission)


def permission_auth(permission: str) -> list:
    return [TokenAuth(permission), PermittedSessionAuth(permission)]


class PermissionRouter(Router):
    """Authentication and the declared permission are checked before the request body is
    parsed, so a user without the permission gets 403 whatever they send."""

    def add_api_operation(self, path, methods, view_func, **kwargs):
        permission = getattr(view_func, "required_permission", None)
        if permission is not None:
            kwargs["auth"] = permission_auth(permission)
        return super().add_api_operation(path, methods, view_func, **kwargs)


class ErrorOut(Schema):
    code: str
    message: str
    details: object | None = None


def page_slice(qs, offset: int, limit: int):
    """A page of a queryset; the page size is clamped (SECURITY.md C7)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    return qs[offset : offset + limit], limit, offset
