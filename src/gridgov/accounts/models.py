from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import ADMIN_ROLES, TWO_FACTOR_REQUIRED, Role, role_grants
from gridgov.core.scoping import collapse_paths


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

    def scope_paths(self, permission: str) -> list[str]:
        if not self.is_active:
            return []
        return collapse_paths(
            [m.org_unit.path for m in self.memberships_cached if role_grants(m.role, permission)]
        )

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
    """Failed sign-ins, keyed by the name typed (known or not) and by client IP."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

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
    """A personal API token. Only its SM3 hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_org_path(self) -> str:
        return self.user.primary_scope_path()
