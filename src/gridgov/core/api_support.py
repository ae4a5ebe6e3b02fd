"""Helpers shared by the apps' API routers."""

from __future__ import annotations

from functools import wraps

from ninja import Schema

from gridgov.core.errors import PermissionDenied
from gridgov.core.permissions import SIGNED_IN

MAX_PAGE_SIZE = 200


def api_requires(permission: str):
    """Declares and checks the permission of an API operation (see core.permissions)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if permission != SIGNED_IN and not request.user.has_permission(permission):
                raise PermissionDenied()
            return func(request, *args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


class ErrorOut(Schema):
    code: str
    message: str
    details: object | None = None


def page_slice(qs, offset: int, limit: int):
    """A page of a queryset; the page size is clamped (SECURITY.md C7)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    return qs[offset : offset + limit], limit, offset
