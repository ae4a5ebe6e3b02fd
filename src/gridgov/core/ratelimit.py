"""Shared counters for rate limits and mass-access detection (SECURITY.md F10, G5).

Every app process and machine sees the same counts, never process memory: with Redis as the
shared cache (``REDIS_URL``) a counter is a Redis key incremented atomically (INCRBY);
otherwise it is a ``RateCounter`` row incremented by one atomic ``UPDATE``. The database
cache is not used for counting because its increment is a read followed by a write:
concurrent requests would be under-counted (the reason django-ratelimit, which needs an atomic
increment, does not fit the default installation; it also counts requests, where
mass-access detection counts the records a request returns).

A window slides: the previous fixed window's count, weighted by the share of it that still
overlaps the last ``window_seconds``, plus the current window's count. Straddling a window
boundary therefore does not double the limit.

Temporary blocks (``rate_block``) are kept in the shared cache with their end time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext as _

from gridgov.core.errors import TooManyRequests

_CACHE_PREFIX = "gridgov:rate:"


@dataclass(frozen=True)
class Usage:
    """The sliding-window count of a key (including the hit just made) against its limit."""

    count: float
    limit: int
    retry_after: int  # seconds until one more hit fits under the limit; 0 while it does

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _retry_after(previous: int, current: int, elapsed: float, window: int, limit: int) -> int:
    """Seconds without further hits until ``estimate + 1 <= limit``."""
    room = limit - 1
    if previous * (1 - elapsed / window) + current <= room:
        return 0
    if current <= room:
        # Still in this window: wait for enough of the previous window to slide out.
        moment = window * (1 - (room - current) / previous)
        return max(1, math.ceil(moment - elapsed))
    # This window alone is over the limit: wait until it has slid out far enough.
    moment = window * (1 - room / current)
    return max(1, math.ceil(window - elapsed + moment))


def _shared_cache():
    return caches["default"]


def _counts_in_cache(cache, key: str, window: int, amount: int, window_seconds: int):
    current_key = f"{_CACHE_PREFIX}{key}:{window}"
    previous_key = f"{_CACHE_PREFIX}{key}:{window - 1}"
    if amount:
        cache.add(current_key, 0, timeout=2 * window_seconds + 60)
        try:
            cache.incr(current_key, amount)
        except ValueError:  # expired between add and incr
            cache.add(current_key, amount, timeout=2 * window_seconds + 60)
    values = cache.get_many([previous_key, current_key])
    return int(values.get(previous_key, 0)), int(values.get(current_key, 0))


def _counts_in_database(key: str, window: int, amount: int, window_seconds: int, now: float):
    from gridgov.core.models import RateCounter

    rows = RateCounter.objects.filter(key=key)
    if not amount:
        counts = dict(rows.filter(window__in=(window - 1, window)).values_list("window", "count"))
        return counts.get(window - 1, 0), counts.get(window, 0)
    # One atomic statement (an upsert that adds), which the ORM cannot express; both
    # SQLite and PostgreSQL run it as is.
    quote = connection.ops.quote_name
    table = quote(RateCounter._meta.db_table)
    key_col, window_col, count_col = quote("key"), quote("window"), quote("count")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {window_col}, {count_col}, {quote('expires_at')}) "  # noqa: S608 - identifiers only
            f"VALUES (%s, %s, %s, %s) ON CONFLICT ({key_col}, {window_col}) "
            f"DO UPDATE SET {count_col} = {table}.{count_col} + excluded.{count_col} "
            f"RETURNING {count_col}",
            [key, window, amount, int(now) + 2 * window_seconds],
        )
        current = cursor.fetchone()[0]
    if current == amount:
        # A new window: rows that no longer overlap any window are dropped.
        RateCounter.objects.filter(expires_at__lt=int(now)).delete()
    previous = rows.filter(window=window - 1).values_list("count", flat=True).first()
    return previous or 0, current


def rate_hit(key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
    """Count ``amount`` hits of ``key`` now and return the sliding-window usage."""
    now = time.time()
    window, offset = divmod(now, window_seconds)
    window = int(window)
    cache = _shared_cache()
    if isinstance(cache, RedisCache):
        previous, current = _counts_in_cache(cache, key, window, amount, window_seconds)
    else:
        previous, current = _counts_in_database(key, window, amount, window_seconds, now)
    estimate = previous * (1 - offset / window_seconds) + current
    return Usage(
        count=estimate,
        limit=limit,
        retry_after=_retry_after(previous, current, offset, window_seconds, limit),
    )


def rate_usage(key: str, *, limit: int, window_seconds: int) -> Usage:
    """The usage of ``key`` without counting a hit."""
    return rate_hit(key, limit=limit, window_seconds=window_seconds, amount=0)


def rate_limit(key: str, *, limit: int, window_seconds: int) -> None:
    """Count one hit; refuse it with 429 and a Retry-After when it is over the limit."""
    usage = rate_hit(key, limit=limit, window_seconds=window_seconds)
    if usage.exceeded:
        raise TooManyRequests(
            _("Too many requests: try again in %(seconds)d seconds.")
            % {"seconds": usage.retry_after},
            retry_after=usage.retry_after,
        )


def rate_block(key: str, *, seconds: int) -> float:
    """Block ``key`` for ``seconds`` (shared by every process); returns the end time."""
    until = time.time() + seconds
    _shared_cache().set(f"{_CACHE_PREFIX}block:{key}", until, timeout=seconds + 60)
    return until


def rate_blocked_for(key: str) -> int:
    """Seconds left of a block of ``key`` (0 when not blocked)."""
    until = _shared_cache().get(f"{_CACHE_PREFIX}block:{key}")
    if until is None:
        return 0
    return max(0, math.ceil(float(until) - time.time()))


def rate_block_lift(key: str) -> None:
    _shared_cache().delete(f"{_CACHE_PREFIX}block:{key}")


@dataclass(frozen=True)
class AddressThrottle:
    """Attempts from one client address on a public page opened by a link or a code (a
    tracking code, a rating link, a survey link), counted in the shared counters over
    ``window_seconds``: guessing links, or filling the audit trail with refusals, stops at
    the policy's limit. ``limit`` reads the policy at each request, so a change applies at
    once."""

    name: str
    limit: Callable[[], int]
    window_seconds: int = 3600

    def _key(self, request) -> str:
        from gridgov.core.request_context import client_ip

        return f"{self.name}:{client_ip(request) or 'unknown'}"

    def count(self, request) -> Usage:
        """Count one attempt (a failed opening, an answer sent)."""
        return rate_hit(self._key(request), limit=self.limit(), window_seconds=self.window_seconds)

    def refusal(self, request, respond: Callable[[str], HttpResponse]) -> HttpResponse | None:
        """None while the address has attempts left; else the page ``respond`` renders with
        the message, as 429 with Retry-After."""
        usage = rate_usage(
            self._key(request), limit=self.limit(), window_seconds=self.window_seconds
        )
        if usage.count < usage.limit:
            return None
        response = respond(_("Too many attempts from here; please try again later."))
        response.status_code = 429
        response["Retry-After"] = str(max(1, usage.retry_after))
        return response
