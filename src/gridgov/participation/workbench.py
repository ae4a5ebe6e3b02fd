"""Residents and volunteers land on their participation page, which also leads to what
they reported (core/workbench.py)."""

from __future__ import annotations

from django.urls import reverse

from gridgov.core.workbench import register_landing

# The roles whose home is the resident's own pages (they hold no staff pages).
RESIDENT_ROLES = frozenset({"resident", "volunteer"})


@register_landing(order=50)
def resident_landing(user) -> str | None:
    roles = user.roles
    if roles and roles <= RESIDENT_ROLES and user.has_permission("participation.take_part"):
        return reverse("participation:me_home")
    return None
