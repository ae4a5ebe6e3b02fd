"""The colour of a deadline, shared by every clock that shows one (events' handling limits,
chat-group rectification items …): green while there is time, yellow once the last share
of the time allowed has begun, red when it has passed. Each caller passes its policy's
share."""

from __future__ import annotations

from datetime import datetime


def deadline_colour(
    now: datetime, start: datetime | None, due: datetime | None, *, due_soon_share: float
) -> str:
    """Bootstrap's contextual name: success / warning (due soon) / danger (overdue), or
    secondary without a deadline."""
    if due is None:
        return "secondary"
    if now >= due:
        return "danger"
    if start is not None and (due - now) <= (due - start) * due_soon_share:
        return "warning"
    return "success"
