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
from gridgov.accounts.roles import API_TOKEN_PERMISSION
from gridgov.audit.services import audit_record
from gridgov.core.errors import GridGovError, NotFound, ValidationFailed
from gridgov.core.permissions import SIGNED_IN, public, requires
from gridgov.core.policies import policy_get

# The state between the password step and the code: who, since when, which step is due
# (``verify`` a confirmed factor or ``enrol`` a first one), and where to go afterwards.
PENDING_USER = "gg_pending_user"
PENDING_AT = "gg_pending_at"
PENDING_STEP = "gg_pending_step"
PENDING_NEXT = "gg_pending_next"
PENDING_KEYS = (PENDING_USER, PENDING_AT, PENDING_STEP, PENDING_NEXT)
STEP_VERIFY = "verify"
STEP_ENROL = "enrol"


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
                due = STEP_ENROL if step.needs_otp_enrolment else STEP_VERIFY
                if due == STEP_ENROL:
                    # A fresh secret per sign-in: one seen by someone else is not reused.
                    services.otp_begin_enrolment(step.user)
                request.session.cycle_key()
                request.session[PENDING_USER] = step.user.pk
                request.session[PENDING_AT] = time.time()
                request.session[PENDING_STEP] = due
                request.session[PENDING_NEXT] = next_url
                return redirect(f"accounts:otp_{due}")
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


def _pending_user(request, step: str) -> User | None:
    """The user waiting for ``step``, while the policy's few minutes last."""
    pk = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    limit = policy_get("accounts.two_factor").pending_minutes * 60
    if pk is None or request.session.get(PENDING_STEP) != step or time.time() - started > limit:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def _forget_pending(request) -> None:
    for key in PENDING_KEYS:
        request.session.pop(key, None)


def _finish_second_step(request, user: User):
    next_url = request.session.get(PENDING_NEXT, "/")
    _forget_pending(request)
    _start_session(request, user, "password+totp")
    return redirect(next_url)


def _second_step(request, *, step: str):
    """Check the TOTP code of a user who passed the password step (or is enrolling)."""
    user = _pending_user(request, step)
    if user is None:
        _forget_pending(request)
        return redirect("accounts:login")
    enrolling = step == STEP_ENROL
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
    try:
        secret = services.otp_pending_secret(user)
    except services.AlreadyEnrolled:
        # Confirmed meanwhile (e.g. in another tab): the secret is never shown again.
        _forget_pending(request)
        return redirect("accounts:login")
    uri = services.otp_provisioning_uri(user, secret)
    context = {
        "error": error,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5),
        "secret": secret,
    }
    return render(request, "accounts/otp_enrol.html", context, status=status)


@public
def otp_verify_view(request):
    return _second_step(request, step=STEP_VERIFY)


@public
def otp_enrol_view(request):
    return _second_step(request, step=STEP_ENROL)


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
    """Own account: password, and API credentials (personal tokens and Open311 keys)."""
    new_token = None
    errors: dict = {}
    error = None
    jurisdictions = services.open311_jurisdictions(request.user)
    if request.method == "POST":
        code = request.POST.get("jurisdiction", "")
        try:
            _token, new_token = services.token_create(
                user=request.user,
                name=request.POST.get("name", ""),
                days=int(request.POST["days"]) if request.POST.get("days", "").strip() else None,
                kind=request.POST.get("kind") or ApiToken.Kind.PERSONAL,
                jurisdiction=next((d for d in jurisdictions if d.code == code), None),
            )
        except ValueError:
            errors = {"days": [_("Enter a number of days.")]}
        except ValidationFailed as exc:
            errors = exc.details or {}
        except GridGovError as exc:
            error = exc
    tokens = ApiToken.objects.filter(user=request.user).select_related("jurisdiction")
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": tokens.order_by("-created_at"),
            "new_token": new_token,
            "errors": errors,
            "error": str(error.message) if error else None,
            "can_hold_tokens": request.user.has_permission(API_TOKEN_PERMISSION),
            "jurisdictions": jurisdictions,
            "kinds": ApiToken.Kind.choices,
        },
        status=error.status if error else 400 if errors else 200,
    )


@requires(SIGNED_IN)
@require_POST
def token_revoke_view(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise NotFound()
    services.token_revoke(user=request.user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")
