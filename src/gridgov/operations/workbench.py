"""Operations' part of each home (core/workbench.py): repair tickets of the devices in the
user's area, the overdue ones first, and the device alarms still to judge true or false."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.workbench import Queue, Section, register_section
from gridgov.operations.selectors_devices import alarm_list, ticket_list


@register_section(18)
def devices_section(user) -> Section | None:
    if not user.has_permission("operations.maintain"):
        return None
    url = reverse("operations:ticket_list")
    queues = [
        Queue(
            "repairs_overdue",
            _("Device repairs overdue"),
            ticket_list(actor=user, overdue_only=True).count(),
            f"{url}?show=overdue",
            "danger",
        ),
        Queue(
            "repairs_open",
            _("Device repairs open"),
            ticket_list(actor=user).count(),
            url,
            "warning",
        ),
        Queue(
            "alarms_to_judge",
            _("Device alarms to judge"),
            alarm_list(actor=user, pending_only=True).count(),
            reverse("operations:alarm_list"),
            "primary",
        ),
    ]
    if not any(q.count for q in queues):
        return None
    return Section("devices", _("Smart devices"), queues=queues)
