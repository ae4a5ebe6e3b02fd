"""Deliberation's card on the resident's participation page: the topics of their grid and
community, with how many are open to proposals or discussion now."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.participation import selectors_deliberation as selectors
from gridgov.participation.hub import HubCard, register_resident_part
from gridgov.participation.services_deliberation import DISCUSSABLE


@register_resident_part(order=10)
def topics_card(user, resident) -> HubCard | None:
    if resident is None:
        return None
    open_now = selectors.resident_topic_list(resident=resident).filter(state__in=DISCUSSABLE)
    return HubCard(
        key="topics",
        title=_("Topics of my community"),
        url=reverse("participation:me_topics"),
        summary=_("Propose, co-sign and discuss the matters of your grid and community."),
        count=open_now.count(),
    )
