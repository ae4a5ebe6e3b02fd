"""The event loop's part of each home (core/workbench.py): the handler's today and the
office's queues, each count read from the selector of the list it links to; reporters
without staff pages land on their own reports."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Role
from gridgov.core.workbench import PREVIEW, Queue, Section, register_landing, register_section
from gridgov.events.selectors import EventFilters, event_list, worker_queues

# Roles whose home is their own reports (they see no staff event pages).
REPORTER_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.DEPARTMENT_HANDLER})
DISPATCH_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.STREET_STAFF, Role.DISTRICT_STAFF}
)
HUB_ROLES = frozenset({Role.STREET_STAFF, Role.DISTRICT_STAFF})


def _rows(events) -> list:
    from gridgov.events.views import _with_sla

    return _with_sla(list(events[:PREVIEW]))


def _event_queue(user, key, label, state, tone, preview=False) -> Queue:
    events = event_list(actor=user, filters=EventFilters(state=state))
    url = f"{reverse('events:event_list')}?state={state}"
    return Queue(key, label, events.count(), url, tone, _rows(events) if preview else [])


@register_landing
def reporter_landing(user) -> str | None:
    """Residents and volunteers: their home is what they reported."""
    roles = user.roles
    return reverse("events:my_reports") if roles and roles <= REPORTER_ROLES else None


@register_section(10)
def field_section(user) -> Section | None:
    """The handler's today: overdue and due events, check-ins (吹哨报到), verification."""
    if not (user.roles & FIELD_ROLES) or not user.has_permission("events.handle"):
        return None
    queues = worker_queues(actor=user)
    mine = reverse("events:my_events")

    def queue(key, label, anchor, tone):
        events = queues[key]
        return Queue(key, label, events.count(), f"{mine}#{anchor}", tone, _rows(events))

    out = [
        queue("overdue", _("Overdue"), "overdue", "danger"),
        queue("todo", _("To do"), "todo", "primary"),
    ]
    if Role.DEPARTMENT_HANDLER in user.roles or queues["to_check_in"].exists():
        # A department's first job is to check in (报到) on what was whistled to it.
        out.insert(0, queue("to_check_in", _("To check in (吹哨报到)"), "check-in", "warning"))
    if user.has_permission("events.verify"):
        out.append(queue("to_verify", _("To verify on site"), "verify", "info"))
    return Section("field", _("My work today"), out)


@register_section(20)
def dispatch_section(user) -> Section | None:
    """The office's queues: what waits for a dispatcher, a decision or verification; the
    street and district hubs read escalations first, the community dispatches."""
    if not (user.roles & DISPATCH_ROLES) or not user.has_permission("events.dispatch"):
        return None
    hub = bool(user.roles & HUB_ROLES)
    out = [
        _event_queue(user, "to_dispatch", _("To dispatch"), "to_dispatch", "primary", not hub),
        _event_queue(
            user, "requests", _("Extension and suspension requests"), "requests", "warning"
        ),
        _event_queue(user, "overdue", _("Overdue in my area"), "overdue", "danger"),
    ]
    if hub:
        out.insert(
            0, _event_queue(user, "escalated", _("Escalated (吹哨)"), "escalated", "warning", True)
        )
    if user.has_permission("events.verify") and not (user.roles & FIELD_ROLES):
        to_verify = worker_queues(actor=user)["to_verify"]
        url = f"{reverse('events:my_events')}#verify"
        out.append(Queue("to_verify", _("To verify"), to_verify.count(), url, "info"))
    return Section("dispatch", _("Event queues"), out)
