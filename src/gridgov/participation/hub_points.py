"""The points and time-bank card of the resident's participation page: both balances, and
a badge for redemptions waiting to be collected."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.participation.hub import HubCard, register_resident_part


@register_resident_part(40)
def points_card(user, resident) -> HubCard:
    from gridgov.participation import selectors_points as read
    from gridgov.participation.models import Redemption

    held = read.balances(resident)
    waiting = read.own_redemptions(resident).filter(state=Redemption.State.PLACED).count()
    return HubCard(
        "points",
        _("Points and time bank"),
        reverse("participation:my_points"),
        _("%(points)s points · %(hours)s hours")
        % {"points": held["points"], "hours": held["timebank"]},
        count=waiting or None,
    )
