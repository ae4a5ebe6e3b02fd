from __future__ import annotations

import uuid

from gridgov.core.policies import policies_cached
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
            # One read of each policy per request: consistent values, fewer queries.
            with policies_cached():
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


ADMIN_PATH_PREFIXES = (
    "/accounts/users/",
    "/policies/",
    "/audit/",
    "/api/v1/policies",
    "/api/v1/audit-records",
    "/api/v1/users",
)


class AdminNetworkMiddleware:
    """Administration pages answer only to allow-listed networks (SECURITY.md C6).
    The client address is the one ``RequestContextMiddleware`` trusted, so a spoofed
    X-Forwarded-For header does not help."""

    def __init__(self, get_response):
        import ipaddress

        from django.conf import settings

        self.networks = [
            ipaddress.ip_network(n, strict=False) for n in settings.GRIDGOV_ADMIN_NETWORKS
        ]
        self.get_response = get_response

    def __call__(self, request):
        if self.networks and request.path.startswith(ADMIN_PATH_PREFIXES):
            import ipaddress

            from gridgov.core.errors import PermissionDenied
            from gridgov.core.views import render_error

            ip = getattr(request, "client_ip", None)
            address = ipaddress.ip_address(ip) if ip else None
            if address is None or not any(address in n for n in self.networks):
                error = PermissionDenied()
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse(error.as_body(), status=403)
                return render_error(request, error)
        return self.get_response(request)
