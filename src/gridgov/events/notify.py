"""Notifications: the staff inbox, and pluggable senders for SMS / WeChat.

``GRIDGOV_NOTIFY_SENDERS`` lists sender classes; the logging sender (default, tests and
demo) writes one log line per message without personal data. A real SMS gateway is one
class with a ``send(recipient, message)`` method.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import role_grants
from gridgov.events.models import Notification

logger = logging.getLogger("gridgov.notify")


class LoggingSender:
    """Writes the message to the log instead of sending it (tests and the demo)."""

    name = "log"

    def send(self, *, recipient: str, message: str) -> None:
        logger.info("notify %s: %s", recipient, message)


@lru_cache(maxsize=1)
def senders() -> list:
    paths = getattr(settings, "GRIDGOV_NOTIFY_SENDERS", ["gridgov.events.notify.LoggingSender"])
    return [import_string(path)() for path in paths]


def send_external(*, recipient: str, message: str) -> None:
    """Send to a person outside the platform (a reporter's phone or account)."""
    for sender in senders():
        sender.send(recipient=recipient, message=message)


def inbox(recipients, *, kind: str, message: str, event=None, key: str = "") -> int:
    """Put a notice in each recipient's inbox, once per (recipient, key)."""
    key = key or f"{kind}:{event.pk if event else ''}"
    rows = [
        Notification(recipient=user, event=event, kind=kind, message=message[:300], dedupe_key=key)
        for user in {u.pk: u for u in recipients if u is not None}.values()
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def unit_staff(units, permission: str) -> list:
    """People whose membership is at the unit (or one of the units) with a role granting
    ``permission``."""
    units = [u for u in (units if isinstance(units, list | tuple) else [units]) if u is not None]
    if not units:
        return []
    members = Membership.objects.filter(org_unit__in=units, user__is_active=True).select_related(
        "user"
    )
    return [m.user for m in members if role_grants(m.role, permission)]
