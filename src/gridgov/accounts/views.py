"""Sign-in (password, then TOTP where required), sign-out, password change, own tokens."""

from __future__ import annotations

import time

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts import services
from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from gridgov.accounts.models import ApiToken, User
from gridgov.audit.services import audit_record
from gridgov.core.errors import GridGovError, ValidationFailed
from gridgov.core.permissions import SIGNED_IN, public, requires

PENDING_USER = "gg_pending_user"
PENDING_AT = "gg_pending_at"
PENDING_NEXT = "gg_pending_next"
PENDING_MAX_SECONDS = 300


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


def _start_session(request, user: User, method: str) -> None:
    services.login_succeeded(user, method=method)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


@public
def login_view(request):
    if request.user.is_authenticated:
        return redirect("core:home")
    error = None
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            step = services.login_check_password(
                username=username,
                password=request.POST.get("password", ""),
                ip=request.client_ip,
                request=request,
            )
        except GridGovError as exc:
            error = str(exc.message)
        else:
            next_url = _safe_next(request, request.POST.get("next"))
            if step.needs_otp or step.needs_otp_enrolment:
                request.session.cycle_key()
                request.session[PENDING_USER] = step.user.pk
                request.session[PENDING_AT] = time.time()
                request.session[PENDING_NEXT] = next_url
                return redirect(
                    "accounts:otp_enrol" if step.needs_otp_enrolment else "accounts:otp_verify"
                )
            _start_session(request, step.user, "password")
            return redirect(next_url)
    status = 200 if error is None else 400
    return render(
        request,
        "accounts/login.html",
        {
            "error": error,
            "username": username,
            "next": request.GET.get("next", request.POST.get("next", "")),
        },
        status=status,
    )


def _pending_user(request) -> User | None:
    pk = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    if pk is None or time.time() - started > PENDING_MAX_SECONDS:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def _finish_second_step(request, user: User):
    next_url = request.session.get(PENDING_NEXT, "/")
    for key in (PENDING_USER, PENDING_AT, PENDING_NEXT):
        request.session.pop(key, None)
    _start_session(request, user, "password+totp")
    return redirect(next_url)


def _second_step(request, *, enrolling: bool):
    """Check the TOTP code of a user who passed the password step (or is enrolling)."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    error = None
    if request.method == "POST":
        try:
            services.otp_verify(
                user, request.POST.get("code", ""), ip=request.client_ip, enrolling=enrolling
            )
        except GridGovError as exc:
            error = str(exc.message)
            if exc.code == "account_locked":
                request.session.flush()
                return render(request, "accounts/login.html", {"error": error}, status=423)
        else:
            return _finish_second_step(request, user)
    status = 200 if error is None else 400
    if not enrolling:
        return render(request, "accounts/otp_verify.html", {"error": error}, status=status)
    if not user.totp_secret_encrypted:
        services.otp_begin_enrolment(user)
    uri = services.otp_provisioning_uri(user)
    context = {
        "error": error,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5),
        "secret": services.otp_secret(user),
    }
    return render(request, "accounts/otp_enrol.html", context, status=status)


@public
def otp_verify_view(request):
    return _second_step(request, enrolling=False)


@public
def otp_enrol_view(request):
    return _second_step(request, enrolling=True)


@public
@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        with transaction.atomic():
            audit_record("accounts.logout", actor=request.user, target=request.user)
    logout(request)  # deletes the server-side session row
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@requires(SIGNED_IN)
def password_change_view(request):
    errors: dict = {}
    if request.method == "POST":
        new = request.POST.get("new_password", "")
        if new != request.POST.get("new_password2", ""):
            errors = {"new_password2": [_("The two new passwords differ.")]}
        else:
            try:
                services.password_change(
                    user=request.user,
                    old_password=request.POST.get("old_password", ""),
                    new_password=new,
                )
            except ValidationFailed as exc:
                errors = exc.details or {}
            else:
                # A new session for this browser; every other session of the user ends.
                services.sessions_end_for_user(request.user)
                _start_session(request, request.user, "password-change")
                messages.success(request, _("Your password was changed."))
                return redirect("core:home")
    expired = services.password_expired(request.user)
    return render(
        request,
        "accounts/password_change.html",
        {"errors": errors, "expired": expired},
        status=400 if errors else 200,
    )


@requires(SIGNED_IN)
def profile_view(request):
    new_token = None
    errors: dict = {}
    if request.method == "POST":
        try:
            _token, new_token = services.token_create(
                user=request.user,
                name=request.POST.get("name", ""),
                days=int(request.POST.get("days") or 0) or None,
            )
        except (ValidationFailed, ValueError) as exc:
            errors = getattr(exc, "details", None) or {"days": [_("Enter a number of days.")]}
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "accounts/profile.html",
        {"tokens": tokens, "new_token": new_token, "errors": errors},
    )


@requires(SIGNED_IN)
@require_POST
def token_revoke_view(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        from gridgov.core.errors import NotFound

        raise NotFound()
    services.token_revoke(user=request.user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")
