"""The staff inbox and the senders that reach people outside the platform.

Every app posts notices through :func:`inbox`; the inbox page, its API and the unread badge
read them back. ``GRIDGOV_NOTIFY_SENDERS`` lists sender classes for messages to reporters
(SMS, WeChat); the logging sender (default, tests and the demo) writes one log line per
message without personal data. A real gateway is one class with ``send(recipient, message)``.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from gridgov.core.models import Notification

logger = logging.getLogger("gridgov.notify")
DEFAULT_SENDER = "gridgov.core.notifications.LoggingSender"


class LoggingSender:
    """Writes the message to the log instead of sending it (tests and the demo)."""

    name = "log"

    def send(self, *, recipient: str, message: str) -> None:
        logger.info("notify %s: %s", recipient, message)


@lru_cache(maxsize=1)
def senders() -> list:
    paths = getattr(settings, "GRIDGOV_NOTIFY_SENDERS", [DEFAULT_SENDER])
    return [import_string(path)() for path in paths]


def send_external(*, recipient: str, message: str) -> None:
    """Send to a person outside the platform (a reporter's phone or account)."""
    for sender in senders():
        sender.send(recipient=recipient, message=message)


def subject_ref(record) -> tuple[str, str, str]:
    """(type, public id, link) of the record a notice is about."""
    meta = record._meta
    public_id = getattr(record, "uid", None) or record.pk
    link = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
    return f"{meta.app_label}.{meta.model_name}", str(public_id), link


def inbox(recipients, *, kind: str, message: str, subject=None, key: str = "") -> int:
    """Put a notice in each recipient's inbox, once per (recipient, key)."""
    subject_type, subject_id, link = subject_ref(subject) if subject is not None else ("", "", "")
    key = key or f"{kind}:{subject_type}:{subject_id}"
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            message=str(message)[:300],
            subject_type=subject_type,
            subject_id=subject_id,
            link=link,
            dedupe_key=key[:120],
        )
        for user in {u.pk: u for u in recipients if u is not None}.values()
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user) -> int:
    return notification_list(user=user, unread_only=True).count()


def notifications_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's notices (or all of them) as read; another user's id changes
    nothing."""
    qs = notification_list(user=user, unread_only=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
