"""Who is acting, from where, in which request: read by the audit trail and logs."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None


_context: ContextVar[RequestContext | None] = ContextVar("gridgov_request", default=None)


def set_request_context(ctx: RequestContext | None):
    return _context.set(ctx)


def reset_request_context(token) -> None:
    _context.reset(token)


def current_request_context() -> RequestContext | None:
    return _context.get()


def current_request_id() -> str | None:
    ctx = _context.get()
    return ctx.request_id if ctx else None


def client_ip(request) -> str | None:
    """The client address; X-Forwarded-For only counts behind configured proxies."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.GRIDGOV_TRUSTED_PROXIES
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # The right-most entries were added by our own proxies; the one before is the client.
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None
