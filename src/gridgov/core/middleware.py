from __future__ import annotations

import uuid

from gridgov.core.policies import policies_cached
from gridgov.core.request_context import (
    RequestContext,
    client_ip,
    from_trusted_proxy,
    reset_request_context,
    set_request_context,
)


class ProxyHeadersMiddleware:
    """X-Forwarded-Proto counts only when one of our proxies set it: from anyone else it is
    dropped, so a client cannot claim HTTPS (and skip the redirect, or get secure-only
    treatment) over plain HTTP. X-Forwarded-For is judged the same way in ``client_ip``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not from_trusted_proxy(request):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


class RequestContextMiddleware:
    """Gives every request an id and a trusted client IP, for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        request.client_ip = client_ip(request)
        token = set_request_context(RequestContext(request.request_id, request.client_ip))
        try:
            # One read of each policy per request: consistent values, fewer queries.
            with policies_cached():
                response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = request.request_id
        return response


class NoStoreMiddleware:
    """No answer of the application is stored by a browser or proxy: signed-in pages hold
    personal data, and public ones (a reporter's tracking page, the forms with their CSRF
    token) are per person too. Static files are answered before this (WhiteNoise) and keep
    their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
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
