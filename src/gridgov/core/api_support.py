"""Helpers shared by the apps' API routers."""

from __future__ import annotations

import json
from functools import wraps
from typing import Annotated

from ninja import Router, Schema
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from gridgov.core.crypto import sm3_hex
from gridgov.core.permissions import (
    SIGNED_IN,
    holds,
    permission_refused,
    require_admin_network,
)
from gridgov.core.policies import policy_get
from gridgov.core.ports import bearer_user
from gridgov.core.ratelimit import rate_limit
from gridgov.core.text import TextInvalid, check_value, normalise_text

MAX_PAGE_SIZE = 200
# Far past any real list, and small enough for every database's OFFSET.
MAX_OFFSET = 10_000_000


# Text fields of API schemas and query parameters. Every ``str`` a client sends is one of
# these, so it passes the one normaliser (``core.text``): NFC, no control, bidi-override
# or surrogate characters, and an over-long value is a 422 naming the field, never cut.
def _text(max_length: int, multiline: bool = False):
    def check(value: str) -> str:
        try:
            return normalise_text(value, multiline=multiline, max_length=max_length)
        except TextInvalid as exc:
            # A custom error keeps our translated message as the field's message.
            raise PydanticCustomError("text_" + exc.rule, exc.message) from None

    return AfterValidator(check)


def line(max_length: int = 200):
    """One line of text (a name, a title, a code, a search) of at most ``max_length``
    characters after normalising; use the model field's length."""
    return Annotated[str, Field(max_length=100_000), _text(max_length)]


def lines(max_length: int = 4000):
    """Several lines (a description, a note): tabs and line breaks are kept."""
    return Annotated[str, Field(max_length=1_000_000), _text(max_length, multiline=True)]


def integer(minimum: int, maximum: int):
    """A whole number in range: a JSON ``1.5`` or ``"7"`` is a 422, not rounded or read."""
    return Annotated[int, Field(strict=True, ge=minimum, le=maximum)]


Line = line()
Version = integer(0, 2**31 - 1)
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Field(ge=1, le=1_000_000)]  # then clamped to MAX_PAGE_SIZE


class TextInvalidBody(ValueError):
    """A JSON body holding a character no stored text may hold (see ``core.text``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class TextCheckingParser(Parser):
    """JSON bodies: every string, keys included and however deep (``data`` of a resident,
    the value of a policy), is checked for the characters no stored text may hold, so an
    unpaired surrogate or a NUL is a 422 naming the field, not a database error."""

    def parse_body(self, request):
        data = json.loads(request.body)
        found = check_value(data)
        if found is not None:
            raise TextInvalidBody(*found)
        return data


def api_requires(permission: str):
    """Declares and checks the permission of an API operation (see core.permissions)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not holds(request.user, permission):
                raise permission_refused(request, request.user, permission)
            require_admin_network(request, permission)
            return func(request, *args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def _check(request, user, permission: str):
    if not holds(user, permission):
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


ERROR_STATUSES = {
    400: "The request cannot be read: a body that is not JSON, form data that cannot be "
    "parsed, or a path with a forbidden character.",
    401: "Not signed in, or the token is missing, unknown, expired or revoked.",
    403: "Signed in, but without the permission (or outside the allowed networks), or the "
    "password must be changed first.",
    404: "Not found, or outside your scope (the two look alike).",
    409: "The object changed meanwhile, or the action is not allowed in its current state.",
    413: "The request body is too large.",
    422: "A field is not valid; ``details`` names each field with its message.",
    429: "Too many requests; retry after ``Retry-After`` seconds.",
}


def document_errors(schema: dict) -> dict:
    """Add the error responses each operation can give to an OpenAPI document, once for
    the whole API (every error has the same body, ``ErrorOut``)."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["ErrorOut"] = ErrorOut.model_json_schema()
    responses = components.setdefault("responses", {})
    for status, description in ERROR_STATUSES.items():
        responses[f"Error{status}"] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            has_body = "requestBody" in operation
            statuses = {401, 403, 422, 429}
            if has_body or "{" in path:
                statuses.add(400)
            if params or has_body:
                statuses.add(404)
            if method in ("post", "put", "patch", "delete"):
                statuses.add(409)
            if has_body:
                statuses.add(413)
            documented = operation.setdefault("responses", {})
            for status in sorted(statuses):
                documented.setdefault(
                    str(status), {"$ref": f"#/components/responses/Error{status}"}
                )
    return schema


def page_slice(qs, offset: int, limit: int):
    """A page of a queryset; the page size is clamped (SECURITY.md C7)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    return qs[offset : offset + limit], limit, offset
