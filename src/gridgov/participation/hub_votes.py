"""The votes' card on the resident's participation page: the open votes they (or their
household) may still cast."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.participation import selectors_votes as selectors
from gridgov.participation.hub import HubCard, register_resident_part
from gridgov.participation.models import Turnout, Vote


@register_resident_part(order=20)
def votes_card(user, resident) -> HubCard | None:
    now = timezone.now()
    votes = selectors.resident_votes(resident=resident)
    waiting = (
        votes.filter(state=Vote.State.OPEN, opens_at__lte=now, closes_at__gt=now)
        .exclude(
            pk__in=Turnout.objects.filter(
                elector__in=selectors.resident_electors(resident=resident)
            ).values("vote_id")
        )
        .count()
    )
    return HubCard(
        key="votes",
        title=_("Votes"),
        url=reverse("participation:my_votes"),
        summary=_("%(n)s open for you to vote") % {"n": waiting} if waiting else _("No open vote"),
        count=waiting or None,
    )
