"""Every web view and API operation declares what it needs (SECURITY.md C1: default deny).

``requires(permission)`` marks a view as needing a signed-in user who holds the
permission somewhere; object-level scope is then checked by the selectors.
``public`` marks the few views anyone may open (sign-in, language switch).
A test walks the URLconf and fails on any view with neither mark.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from gridgov.core.errors import PermissionDenied

SIGNED_IN = "signed_in"  # any authenticated account, e.g. own profile


def permission_refused(request, user, permission: str) -> PermissionDenied:
    """The error for a signed-in user without the declared permission; the attempt is
    audited (outcome=fail) so probing for privileged pages and operations leaves a trace."""
    from django.db import transaction

    from gridgov.audit.services import audit_record

    with transaction.atomic():
        audit_record(
            "access.denied",
            actor=user,
            outcome="fail",
            changes={
                "reason": "no_permission",
                "permission": permission,
                "method": request.method,
                "path": request.path[:200],
            },
        )
    return PermissionDenied()


def requires(permission: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if permission != SIGNED_IN and not user.has_permission(permission):
                raise permission_refused(request, user, permission)
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def public(view):
    view.required_permission = None
    view.is_public = True
    return view
