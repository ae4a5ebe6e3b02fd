"""Session rules of GB/T 22239: idle timeout, absolute lifetime, forced password change."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.policies import policy_get

SESSION_STARTED = "gg_started"
SESSION_SEEN = "gg_seen"
# Refresh the "seen" stamp at most this often, so reads do not write on every request.
_SEEN_RESOLUTION_SECONDS = 30

# Paths a user who must change the password may still reach.
_PASSWORD_CHANGE_EXEMPT = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                with transaction.atomic():
                    audit_record(
                        "accounts.session.expired",
                        actor=user,
                        target=user,
                        changes={"reason": expired},
                    )
                logout(request)
                if _is_api(request):
                    return JsonResponse(
                        {
                            "code": "session_expired",
                            "message": _("Your session has expired; please sign in again."),
                            "details": None,
                        },
                        status=401,
                    )
                messages.info(request, _("Your session has expired; please sign in again."))
                response = redirect(f"/accounts/login/?next={request.path}")
                # Pages kept for offline use go with the session; the outbox stays (its
                # records are sent by their own user after signing in again).
                response["Clear-Site-Data"] = '"cache"'  # the HTTP cache; outbox.js drops
                # the pages it kept (the session's end is on every page it showed)
                return response
            from gridgov.accounts.services import password_expired

            if password_expired(user) and not request.path.startswith(_PASSWORD_CHANGE_EXEMPT):
                if _is_api(request):
                    return JsonResponse(
                        {
                            "code": "password_change_required",
                            "message": _("You must change your password before continuing."),
                            "details": None,
                        },
                        status=403,
                    )
                return redirect("accounts:password_change")
        return self.get_response(request)

    def _expired(self, request) -> str | None:
        session = request.session
        now = timezone.now().timestamp()
        policy = policy_get("accounts.session")
        started = session.get(SESSION_STARTED)
        seen = session.get(SESSION_SEEN)
        if started is None or seen is None:
            session[SESSION_STARTED] = session.get(SESSION_STARTED, now)
            session[SESSION_SEEN] = now
            request.session_ends_at = int(now + policy.absolute_hours * 3600)
            return None
        if now - started > policy.absolute_hours * 3600:
            return "absolute"
        # Pages kept offline on a phone are dropped by the page itself past this moment.
        request.session_ends_at = int(started + policy.absolute_hours * 3600)
        if now - seen > policy.idle_minutes * 60:
            return "idle"
        if now - seen > _SEEN_RESOLUTION_SECONDS:
            session[SESSION_SEEN] = now
        return None
