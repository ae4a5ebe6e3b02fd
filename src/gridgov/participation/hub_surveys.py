"""The surveys' card on the resident's participation page: the surveys meant for them, and
how many are waiting for an answer."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.participation.hub import HubCard, register_resident_part
from gridgov.participation.selectors_surveys import surveys_for_resident


@register_resident_part(order=50)
def surveys_card(user, resident) -> HubCard | None:
    found = surveys_for_resident(resident=resident)
    waiting = sum(1 for _survey, answered in found if not answered)
    return HubCard(
        key="surveys",
        title=_("My surveys"),
        url=reverse("participation:my_surveys"),
        summary=_("Questionnaires from your community: answer them here.")
        if found
        else _("No surveys for you at the moment."),
        count=waiting or None,
    )
