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


def _address(value: str | None):
    try:
        return ipaddress.ip_address(value.strip()) if value else None
    except ValueError:
        return None


def _proxy_networks() -> list:
    return [ipaddress.ip_network(n, strict=False) for n in settings.GRIDGOV_TRUSTED_PROXY_NETWORKS]


def _is_proxy(address, networks) -> bool:
    return address is not None and any(address in n for n in networks)


def from_trusted_proxy(request) -> bool:
    """Whether the forwarding headers of this request were set by one of our proxies: the
    peer is a listed proxy, or a proxy count is configured (then only proxies reach us)."""
    networks = _proxy_networks()
    if networks:
        return _is_proxy(_address(request.META.get("REMOTE_ADDR")), networks)
    return settings.GRIDGOV_TRUSTED_PROXIES > 0


def client_ip(request) -> str | None:
    """The client address; X-Forwarded-For only counts when our proxies set it."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    if not from_trusted_proxy(request):
        return str(remote) if remote else None
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    networks = _proxy_networks()
    if networks:
        # Walk back through our own proxies; the first address that is not one is the client.
        for entry in reversed(forwarded):
            address = _address(entry)
            if address is None:
                return None
            if not _is_proxy(address, networks):
                return str(address)
        return str(remote) if remote else None
    proxies = settings.GRIDGOV_TRUSTED_PROXIES
    # The right-most entries were added by our own proxies; the one before is the client.
    if len(forwarded) >= proxies:
        remote = _address(forwarded[-proxies])
    return str(remote) if remote else None
