"""The inventory's part of each home (core/workbench.py): groups waiting for the 居委会's
approval, a grid worker's own groups, and the early warnings still to check."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.workbench import Queue, Section, register_section
from gridgov.groups import selectors
from gridgov.groups.models import EarlyWarning, Group
from gridgov.groups.selectors_warnings import warning_list


@register_section(17)
def groups_section(user) -> Section | None:
    if not user.has_permission("groups.view"):
        return None
    queues = []
    if user.has_permission("groups.approve"):
        queues.append(
            Queue(
                "groups_to_approve",
                _("Chat groups waiting for approval"),
                selectors.group_list(
                    actor=user, state=Group.State.PENDING, action="approve"
                ).count(),
                f"{reverse('groups:group_list')}?state=pending",
                "warning",
            )
        )
    if user.has_permission("groups.register"):
        queues.append(
            Queue(
                "groups_mine",
                _("My chat groups"),
                selectors.group_list(actor=user, mine=True).count(),
                reverse("groups:my_groups"),
                "primary",
            )
        )
    if user.has_permission("groups.register") or user.has_permission("groups.supervise"):
        open_warnings = warning_list(actor=user, state=EarlyWarning.State.OPEN).count()
        if open_warnings:
            queues.append(
                Queue(
                    "groups_warnings",
                    _("Chat-group warnings to check"),
                    open_warnings,
                    reverse("groups:warning_list"),
                    "danger",
                )
            )
    queues.extend(_campaign_queues(user))
    if not queues:
        return None
    return Section("groups", _("Community chat groups"), queues=queues)


def _campaign_queues(user) -> list[Queue]:
    """The street's late milestones and the district's extensions to decide."""
    from gridgov.groups import selectors_campaigns as campaigns

    url = reverse("groups:campaign_list")
    queues = []
    if user.has_permission("groups.campaign"):
        queues.append(
            Queue(
                "groups_campaign_late",
                _("Campaign milestones running late"),
                len(campaigns.late_milestones(actor=user)),
                f"{url}?show=late",
                "danger",
            )
        )
    if user.has_permission("groups.campaign_approve"):
        queues.append(
            Queue(
                "groups_extensions",
                _("Milestone extensions to decide"),
                campaigns.extensions_to_decide(actor=user).count(),
                f"{url}?show=extensions",
                "warning",
            )
        )
    return queues
