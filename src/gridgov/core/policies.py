"""Policies, not constants: every threshold, limit and target is a versioned record.

A policy is declared once here with a pydantic schema whose field defaults are the
documented defaults. ``policy_get(key)`` returns the version in force (the default,
version 0, until an admin saves one); ``policy_update`` adds a new version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, model_validator


class PolicySchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NamedEntry(BaseModel):
    """An entry a policy names in both languages (a supply category, a device type, a
    facility kind …); its subclasses add their own numbers."""

    name: str = Field(min_length=1, max_length=20, description="name (zh-Hans)")
    name_en: str = Field(min_length=1, max_length=40, description="name (English)")

    def label(self) -> str:
        """The name in the language of the request (English, else the Chinese name)."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name


def short_codes(value: dict, what: str) -> dict:
    """A policy's entries are keyed by short ASCII words (they are stored on records)."""
    for code in value:
        if not code.replace("_", "").isalnum() or not code.isascii() or len(code) > 20:
            raise ValueError(f"{what} codes are short ASCII words")
    return value


class LoginLockoutPolicy(PolicySchema):
    max_failures: int = Field(5, ge=3, le=20, description="consecutive failures before lock")
    lock_minutes: int = Field(30, ge=5, le=24 * 60, description="lock duration in minutes")
    ip_max_failures: int = Field(
        50, ge=10, le=10_000, description="failures per IP within ip_window_minutes"
    )
    ip_window_minutes: int = Field(15, ge=1, le=24 * 60)
    ip_max_lockouts: int = Field(
        3,
        ge=1,
        le=1000,
        description="accounts one IP may lock within ip_lockout_window_minutes before the IP "
        "is throttled and the security administrators are alerted",
    )
    ip_lockout_window_minutes: int = Field(60, ge=1, le=24 * 60)


class TwoFactorPolicy(PolicySchema):
    pending_minutes: int = Field(
        5, ge=1, le=15, description="time allowed between the password and the code"
    )


class SessionPolicy(PolicySchema):
    idle_minutes: int = Field(30, ge=5, le=240, description="idle timeout")
    absolute_hours: int = Field(12, ge=1, le=24, description="absolute session lifetime")


class PasswordPolicy(PolicySchema):
    min_length: int = Field(8, ge=8, le=64)
    min_classes: int = Field(3, ge=3, le=4, description="of upper, lower, digit, symbol")
    max_age_days: int = Field(90, ge=30, le=365)
    history: int = Field(5, ge=1, le=24, description="previous passwords not reusable")
    inactive_disable_days: int = Field(90, ge=30, le=365)


class GridSizePolicy(PolicySchema):
    min_households: int = Field(300, ge=1)
    max_households: int = Field(500, ge=1)
    overlap_tolerance: float = Field(
        0.01, ge=0, le=0.5, description="share of a grid's area that may overlap a sibling"
    )

    @model_validator(mode="after")
    def _ordered(self):
        if self.min_households > self.max_households:
            raise ValueError("min_households must not exceed max_households")
        return self


class AuditRetentionPolicy(PolicySchema):
    retention_days: int = Field(5 * 365, ge=180, le=30 * 365)


class ApiTokenPolicy(PolicySchema):
    max_lifetime_days: int = Field(90, ge=1, le=366)


class RateLimitPolicy(PolicySchema):
    """Per-account limits answered with 429 and Retry-After (SECURITY.md G5)."""

    api_per_user_per_minute: int = Field(
        1200,
        ge=10,
        le=100_000,
        description="API requests of one account (all its tokens and sessions) per minute",
    )
    api_per_token_per_minute: int = Field(
        600, ge=10, le=100_000, description="API requests with one token per minute"
    )
    reveals_per_minute: int = Field(
        10, ge=1, le=1_000, description="full values one account may reveal per minute"
    )
    exports_per_hour: int = Field(
        20, ge=1, le=1_000, description="resident and audit exports of one account per hour"
    )


class MassAccessPolicy(PolicySchema):
    """Mass-access detection (SECURITY.md F10): over a limit, the security and audit
    administrators are alerted and the account's reads of residents pause."""

    window_minutes: int = Field(5, ge=1, le=24 * 60, description="window for resident reads")
    max_resident_reads: int = Field(
        500, ge=10, le=1_000_000, description="resident records one account may read in the window"
    )
    reveal_window_minutes: int = Field(60, ge=1, le=24 * 60, description="window for reveals")
    max_reveals: int = Field(
        100, ge=5, le=100_000, description="full values one account may reveal in that window"
    )
    pause_minutes: int = Field(
        30, ge=1, le=7 * 24 * 60, description="how long the account's resident reads pause"
    )


class SmallCellPolicy(PolicySchema):
    """Published counts (core/aggregates.py): fewer people than this in a cell is hidden,
    with the cells that would let it be recomputed from a published total."""

    min_cell: int = Field(
        5,
        ge=2,
        le=100,
        description="the smallest count of people a published figure may show",
    )


@dataclass(frozen=True)
class PolicyDefinition:
    key: str
    schema: type[PolicySchema]
    title: str | Promise
    description: str | Promise
    # Who may change it: security-relevant policies belong to the security admin (三员分立).
    change_permission: str
    # The names of the codes its values hold (roles, fields), for the policy pages.
    value_labels: Callable[[], Mapping[str, str]] | None = None


REGISTRY: dict[str, PolicyDefinition] = {
    d.key: d
    for d in [
        PolicyDefinition(
            "accounts.login_lockout",
            LoginLockoutPolicy,
            _("Login lockout"),
            _(
                "Consecutive failed logins that lock an account and for how long; failures "
                "and lock-outs one network address may cause before it is throttled."
            ),
            "policy.change_security",
        ),
        PolicyDefinition(
            "accounts.two_factor",
            TwoFactorPolicy,
            _("Two-factor sign-in"),
            _("How long a sign-in may wait between the password and the verification code."),
            "policy.change_security",
        ),
        PolicyDefinition(
            "accounts.session",
            SessionPolicy,
            _("Session timeouts"),
            _("Idle timeout and absolute lifetime of a signed-in session."),
            "policy.change_security",
        ),
        PolicyDefinition(
            "accounts.password",
            PasswordPolicy,
            _("Password rules"),
            _("Length, character classes, maximum age, history and inactivity."),
            "policy.change_security",
        ),
        PolicyDefinition(
            "accounts.api_token",
            ApiTokenPolicy,
            _("API tokens"),
            _("Longest lifetime of a personal API token."),
            "policy.change_security",
        ),
        PolicyDefinition(
            "accounts.rate_limits",
            RateLimitPolicy,
            _("Rate limits"),
            _("Requests per account and per API token, reveals and exports, per time unit."),
            "policy.change_security",
        ),
        PolicyDefinition(
            "accounts.mass_access",
            MassAccessPolicy,
            _("Mass-access detection"),
            _(
                "How many residents one account may read, and how many values it may reveal, "
                "in a window before the administrators are alerted and its reads pause."
            ),
            "policy.change_security",
        ),
        PolicyDefinition(
            "org.grid_size",
            GridSizePolicy,
            _("Grid size"),
            _("Households per grid and tolerated overlap between neighbouring grids."),
            "policy.change_system",
        ),
        PolicyDefinition(
            "core.small_cells",
            SmallCellPolicy,
            _("Small cells in published counts"),
            _(
                "The smallest number of people a published count (survey results, boards) "
                "may show; smaller cells are hidden, with those that would give them back."
            ),
            "policy.change_security",
        ),
        PolicyDefinition(
            "audit.retention",
            AuditRetentionPolicy,
            _("Audit retention"),
            _("How long audit records are kept (never less than 180 days)."),
            "policy.change_security",
        ),
    ]
}


@dataclass(frozen=True)
class PolicyInForce:
    key: str
    version: int
    value: Any  # an instance of the definition's schema


def register_policy(definition: PolicyDefinition) -> None:
    """Apps declare their own policies (from their ``policies`` module, at start-up)."""
    REGISTRY[definition.key] = definition


_cache: ContextVar[dict[str, PolicyInForce] | None] = ContextVar("policy_cache", default=None)


@contextmanager
def policies_cached():
    """Within this block each policy is read once (one request, one import job): values
    stay consistent and rows are not re-read for every record."""
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def policy_cache_forget(key: str) -> None:
    """After a change, the rest of the block reads the new version."""
    cache = _cache.get()
    if cache is not None:
        cache.pop(key, None)


def policy_in_force(key: str) -> PolicyInForce:
    cache = _cache.get()
    if cache is not None and key in cache:
        return cache[key]
    result = policy_latest(key)
    if cache is not None:
        cache[key] = result
    return result


def policy_latest(key: str) -> PolicyInForce:
    """The newest version, read from the database (bypassing the per-block cache)."""
    from gridgov.core.models import PolicyVersion

    definition = REGISTRY[key]
    row = PolicyVersion.objects.filter(key=key).order_by("-version").first()
    if row is None:
        return PolicyInForce(key, 0, definition.schema())
    return PolicyInForce(key, row.version, definition.schema.model_validate(row.value))


def policy_get(key: str) -> Any:
    """The value in force for a policy key (an instance of its schema)."""
    return policy_in_force(key).value
