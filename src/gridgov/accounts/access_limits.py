"""Per-account limits on reading personal data (SECURITY.md F10, G5).

Rate limits (policy ``accounts.rate_limits``) refuse bursts with 429 and Retry-After:
reveals per minute and exports per hour (API requests are limited in
``core/api_support.py``).

Mass-access detection (policy ``accounts.mass_access``) counts what one account reads:

- **resident reads**: every resident record a page or API answer shows — one per resident
  detail (API ``GET /residents/{uid}`` and its tags, the resident form), one per member on a
  household page, one per row of a resident list or search page (web, HTMX and API), two per
  row of the possible-duplicates list;
- **reveals**: every full value revealed (a resident's ID number or phone, a reporter's
  phone).

Over the limit in the window, the security and audit administrators over the account's
scope get an inbox notice, the audit trail records the detection, and the account's reads
of residents (pages, API, exports, reveals) pause for ``pause_minutes`` (429 with
Retry-After). Exports do not add to the count (they have their own limit, permission and
audit record) but are refused while paused. Counters are shared by every process
(``core/ratelimit.py``).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Role
from gridgov.audit.services import audit_record
from gridgov.core import notifications
from gridgov.core.errors import TooManyRequests
from gridgov.core.policies import policy_get
from gridgov.core.ratelimit import rate_block, rate_blocked_for, rate_hit, rate_limit

READS = "resident_reads"
REVEALS = "reveals"
ALERT_ROLES = (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


def _is_account(actor) -> bool:
    return getattr(actor, "pk", None) is not None and getattr(actor, "is_authenticated", False)


def _pause_key(actor) -> str:
    return f"access-pause:{actor.pk}"


def _paused_error(seconds: int) -> TooManyRequests:
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyRequests(
        _(
            "Unusually many resident records were read or revealed from this account: reading "
            "residents is paused for %(minutes)d more minutes and the administrators were told."
        )
        % {"minutes": minutes},
        code="access_paused",
        retry_after=seconds,
    )


def access_pause_check(*, actor) -> None:
    """Refuse any read of residents while the account's reads are paused."""
    if not _is_account(actor):
        return
    seconds = rate_blocked_for(_pause_key(actor))
    if seconds:
        raise _paused_error(seconds)


def _observe(*, actor, kind: str, amount: int, via: str) -> None:
    access_pause_check(actor=actor)
    policy = policy_get("accounts.mass_access")
    if kind == READS:
        limit, minutes = policy.max_resident_reads, policy.window_minutes
    else:
        limit, minutes = policy.max_reveals, policy.reveal_window_minutes
    usage = rate_hit(
        f"mass:{kind}:{actor.pk}", limit=limit, window_seconds=minutes * 60, amount=amount
    )
    if usage.exceeded:
        # The pause lasts the policy's minutes, or until the window has slid below the limit.
        pause = max(policy.pause_minutes * 60, usage.retry_after)
        _detected(
            actor=actor,
            kind=kind,
            count=usage.count,
            limit=limit,
            minutes=minutes,
            via=via,
            pause_seconds=pause,
        )


def _detected(
    *, actor, kind: str, count: float, limit: int, minutes: int, via: str, pause_seconds: int
) -> None:
    """Pause the account, record the detection and alert the administrators (once per
    pause, even when several processes cross the limit at the same moment)."""
    until = rate_block(_pause_key(actor), seconds=pause_seconds)
    if caches["default"].add(f"gridgov:access-alerted:{actor.pk}", 1, timeout=pause_seconds):
        until_local = timezone.localtime(datetime.fromtimestamp(until, tz=UTC))
        recipients = _alert_recipients(actor)
        with transaction.atomic():
            audit_record(
                "accounts.access.mass_detected",
                actor=actor,
                target=actor,
                outcome="fail",
                changes={
                    "kind": kind,
                    "count": math.floor(count),
                    "limit": limit,
                    "window_minutes": minutes,
                    "via": via,
                    "paused_until": until_local.isoformat(timespec="seconds"),
                    "alerted": sorted(u.get_username() for u in recipients),
                },
            )
            _notify(actor=actor, recipients=recipients, kind=kind, count=count, minutes=minutes)
    raise _paused_error(max(1, math.ceil(until - time.time())))


def _alert_recipients(actor) -> list:
    """Active security and audit administrators whose scope covers the account's."""
    paths = [m.org_unit.path for m in actor.memberships_cached] or [""]
    admins = Membership.objects.filter(role__in=ALERT_ROLES, user__is_active=True).select_related(
        "user", "org_unit"
    )
    covering = [m.user for m in admins if any(p.startswith(m.org_unit.path) for p in paths)]
    # An account outside every administrator's scope still raises the alarm somewhere.
    chosen = covering or [m.user for m in admins]
    return list({u.pk: u for u in chosen}.values())


def _notify(*, actor, recipients, kind: str, count: float, minutes: int) -> None:
    # The staff inbox (events' notifications) is the one every role reads.

    if kind == READS:
        message = _(
            "Mass access: account %(user)s read %(count)d resident records within %(minutes)d "
            "minutes; its reading of residents is paused. See the audit trail."
        )
    else:
        message = _(
            "Mass access: account %(user)s revealed %(count)d full values within %(minutes)d "
            "minutes; its reading of residents is paused. See the audit trail."
        )
    notifications.inbox(
        recipients,
        kind="mass_access",
        message=message
        % {"user": actor.get_username(), "count": math.floor(count), "minutes": minutes},
        key=f"mass_access:{actor.pk}:{int(time.time())}",
    )


def resident_reads_note(*, actor, count: int, via: str) -> None:
    """Count ``count`` resident records shown to the account, before they are shown."""
    if not _is_account(actor):
        return
    if count <= 0:
        access_pause_check(actor=actor)
        return
    _observe(actor=actor, kind=READS, amount=count, via=via)


def reveal_note(*, actor, via: str) -> None:
    """Before a full value is revealed: the per-minute limit, then mass-access counting."""
    if not _is_account(actor):
        return
    access_pause_check(actor=actor)
    rate_limit(
        f"reveal:{actor.pk}",
        limit=policy_get("accounts.rate_limits").reveals_per_minute,
        window_seconds=60,
    )
    _observe(actor=actor, kind=REVEALS, amount=1, via=via)


def export_note(*, actor, via: str) -> None:
    """Before an export: refused while paused, and limited per hour."""
    if not _is_account(actor):
        return
    access_pause_check(actor=actor)
    rate_limit(
        f"export:{actor.pk}",
        limit=policy_get("accounts.rate_limits").exports_per_hour,
        window_seconds=3600,
    )
