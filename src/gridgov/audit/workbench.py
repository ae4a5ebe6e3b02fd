"""The audit administrator's part of each home (core/workbench.py): today's records,
refusals and failed sign-ins, each count the audit list's own filter."""

from __future__ import annotations

from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.audit.selectors import audit_record_list
from gridgov.core.workbench import Queue, Section, register_section


@register_section(51)
def audit_section(user) -> Section | None:
    if not user.has_permission("audit.view"):
        return None
    day = timezone.localdate()
    # The start of today, as the audit list reads ``?since=`` (local midnight).
    since = timezone.make_aware(datetime.combine(day, time.min))
    base = reverse("audit:record_list")
    out = []
    for key, label, action, tone in [
        ("today", _("Audit records today"), "", "secondary"),
        ("denied", _("Access refused today"), "access.denied", "danger"),
        ("login_fail", _("Failed sign-ins today"), "accounts.login.fail", "warning"),
    ]:
        records = audit_record_list(actor=user, action=action, since=since)
        query = f"?since={day.isoformat()}" + (f"&action={action}" if action else "")
        out.append(Queue(key, label, records.count(), base + query, tone))
    actions = [(_("Verify the audit chains"), f"{base}?verify=1")]
    return Section("admin", _("Administration"), out, actions=actions)
