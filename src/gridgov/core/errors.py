"""One error type for the whole platform; the API and the web UI render it the same way.

Every error has a stable ``code`` (for programs), a translated ``message`` (for people,
in the request's language) and optional ``details`` (e.g. field → message, or the
line numbers of rejected import rows).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class GridGovError(Exception):
    code = "error"
    status = 400
    default_message: str | Promise = _("The request could not be processed.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details
        super().__init__(str(self.message))

    def as_body(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class ValidationFailed(GridGovError):
    code = "validation_failed"
    status = 422
    default_message = _("Some fields are not valid.")


class NotFound(GridGovError):
    """Also used for objects outside the actor's scope: missing and forbidden look alike."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(GridGovError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotAuthenticated(GridGovError):
    code = "not_authenticated"
    status = 401
    default_message = _("Please log in.")


class Conflict(GridGovError):
    code = "conflict"
    status = 409
    default_message = _("The object was changed by someone else; reload and try again.")


class ImportRejected(GridGovError):
    code = "import_rejected"
    status = 422
    default_message = _("The file was not imported; see the listed rows.")


class TooManyRequests(GridGovError):
    """Over a rate limit or paused by mass-access detection; ``retry_after`` in seconds
    becomes the ``Retry-After`` header."""

    code = "too_many_requests"
    status = 429
    default_message = _("Too many requests; try again later.")

    def __init__(self, message=None, *, retry_after: int, code: str | None = None, details=None):
        super().__init__(message, code=code, details=details)
        self.retry_after = max(1, int(retry_after))


def error_text(exc: GridGovError) -> str:
    """The error as one line for a page message: its message and each field's reasons."""
    details = exc.details if isinstance(exc.details, dict) else {}
    detail = "; ".join(
        f"{k}: {m}" for k, msgs in details.items() if isinstance(msgs, list) for m in msgs
    )
    return f"{exc.message} {detail}".strip()
