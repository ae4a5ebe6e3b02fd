from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import ADMIN_ROLES, TWO_FACTOR_REQUIRED, Role, role_grants
from gridgov.core.scoping import collapse_paths

# All an Open311 key may do, inside its jurisdiction (reads of the feed are public).
OPEN311_KEY_PERMISSIONS = frozenset({"events.report"})


def intersect_paths(paths: list[str], root: str) -> list[str]:
    """The parts of the subtrees ``paths`` that lie under ``root``."""
    kept = []
    for path in paths:
        if root.startswith(path):
            kept.append(root)
        elif path.startswith(root):
            kept.append(path)
    return collapse_paths(kept)


class User(AbstractUser):
    """A person who signs in. Roles and scopes come from memberships."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)
    # TOTP secret, SM4-GCM encrypted (associated data binds it to this user).
    totp_secret_encrypted = models.CharField(max_length=200, blank=True)
    totp_confirmed = models.BooleanField(default=False)
    totp_last_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    # Scoping -----------------------------------------------------------------
    @property
    def memberships_cached(self) -> list[Membership]:
        cached = getattr(self, "_memberships", None)
        if cached is None:
            cached = list(self.memberships.select_related("org_unit").all())
            self._memberships = cached
        return cached

    def forget_memberships(self) -> None:
        self.__dict__.pop("_memberships", None)

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships_cached}

    # The API credential this request was authenticated with (None for a signed-in
    # session); a narrowed credential limits every permission check of the request.
    api_credential: ApiToken | None = None

    def scope_paths(self, permission: str) -> list[str]:
        if not self.is_active:
            return []
        paths = collapse_paths(
            [m.org_unit.path for m in self.memberships_cached if role_grants(m.role, permission)]
        )
        if self.api_credential is not None:
            paths = self.api_credential.narrow(permission, paths)
        return paths

    def has_permission(self, permission: str) -> bool:
        return bool(self.scope_paths(permission))

    def primary_scope_path(self) -> str:
        paths = [m.org_unit.path for m in self.memberships_cached]
        return min(paths, key=len) if paths else ""

    @property
    def is_admin_role(self) -> bool:
        return bool(self.roles & ADMIN_ROLES)

    @property
    def requires_two_factor(self) -> bool:
        return bool(self.roles & TWO_FACTOR_REQUIRED) or self.totp_confirmed

    @property
    def audit_org_path(self) -> str:
        return self.primary_scope_path()


class Membership(models.Model):
    """A role held over an org unit and its subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org_unit"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} @ {self.org_unit.code}"


class LoginFailure(models.Model):
    """Failed sign-ins, keyed by the name typed (known or not) and by client IP.

    The two counters are independent: a success, a lock or an unlock *clears* the rows of
    the account's consecutive-failure counter but keeps them for the per-IP counter, so
    locking accounts never resets the address that caused it."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set when the account's counter restarted (success, lock, unlock).
    cleared_at = models.DateTimeField(null=True, blank=True)
    # This failure locked the account: counts toward the locks one IP may cause.
    caused_lock = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["ip", "created_at"], name="loginfailure_ip_idx")]

    def __str__(self) -> str:
        return f"{self.username} @ {self.created_at:%Y-%m-%d %H:%M}"


class LoginLock(models.Model):
    """A lock on a typed username; exists for unknown names too, so nothing is revealed."""

    username = models.CharField(max_length=150, primary_key=True)
    locked_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.username} until {self.locked_until:%Y-%m-%d %H:%M}"


class PasswordHistory(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class ApiToken(models.Model):
    """An API credential of an account. Only its SM3 hash is stored; it is shown once.

    A *personal* token is a bearer token for ``/api/v1/`` that acts with its owner's roles
    (never for the three admin roles, whose sign-in needs the second factor). An *Open311
    key* is the ``api_key`` of Open311 GeoReport: it reports service requests in one
    jurisdiction and carries nothing else of its owner's permissions."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("personal API token")
        OPEN311 = "open311", _("Open311 key")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    # The district an Open311 key reports in (its Open311 jurisdiction_id).
    jurisdiction = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # owner, password_change, role_change, disabled, two_factor_reset
    revoked_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_org_path(self) -> str:
        return self.user.primary_scope_path()

    def narrow(self, permission: str, paths: list[str]) -> list[str]:
        """The scope paths of ``permission`` left to a request made with this credential."""
        if self.kind == self.Kind.PERSONAL:
            return paths
        if permission not in OPEN311_KEY_PERMISSIONS or self.jurisdiction is None:
            return []
        return intersect_paths(paths, self.jurisdiction.path)
