"""Where apps plug into the ground. ``core`` knows no app: what it needs from one (writing
an audit record, finding the user of a bearer token) is a port here, and the app that owns
it installs the implementation in its ``AppConfig.ready()``.

A missing audit writer fails closed: an action that must be audited does not happen
unaudited. A missing token authenticator accepts no token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_audit_writer: Callable[..., Any] | None = None
_bearer_authenticator: Callable[[str], Any] | None = None


def install_audit_writer(writer: Callable[..., Any]) -> None:
    global _audit_writer
    _audit_writer = writer


def audit_write(action: str, **fields) -> Any:
    """Append an audit record (the audit app's ``audit_record``)."""
    if _audit_writer is None:
        raise ImproperlyConfigured("No audit writer is installed: add gridgov.audit to the apps.")
    return _audit_writer(action, **fields)


def install_bearer_authenticator(authenticator: Callable[[str], Any]) -> None:
    global _bearer_authenticator
    _bearer_authenticator = authenticator


def bearer_user(token: str):
    """The user a bearer token stands for, or None; may raise a GridGovError (e.g. a
    password that must be changed first)."""
    if _bearer_authenticator is None:
        return None
    return _bearer_authenticator(token)
