"""Account writes: sign-in with lockout, throttling and two-factor, passwords, users, roles,
API credentials."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import (
    ApiToken,
    LoginFailure,
    LoginLock,
    Membership,
    PasswordHistory,
    User,
    intersect_paths,
)
from gridgov.accounts.roles import ADMIN_ROLES, API_TOKEN_PERMISSION, ROLE_LEVELS, Role
from gridgov.audit.services import SystemActor, audit_record, audit_refusals, refusal
from gridgov.core import notifications
from gridgov.core.crypto import decrypt_field, encrypt_field, sm3_hex
from gridgov.core.errors import GridGovError, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope

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


# Sign-in throttling ---------------------------------------------------------------
#
# Two independent counters (SECURITY.md A4): the consecutive failures of an account (rows
# not yet cleared) and the failures of a network address within a window (every row). A
# lock clears the account's rows without deleting them, so the address that caused it is
# still counted; an address that has locked too many accounts is throttled as well.


def _ip_counts(ip: str, policy) -> tuple[int, int]:
    """(failures within the IP window, accounts locked within the lock-out window)."""
    now = timezone.now()
    from_ip = LoginFailure.objects.filter(ip=ip)
    failures = from_ip.filter(
        created_at__gte=now - timedelta(minutes=policy.ip_window_minutes)
    ).count()
    locks = from_ip.filter(
        caused_lock=True,
        created_at__gte=now - timedelta(minutes=policy.ip_lockout_window_minutes),
    ).count()
    return failures, locks


def _ip_throttled(ip: str | None, policy) -> bool:
    if not ip:
        return False
    failures, locks = _ip_counts(ip, policy)
    return failures >= policy.ip_max_failures or locks >= policy.ip_max_lockouts


def _alert_ip_throttled(ip: str, policy) -> None:
    """The address just crossed a threshold: record it and tell the security admins."""

    failures, locks = _ip_counts(ip, policy)
    window = max(policy.ip_window_minutes, policy.ip_lockout_window_minutes)
    recipients = User.objects.filter(
        is_active=True, memberships__role=Role.SECURITY_ADMIN
    ).distinct()
    # The platform's language: the request's own language is the attacker's choice.
    with translation.override(settings.LANGUAGE_CODE):
        message = str(
            _(
                "Sign-ins from %(ip)s are throttled: %(locks)d accounts locked and "
                "%(failures)d failed sign-ins from this address."
            )
            % {"ip": ip, "locks": locks, "failures": failures}
        )
    bucket = int(timezone.now().timestamp() // (window * 60))
    with transaction.atomic():
        audit_record(
            "accounts.login.ip_throttled",
            actor=None,
            actor_name=ip,
            target_type="accounts.loginfailure",
            outcome="fail",
            changes={
                "ip": ip,
                "failures": failures,
                "locked_accounts": locks,
                "window_minutes": window,
            },
        )
        notifications.inbox(
            list(recipients), kind="security", message=message, key=f"ip-throttle:{ip}:{bucket}"
        )


def _clear_account_failures(username: str, now) -> None:
    """Restart the account's counter; the rows stay for the per-IP counter until they
    are older than both IP windows."""
    policy = policy_get("accounts.login_lockout")
    LoginFailure.objects.filter(username=username, cleared_at__isnull=True).update(cleared_at=now)
    keep = max(policy.ip_window_minutes, policy.ip_lockout_window_minutes)
    LoginFailure.objects.filter(
        cleared_at__isnull=False, created_at__lt=now - timedelta(minutes=keep)
    ).delete()


def _register_failure(username: str, ip: str | None, action: str = "accounts.login.fail"):
    policy = policy_get("accounts.login_lockout")
    locked = None
    with transaction.atomic():
        failure = LoginFailure.objects.create(username=username, ip=ip)
        failures = LoginFailure.objects.filter(username=username, cleared_at__isnull=True).count()
        _audit_login(action, username, outcome="fail", changes={"consecutive": failures})
        if failures >= policy.max_failures:
            until = timezone.now() + timedelta(minutes=policy.lock_minutes)
            LoginLock.objects.update_or_create(username=username, defaults={"locked_until": until})
            LoginFailure.objects.filter(pk=failure.pk).update(caused_lock=True)
            _clear_account_failures(username, timezone.now())
            _audit_login(
                "accounts.login.locked",
                username,
                outcome="fail",
                changes={"minutes": policy.lock_minutes},
            )
            locked = _locked_error(until)
    # Attempts from a throttled address are refused before they count, so being throttled
    # now means this failure crossed a threshold: alert once.
    if _ip_throttled(ip, policy):
        _alert_ip_throttled(ip, policy)
    return locked


def _check_not_locked(username: str, ip: str | None) -> None:
    policy = policy_get("accounts.login_lockout")
    if _ip_throttled(ip, policy):
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
        _clear_account_failures(user.username, timezone.now())
        LoginLock.objects.filter(username=user.username).delete()
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        audit_record("accounts.login.success", actor=user, target=user, changes={"method": method})


# Two-factor -----------------------------------------------------------------
#
# A secret is shown only while it is pending (enrolment not yet confirmed). Once confirmed
# it is never shown again and enrolment cannot restart: only the security administrator's
# reset (audited) clears it, and the account then enrols anew at its next sign-in.


class AlreadyEnrolled(GridGovError):
    code = "already_enrolled"
    status = 403
    default_message = _(
        "Two-factor sign-in is already set up for this account. If the authenticator is "
        "lost, ask the security administrator to reset it."
    )


def _totp_aad(user: User) -> str:
    return f"accounts_user/totp_secret/{user.pk}"


def otp_secret(user: User) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    return decrypt_field(user.totp_secret_encrypted, associated_data=_totp_aad(user))


def otp_begin_enrolment(user: User) -> str:
    """A fresh secret for the user to add to an authenticator app (not active until
    confirmed). Refused once a secret is confirmed."""
    secret = pyotp.random_base32()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.totp_confirmed:
            raise AlreadyEnrolled()
        locked.totp_secret_encrypted = encrypt_field(secret, associated_data=_totp_aad(user))
        locked.save(update_fields=["totp_secret_encrypted"])
    user.totp_secret_encrypted, user.totp_confirmed = locked.totp_secret_encrypted, False
    return secret


def otp_pending_secret(user: User) -> str:
    """The secret of an enrolment in progress, to show on the enrolment page; never the
    secret of a confirmed enrolment."""
    user.refresh_from_db(fields=["totp_secret_encrypted", "totp_confirmed"])
    if user.totp_confirmed:
        raise AlreadyEnrolled()
    return otp_secret(user) or otp_begin_enrolment(user)


def otp_provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="GridGov")


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
    """Checks a TOTP code: against the confirmed secret when signing in, against the
    pending one when ``enrolling`` (which confirms it). A code is accepted once (replay
    refused) and failures count toward the lockout like password failures."""
    _check_not_locked(user.username, ip)
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        secret = otp_secret(locked_user)
        # Signing in needs a confirmed secret; enrolling needs one still pending.
        usable = secret is not None and locked_user.totp_confirmed != enrolling
        step = _otp_matching_step(secret, code) if usable else None
        if step is not None and step <= locked_user.totp_last_step:
            step = None
        if step is not None:
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


def user_two_factor_reset(*, actor: User, user: User) -> None:
    """The security administrator clears an account's second factor (a lost phone, a
    suspected leak): the account enrols anew at its next sign-in. Its sessions end and its
    API credentials are revoked."""
    with audit_refusals("accounts.otp.reset", actor=actor, target=user):
        _require_account_admin(
            actor,
            user,
            "accounts.reset_two_factor",
            self_message=_("You cannot reset your own second factor."),
        )
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            was_enrolled = locked.totp_confirmed
            locked.totp_secret_encrypted = ""
            locked.totp_confirmed = False
            # totp_last_step stays: a code of the old secret's last step stays spent.
            locked.save(update_fields=["totp_secret_encrypted", "totp_confirmed"])
            audit_record(
                "accounts.otp.reset",
                actor=actor,
                target=locked,
                changes={"was_enrolled": was_enrolled},
            )
            _tokens_revoke_all(locked, reason="two_factor_reset", actor=actor)
    user.totp_secret_encrypted, user.totp_confirmed = "", False
    sessions_end_for_user(user)


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
        _tokens_revoke_all(user, reason="password_change", actor=actor)


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


def _require_account_admin(actor: User, user: User, permission: str, *, self_message) -> None:
    """The actor holds ``permission`` over every scope of the account (an account without
    a role yet counts as in scope, as in the user list) and is not acting on itself."""
    if not actor.has_permission(permission):
        raise refusal(PermissionDenied(), "no_permission")
    if user.pk == actor.pk:
        raise refusal(PermissionDenied(self_message), "self")
    paths = user.memberships.values_list("org_unit__path", flat=True)
    if not all(path_in_scope(actor, path, permission) for path in paths):
        raise refusal(PermissionDenied(), "out_of_scope")


def user_create(*, actor: User, username: str, display_name: str) -> tuple[User, str]:
    """A new account with a one-time initial password (changed at first sign-in)."""
    username = _normalise_username(username)
    with audit_refusals("accounts.user.create", actor=actor, changes={"username": username}):
        if not actor.has_permission("accounts.manage_users"):
            raise refusal(PermissionDenied(), "no_permission")
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
    """Disabling ends the account's sessions and revokes its API credentials; enabling it
    again revives neither."""
    action = "accounts.user.enable" if active else "accounts.user.disable"
    with audit_refusals(action, actor=actor, target=user):
        _require_account_admin(
            actor,
            user,
            "accounts.manage_users",
            self_message=_("You cannot disable your own account."),
        )
        with transaction.atomic():
            user.is_active = active
            user.save(update_fields=["is_active"])
            audit_record(action, actor=actor, target=user)
            if not active:
                _tokens_revoke_all(user, reason="disabled", actor=actor)
    if not active:
        sessions_end_for_user(user)


def user_unlock(*, actor: User, user: User) -> None:
    with audit_refusals("accounts.user.unlock", actor=actor, target=user):
        _require_account_admin(
            actor,
            user,
            "accounts.manage_users",
            self_message=_("You cannot unlock your own account."),
        )
        with transaction.atomic():
            LoginLock.objects.filter(username=user.username).delete()
            _clear_account_failures(user.username, timezone.now())
            audit_record("accounts.user.unlock", actor=actor, target=user)


def _require_granter(actor: User, user: User, org_unit) -> None:
    """Only the security admin grants, only within its own scope, never to itself."""
    if not actor.has_permission("accounts.grant"):
        raise refusal(PermissionDenied(), "no_permission")
    if not path_in_scope(actor, org_unit.path, "accounts.grant"):
        raise refusal(PermissionDenied(_("Choose an org unit within your scope.")), "out_of_scope")
    if user.pk == actor.pk:
        raise refusal(PermissionDenied(_("You cannot change your own roles.")), "self")


def _separation_of_duties(message) -> ValidationFailed:
    return refusal(
        ValidationFailed(
            message,
            details={"role": [str(_("Separation of duties: one admin role per account."))]},
        ),
        "separation_of_duties",
    )


def membership_grant(*, actor: User, user: User, role: str, org_unit) -> Membership:
    """Only the security admin grants, only within its own scope, and 三员分立 holds. The
    account's API credentials are revoked: they were issued for its old roles."""
    changes = {"role": role, "org_unit": org_unit.code}
    with audit_refusals("accounts.role.grant", actor=actor, target=user, changes=changes):
        _require_granter(actor, user, org_unit)
        if not role:
            raise refusal(ValidationFailed(_("Choose a role.")), "no_role")
        if role not in Role.values:
            raise refusal(
                ValidationFailed(details={"role": [str(_("Unknown role."))]}), "unknown_role"
            )
        if org_unit.level not in ROLE_LEVELS[role]:
            raise refusal(
                ValidationFailed(
                    _("This role cannot be held at this level of the hierarchy."),
                    details={"org_unit": [str(_("This role cannot be held at this level."))]},
                ),
                "role_level",
            )
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            current = set(locked.memberships.values_list("role", flat=True))
            if role in ADMIN_ROLES and (current - {role}):
                raise _separation_of_duties(
                    _("An administrator role cannot be combined with any other role (三员分立).")
                )
            if role not in ADMIN_ROLES and current & ADMIN_ROLES:
                raise _separation_of_duties(
                    _("An administrator account cannot hold other roles (三员分立).")
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
                    changes=changes,
                )
                _tokens_revoke_all(locked, reason="role_change", actor=actor)
    user.forget_memberships()
    return membership


def membership_revoke(*, actor: User, membership: Membership) -> None:
    """Ends a membership; the account's API credentials are revoked with it."""
    user = membership.user
    changes = {"role": membership.role, "org_unit": membership.org_unit.code}
    with audit_refusals("accounts.role.revoke", actor=actor, target=user, changes=changes):
        _require_granter(actor, user, membership.org_unit)
        with transaction.atomic():
            audit_record(
                "accounts.role.revoke",
                actor=actor,
                target=user,
                org_unit_path=membership.org_unit.path,
                changes=changes,
            )
            membership.delete()
            _tokens_revoke_all(user, reason="role_change", actor=actor)
    user.forget_memberships()


def users_disable_inactive(*, now=None) -> int:
    """Disable accounts unused for the policy's number of days (SECURITY.md C5); their
    sessions end and their API credentials are revoked."""
    system = SystemActor("inactive-accounts")
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
            "accounts.inactive.disable", actor=system, changes={"disabled": len(ids), "days": days}
        )
        for user in User.objects.filter(pk__in=ids):
            _tokens_revoke_all(user, reason="disabled", actor=system)
    for user in User.objects.filter(pk__in=ids):
        sessions_end_for_user(user)
    return len(ids)


# API tokens -------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return sm3_hex(raw.encode())


def _tokens_revoke_all(user: User, *, reason: str, actor) -> int:
    """Revoke every live credential of the account (inside the caller's transaction)."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if revoked:
        audit_record(
            "accounts.token.revoke_all",
            actor=actor,
            target=user,
            changes={"reason": reason, "tokens": revoked},
        )
    return revoked


def open311_jurisdictions(user: User) -> list:
    """The districts an Open311 key of this account could report in: those where the
    account may report events somewhere."""
    from gridgov.org.models import OrgUnit

    paths = user.scope_paths("events.report")
    districts = OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT, is_active=True)
    return [d for d in districts.order_by("code") if intersect_paths(paths, d.path)]


def _check_token_request(user: User, kind: str, jurisdiction) -> None:
    if user.api_credential is not None:
        raise refusal(
            PermissionDenied(_("An API token cannot create tokens; sign in to create one.")),
            "token_creates_token",
        )
    if not user.has_permission(API_TOKEN_PERMISSION):
        raise refusal(
            PermissionDenied(
                _(
                    "Your roles hold no API tokens: administrators use the API through their "
                    "session, which passed the second factor."
                )
            ),
            "no_tokens_for_role",
        )
    if kind not in ApiToken.Kind.values:
        raise ValidationFailed(details={"kind": [str(_("Unknown kind of token."))]})
    if kind == ApiToken.Kind.OPEN311 and (
        jurisdiction is None or jurisdiction not in open311_jurisdictions(user)
    ):
        raise ValidationFailed(
            details={"jurisdiction": [str(_("Choose a district where you may report events."))]}
        )


def token_create(
    *,
    user: User,
    name: str,
    days: int | None = None,
    kind: str = ApiToken.Kind.PERSONAL,
    jurisdiction=None,
) -> tuple[ApiToken, str]:
    """Returns the token object and the raw token, which is never stored or shown again.

    Only a signed-in session creates tokens (a token cannot mint its successor), and not
    for the admin roles. An Open311 key (``kind="open311"``) names its district."""
    name = (name or "").strip()
    with audit_refusals(
        "accounts.token.create", actor=user, target=user, changes={"name": name, "kind": kind}
    ):
        _check_token_request(user, kind, jurisdiction)
    max_days = policy_get("accounts.api_token").max_lifetime_days
    if days is not None and days < 1:  # a token created already expired helps nobody
        raise ValidationFailed(details={"days": [str(_("A token lasts at least one day."))]})
    days = min(days or max_days, max_days)
    if not name or len(name) > 100:
        raise ValidationFailed(details={"name": [str(_("Give the token a short name."))]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            kind=kind,
            jurisdiction=jurisdiction if kind == ApiToken.Kind.OPEN311 else None,
            name=name,
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            token_hash=token_hash(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        changes = {"name": name, "days": days, "kind": kind}
        if token.jurisdiction_id:
            changes["jurisdiction"] = jurisdiction.code
        audit_record("accounts.token.create", actor=user, target=token, changes=changes)
    return token, raw


def token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied()
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.revoked_reason = "owner"
        token.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record("accounts.token.revoke", actor=user, target=token)


def _credential(raw: str, kind: str) -> ApiToken | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "jurisdiction")
        .filter(
            kind=kind,
            token_hash=token_hash(raw),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    # Every permission check of this request now goes through the credential.
    token.user.api_credential = token
    return token


def token_authenticate(raw: str) -> User | None:
    """The account of a personal bearer token; never for the admin roles (a token left
    from before an admin grant was revoked by it, and is refused here all the same)."""
    token = _credential(raw, ApiToken.Kind.PERSONAL)
    if token is None or not token.user.has_permission(API_TOKEN_PERMISSION):
        return None
    return token.user


def bearer_token_user(raw: str) -> User | None:
    """The API's bearer authentication (installed into ``core.ports``): the token's account,
    refused while its password must be changed."""
    user = token_authenticate(raw)
    if user is not None and password_expired(user):
        raise GridGovError(
            _("You must change your password before continuing."),
            code="password_change_required",
            status=403,
        )
    return user


def open311_key_authenticate(raw: str, *, jurisdiction_code: str = "") -> User | None:
    """The account of an Open311 ``api_key``, narrowed to reporting in the key's district;
    None when the request names another jurisdiction."""
    token = _credential(raw, ApiToken.Kind.OPEN311)
    if token is None or (jurisdiction_code and jurisdiction_code != token.jurisdiction.code):
        return None
    return token.user
