"""The lists' part of each home (core/workbench.py): needs waiting to be verified or
matched, orders waiting for acceptance, project budgets waiting for approval; overdue
service orders next to the overdue events in the office's event queues; a provider account
lands on its own orders. Each count
from its list's selector."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.workbench import Queue, Section, register_landing, register_section
from gridgov.lists import selectors
from gridgov.lists.models import Need, Project, ServiceOrder


@register_section(16)
def lists_section(user) -> Section | None:
    if not user.has_permission("lists.view"):
        return None
    needs = reverse("lists:need_list")
    orders = reverse("lists:order_list")
    out = []
    if user.has_permission("lists.manage"):
        out.append(
            Queue(
                "lists_to_verify",
                _("Needs to verify"),
                selectors.need_list(actor=user, state=Need.State.REGISTERED).count(),
                f"{needs}?state=registered",
                "primary",
            )
        )
    if user.has_permission("lists.dispatch"):
        out.append(
            Queue(
                "lists_to_match",
                _("Needs to match"),
                selectors.need_list(actor=user, state=Need.State.MATCHING).count(),
                f"{needs}?state=matching",
                "primary",
            )
        )
        out.append(
            Queue(
                "lists_orders_waiting",
                _("Service orders waiting for acceptance"),
                selectors.order_list(actor=user, state=ServiceOrder.State.DISPATCHED).count(),
                f"{orders}?state=dispatched",
                "warning",
            )
        )
    if user.has_permission("lists.approve"):
        out.append(
            Queue(
                "lists_budgets_to_approve",
                _("Project budgets to approve"),
                selectors.project_list(actor=user, state=Project.State.BUDGET_APPROVAL)
                .filter(pk__in=Project.objects.visible_to(user, "approve").values("pk"))
                .count(),
                f"{reverse('lists:project_list')}?state=budget_approval",
                "warning",
            )
        )
    if user.has_permission("lists.manage"):
        from gridgov.lists import booking_selectors
        from gridgov.lists.models import Booking

        out.append(
            Queue(
                "lists_bookings_waiting",
                _("Bookings waiting for approval"),
                booking_selectors.booking_list(actor=user, state=Booking.State.REQUESTED)
                .filter(booking_selectors.keeper_filter(user))
                .count(),
                reverse("lists:booking_list"),
                "warning",
            )
        )
    actions = [
        (_("Needs list"), needs),
        (_("Resource list"), reverse("lists:resource_list")),
        (_("Needs map"), reverse("lists:need_map")),
        (_("Projects"), reverse("lists:project_list")),
        (_("Service gaps"), reverse("lists:gap")),
        (_("Rooms and equipment"), reverse("lists:booking_list")),
    ]
    if user.has_permission("lists.dispatch"):
        actions.append((_("Matching proposals"), reverse("lists:matching_index")))
    return Section("lists", _("Needs and resources"), out, actions=actions)


@register_landing
def provider_landing(user) -> str | None:
    """An account that only serves (the service-provider role): its home is its orders."""
    if user.has_permission("lists.serve") and not user.has_permission("lists.view"):
        return reverse("lists:provider_home")
    return None


@register_section(21)
def overdue_orders_queue(user) -> Section | None:
    """Overdue service orders (not accepted in time, or not started by the first-service
    time) in the dispatcher's area, in the same section as the overdue events."""
    from gridgov.events.workbench import DISPATCH_ROLES

    if not (user.roles & DISPATCH_ROLES) or not user.has_permission("lists.dispatch"):
        return None
    if not user.has_permission("events.dispatch"):
        return None
    count = selectors.order_list(actor=user, state="overdue").count()
    url = f"{reverse('lists:order_list')}?state=overdue"
    queue = Queue("lists_orders_overdue", _("Overdue service orders"), count, url, "danger")
    return Section("dispatch", _("Event queues"), [queue])
