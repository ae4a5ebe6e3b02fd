from __future__ import annotations

import uuid

from gridgov.core.request_context import (
    RequestContext,
    client_ip,
    reset_request_context,
    set_request_context,
)


class RequestContextMiddleware:
    """Gives every request an id and a trusted client IP, for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        request.client_ip = client_ip(request)
        token = set_request_context(RequestContext(request.request_id, request.client_ip))
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = request.request_id
        return response


class NoStoreMiddleware:
    """Pages and API answers for signed-in users may hold personal data: never cache them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


class GridGovErrorMiddleware:
    """Turns a ``GridGovError`` raised by a page into its error page (API errors are
    rendered by the API layer as JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from gridgov.core.errors import GridGovError
        from gridgov.core.views import render_error

        if isinstance(exception, GridGovError) and not request.path.startswith("/api/"):
            return render_error(request, exception)
        return None
