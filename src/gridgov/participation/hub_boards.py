"""The boards' card on the resident's participation page: this month's red and black
entries of the resident's community (counts only)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.participation.hub import HubCard, register_resident_part
from gridgov.participation.models import ComplianceEntry


@register_resident_part(order=60)
def boards_card(user, resident) -> HubCard | None:
    community = resident.household.grid.parent
    month = timezone.localdate().strftime("%Y-%m")
    entries = ComplianceEntry.objects.current().filter(community=community, period=month)
    return HubCard(
        key="boards",
        title=_("Community boards (红黑榜)"),
        url=reverse("participation:board_mine"),
        summary=_("This month: %(red)s on the red list, %(black)s on the black list")
        % {
            "red": entries.filter(colour="red").count(),
            "black": entries.filter(colour="black").count(),
        },
    )
