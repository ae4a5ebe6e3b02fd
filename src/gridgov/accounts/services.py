"""Account writes: sign-in with lockout and two-factor, passwords, users, roles, tokens."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.contrib.auth import authenticate, password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import (
    ApiToken,
    LoginFailure,
    LoginLock,
    Membership,
    PasswordHistory,
    User,
)
from gridgov.accounts.roles import ADMIN_ROLES, ROLE_LEVELS, Role
from gridgov.audit.services import audit_record
from gridgov.core.crypto import decrypt_field, encrypt_field, sm3_hex
from gridgov.core.errors import GridGovError, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import require_in_scope, require_permission

TOKEN_PREFIX = "gg_"  # noqa: S105 - a marker, not a secret


class InvalidCredentials(GridGovError):
    code = "invalid_credentials"
    status = 401
    # The same words whether the user exists or not (no enumeration).
    default_message = _("The user name or password is incorrect.")


class AccountLocked(GridGovError):
    code = "account_locked"
    status = 423


class TooManyAttempts(GridGovError):
    code = "too_many_attempts"
    status = 429
    default_message = _("Too many failed sign-ins from this network. Try again later.")


class InvalidOtp(GridGovError):
    code = "invalid_otp"
    status = 401
    default_message = _("The verification code is incorrect or was already used.")


def _locked_error(until) -> AccountLocked:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return AccountLocked(
        _("Too many failed sign-ins: this account is locked for %(minutes)d more minutes.")
        % {"minutes": minutes},
        details={"locked_until": until.isoformat(), "minutes": minutes},
    )


def _normalise_username(username: str) -> str:
    return (username or "").strip()[:150]


def _audit_login(action: str, username: str, *, outcome: str, changes=None) -> None:
    known = User.objects.filter(username=username).first()
    with transaction.atomic():
        audit_record(
            action,
            actor=known,
            actor_name=username or "-",
            target=known,
            target_type="accounts.user" if known is None else "",
            outcome=outcome,
            changes=changes,
        )


def _register_failure(username: str, ip: str | None, action: str = "accounts.login.fail"):
    policy = policy_get("accounts.login_lockout")
    with transaction.atomic():
        LoginFailure.objects.create(username=username, ip=ip)
        failures = LoginFailure.objects.filter(username=username).count()
        _audit_login(action, username, outcome="fail", changes={"consecutive": failures})
        if failures >= policy.max_failures:
            until = timezone.now() + timedelta(minutes=policy.lock_minutes)
            LoginLock.objects.update_or_create(username=username, defaults={"locked_until": until})
            LoginFailure.objects.filter(username=username).delete()
            _audit_login(
                "accounts.login.locked",
                username,
                outcome="fail",
                changes={"minutes": policy.lock_minutes},
            )
            return _locked_error(until)
    return None


def _check_not_locked(username: str, ip: str | None) -> None:
    policy = policy_get("accounts.login_lockout")
    if ip:
        since = timezone.now() - timedelta(minutes=policy.ip_window_minutes)
        if LoginFailure.objects.filter(ip=ip, created_at__gte=since).count() >= (
            policy.ip_max_failures
        ):
            _audit_login(
                "accounts.login.fail", username, outcome="fail", changes={"reason": "ip_throttled"}
            )
            raise TooManyAttempts()
    lock = LoginLock.objects.filter(username=username).first()
    if lock and lock.locked_until > timezone.now():
        _audit_login("accounts.login.fail", username, outcome="fail", changes={"reason": "locked"})
        raise _locked_error(lock.locked_until)


@dataclass(frozen=True)
class PasswordStep:
    user: User
    needs_otp: bool
    needs_otp_enrolment: bool


def login_check_password(
    *, username: str, password: str, ip: str | None, request=None
) -> PasswordStep:
    """First sign-in step. Raises ``AccountLocked``, ``TooManyAttempts`` or
    ``InvalidCredentials``; the caller starts a session only when no second step is due."""
    username = _normalise_username(username)
    _check_not_locked(username, ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        locked = _register_failure(username, ip)
        raise locked or InvalidCredentials()
    return PasswordStep(
        user=user,
        needs_otp=user.requires_two_factor and user.totp_confirmed,
        needs_otp_enrolment=user.requires_two_factor and not user.totp_confirmed,
    )


def login_succeeded(user: User, *, method: str) -> None:
    with transaction.atomic():
        LoginFailure.objects.filter(username=user.username).delete()
        LoginLock.objects.filter(username=user.username).delete()
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        audit_record("accounts.login.success", actor=user, target=user, changes={"method": method})


# Two-factor -----------------------------------------------------------------


def _totp_aad(user: User) -> str:
    return f"accounts_user/totp_secret/{user.pk}"


def otp_secret(user: User) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    return decrypt_field(user.totp_secret_encrypted, associated_data=_totp_aad(user))


def otp_begin_enrolment(user: User) -> str:
    """A fresh secret for the user to add to an authenticator app (not active until confirmed)."""
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = encrypt_field(secret, associated_data=_totp_aad(user))
    user.totp_confirmed = False
    user.save(update_fields=["totp_secret_encrypted", "totp_confirmed"])
    return secret


def otp_provisioning_uri(user: User) -> str:
    return pyotp.TOTP(otp_secret(user)).provisioning_uri(name=user.username, issuer_name="GridGov")


def _otp_matching_step(secret: str, code: str) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def otp_verify(user: User, code: str, *, ip: str | None, enrolling: bool = False) -> None:
    """Checks a TOTP code; a code is accepted once (replay refused) and failures count
    toward the lockout like password failures."""
    _check_not_locked(user.username, ip)
    secret = otp_secret(user)
    step = _otp_matching_step(secret, code) if secret else None
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        if step is None or step <= locked_user.totp_last_step:
            step = None
        else:
            locked_user.totp_last_step = step
            if enrolling:
                locked_user.totp_confirmed = True
            locked_user.save(update_fields=["totp_last_step", "totp_confirmed"])
            if enrolling:
                audit_record("accounts.otp.enrol", actor=locked_user, target=locked_user)
    if step is None:
        locked = _register_failure(user.username, ip, action="accounts.login.otp_fail")
        raise locked or InvalidOtp()
    user.refresh_from_db(fields=["totp_last_step", "totp_confirmed"])


# Passwords ------------------------------------------------------------------


def password_expired(user: User) -> bool:
    if user.is_demo:
        return False
    if user.must_change_password or user.password_changed_at is None:
        return True
    max_age = policy_get("accounts.password").max_age_days
    return user.password_changed_at < timezone.now() - timedelta(days=max_age)


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationFailed(
            _("The current password is incorrect."),
            details={"old_password": [str(_("The current password is incorrect."))]},
        )
    _set_password(user, new_password, actor=user)


def _set_password(user: User, new_password: str, *, actor) -> None:
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("The new password does not meet the rules."),
            details={"new_password": [str(m) for m in exc.messages]},
        ) from exc
    with transaction.atomic():
        if user.password:
            PasswordHistory.objects.create(user=user, password=user.password)
        keep = policy_get("accounts.password").history - 1  # plus the current one
        stale = user.password_history.values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
        user.set_password(new_password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_record("accounts.password.change", actor=actor, target=user)


# Sessions ---------------------------------------------------------------------


def sessions_end_for_user(user: User, *, keep_session_key: str | None = None) -> int:
    """Delete the user's server-side sessions (account disabled, or password changed)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep_session_key:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


# Users and roles ----------------------------------------------------------------


def _initial_password() -> str:
    # Four classes guaranteed, 16 characters.
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{body}#{secrets.choice('23456789')}Aa"


def user_create(*, actor: User, username: str, display_name: str) -> tuple[User, str]:
    """A new account with a one-time initial password (changed at first sign-in)."""
    require_permission(actor, "accounts.manage_users")
    username = _normalise_username(username)
    if not username or User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(
            details={"username": [str(_("This user name is empty or already taken."))]}
        )
    if username.lower() in {"admin", "root", "test", "administrator", "guest", "sa"}:
        raise ValidationFailed(
            details={"username": [str(_("Shared or default account names are not allowed."))]}
        )
    password = _initial_password()
    with transaction.atomic():
        user = User(username=username, display_name=display_name, must_change_password=True)
        user.set_password(password)
        user.save()
        audit_record(
            "accounts.user.create",
            actor=actor,
            target=user,
            changes={"username": username, "display_name": display_name},
        )
    return user, password


def user_set_active(*, actor: User, user: User, active: bool) -> None:
    require_permission(actor, "accounts.manage_users")
    if user.pk == actor.pk:
        raise PermissionDenied(_("You cannot disable your own account."))
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            "accounts.user.enable" if active else "accounts.user.disable", actor=actor, target=user
        )
    if not active:
        sessions_end_for_user(user)


def user_unlock(*, actor: User, user: User) -> None:
    require_permission(actor, "accounts.manage_users")
    with transaction.atomic():
        LoginLock.objects.filter(username=user.username).delete()
        LoginFailure.objects.filter(username=user.username).delete()
        audit_record("accounts.user.unlock", actor=actor, target=user)


def membership_grant(*, actor: User, user: User, role: str, org_unit) -> Membership:
    """Only the security admin grants, only within its own scope, and 三员分立 holds."""
    require_in_scope(actor, org_unit.path, "accounts.grant")
    if user.pk == actor.pk:
        raise PermissionDenied(_("You cannot change your own roles."))
    if role not in Role.values:
        raise ValidationFailed(details={"role": [str(_("Unknown role."))]})
    if org_unit.level not in ROLE_LEVELS[role]:
        raise ValidationFailed(
            _("This role cannot be held at this level of the hierarchy."),
            details={"org_unit": [str(_("This role cannot be held at this level."))]},
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        current = set(locked.memberships.values_list("role", flat=True))
        if role in ADMIN_ROLES and (current - {role}):
            raise ValidationFailed(
                _("An administrator role cannot be combined with any other role (三员分立)."),
                details={"role": [str(_("Separation of duties: one admin role per account."))]},
            )
        if role not in ADMIN_ROLES and current & ADMIN_ROLES:
            raise ValidationFailed(
                _("An administrator account cannot hold other roles (三员分立)."),
                details={"role": [str(_("Separation of duties: one admin role per account."))]},
            )
        membership, created = Membership.objects.get_or_create(
            user=locked, role=role, org_unit=org_unit, defaults={"granted_by": actor}
        )
        if created:
            audit_record(
                "accounts.role.grant",
                actor=actor,
                target=locked,
                org_unit_path=org_unit.path,
                changes={"role": role, "org_unit": org_unit.code},
            )
    user.forget_memberships()
    return membership


def membership_revoke(*, actor: User, membership: Membership) -> None:
    require_in_scope(actor, membership.org_unit.path, "accounts.grant")
    if membership.user_id == actor.pk:
        raise PermissionDenied(_("You cannot change your own roles."))
    with transaction.atomic():
        audit_record(
            "accounts.role.revoke",
            actor=actor,
            target=membership.user,
            org_unit_path=membership.org_unit.path,
            changes={"role": membership.role, "org_unit": membership.org_unit.code},
        )
        membership.delete()


def users_disable_inactive(*, now=None) -> int:
    """Disable accounts unused for the policy's number of days (SECURITY.md C5)."""
    from gridgov.audit.services import SystemActor

    now = now or timezone.now()
    days = policy_get("accounts.password").inactive_disable_days
    cutoff = now - timedelta(days=days)
    stale = User.objects.filter(is_active=True, is_demo=False).filter(
        last_login__lt=cutoff
    ) | User.objects.filter(
        is_active=True, is_demo=False, last_login__isnull=True, date_joined__lt=cutoff
    )
    ids = list(stale.values_list("pk", flat=True))
    with transaction.atomic():
        User.objects.filter(pk__in=ids).update(is_active=False)
        audit_record(
            "accounts.inactive.disable",
            actor=SystemActor("inactive-accounts"),
            changes={"disabled": len(ids), "days": days},
        )
    for user in User.objects.filter(pk__in=ids):
        sessions_end_for_user(user)
    return len(ids)


# API tokens -------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return sm3_hex(raw.encode())


def token_create(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Returns the token object and the raw token, which is never stored or shown again."""
    max_days = policy_get("accounts.api_token").max_lifetime_days
    days = min(days or max_days, max_days)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(details={"name": [str(_("Give the token a short name."))]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            token_hash=token_hash(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            "accounts.token.create", actor=user, target=token, changes={"name": name, "days": days}
        )
    return token, raw


def token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied()
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record("accounts.token.revoke", actor=user, target=token)


def token_authenticate(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
