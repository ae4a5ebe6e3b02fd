"""The account administrators' part of each home (core/workbench.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.selectors import user_list
from gridgov.core.workbench import Queue, Section, register_section


@register_section(50)
def accounts_section(user) -> Section | None:
    if not user.has_permission("accounts.view"):
        return None
    actions = []
    if user.has_permission("accounts.manage_users"):
        actions.append((_("New account"), reverse("accounts:user_create")))
    if user.has_permission("org.change"):
        actions.append((_("Hierarchy"), reverse("org:unit_tree")))
    if user.has_permission("policy.view"):
        actions.append((_("Policies"), reverse("core:policy_list")))
    accounts = Queue(
        "users",
        _("Accounts"),
        user_list(actor=user).count(),
        reverse("accounts:user_list"),
        "secondary",
    )
    return Section("admin", _("Administration"), [accounts], actions=actions)
