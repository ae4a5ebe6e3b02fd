"""The inventory's part of each home (core/workbench.py): groups waiting for the 居委会's
approval, and a grid worker's own groups."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.workbench import Queue, Section, register_section
from gridgov.groups import selectors
from gridgov.groups.models import Group


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
    if not queues:
        return None
    return Section("groups", _("Community chat groups"), queues=queues)
