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


def field_error_lines(details, model=None) -> list[str]:
    """Each field's reasons as lines, the field named by its label (the model's verbose
    name), never by its key; a form-wide reason or a key with no label stands alone."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.translation import gettext

    def line(key: str, message) -> str:
        field = None
        # Encrypted fields are labelled on their masked copy (id_number → id_number_masked).
        for name in (key, f"{key}_masked"):
            try:
                field = model._meta.get_field(name)
                break
            except (AttributeError, FieldDoesNotExist):
                continue
        if field is None:
            return str(message)
        return gettext("%(field)s: %(reason)s") % {"field": field.verbose_name, "reason": message}

    details = details if isinstance(details, dict) else {}
    return [line(k, m) for k, msgs in details.items() if isinstance(msgs, list) for m in msgs]


def error_text(exc: GridGovError, model=None) -> str:
    """The error as one line for a page message: its message and each field's reasons."""
    return f"{exc.message} {'; '.join(field_error_lines(exc.details, model))}".strip()
