"""Every web view and API operation declares what it needs (SECURITY.md C1: default deny).

``requires(permission)`` marks a view as needing a signed-in user who holds the
permission somewhere; object-level scope is then checked by the selectors.
``public`` marks the few views anyone may open (sign-in, language switch).
A test walks the URLconf and fails on any view with neither mark.
"""

from __future__ import annotations

import ipaddress
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import PermissionDenied
from gridgov.core.ports import audit_write

SIGNED_IN = "signed_in"  # any authenticated account, e.g. own profile

# Administration: org changes, imports, users and roles, policies, the audit trail, the
# event catalogue and calendar, the visit indicator catalogue and the need categories.
# Every page and API operation declared with one of these answers only to
# GRIDGOV_ADMIN_NETWORKS (SECURITY.md C6; docs/permissions.md lists them).
ADMINISTRATION_PERMISSIONS = frozenset(
    {
        "org.change",
        "org.import",
        "people.import",
        "accounts.view",
        "accounts.manage_users",
        "accounts.grant",
        "accounts.reset_two_factor",
        "policy.view",
        "policy.change_system",
        "policy.change_security",
        "audit.view",
        "audit.export",
        "events.manage",
        "visits.manage",
        "lists.catalogue",
    }
)


def require_admin_network(request, permission: str) -> None:
    """Refuse an administration permission outside the allow-listed networks. The client
    address is the one ``RequestContextMiddleware`` trusted (a spoofed X-Forwarded-For does
    not help)."""
    networks = settings.GRIDGOV_ADMIN_NETWORKS
    if not networks or permission not in ADMINISTRATION_PERMISSIONS:
        return
    from gridgov.core.request_context import client_ip

    ip = getattr(request, "client_ip", None) or client_ip(request)
    address = ipaddress.ip_address(ip) if ip else None
    if address is None or not any(
        address in ipaddress.ip_network(n, strict=False) for n in networks
    ):
        _audit_denial(request, getattr(request, "user", None), permission, "outside_admin_network")
        raise PermissionDenied(
            _("Administration is only possible from the administration network."),
            code="admin_network_required",
        )


def _audit_denial(request, user, permission: str, reason: str) -> None:
    from django.db import transaction

    with transaction.atomic():
        audit_write(
            "access.denied",
            actor=user,
            outcome="fail",
            changes={
                "reason": reason,
                "permission": permission,
                "method": request.method,
                "path": request.path[:200],
            },
        )


def permission_refused(request, user, permission: str) -> PermissionDenied:
    """The error for a signed-in user without the declared permission; the attempt is
    audited (outcome=fail) so probing for privileged pages and operations leaves a trace."""
    _audit_denial(request, user, permission, "no_permission")
    return PermissionDenied()


# A declaration may name alternatives: "lists.view|lists.serve" lets in whoever holds one of
# them (staff reading orders in their scope, a provider account reading its own); the view's
# selectors then scope each to what that permission shows.
ANY_OF = "|"


def holds(user, declared: str) -> bool:
    """Whether ``user`` holds the declared permission (or one of its alternatives)."""
    if declared == SIGNED_IN:
        return True
    return any(user.has_permission(p) for p in declared.split(ANY_OF))


def requires(permission: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not holds(user, permission):
                raise permission_refused(request, user, permission)
            require_admin_network(request, permission)
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def public(view):
    view.required_permission = None
    view.is_public = True
    return view
