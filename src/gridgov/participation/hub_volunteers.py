"""Volunteering's card on the resident's participation page: the badge and star level of
a volunteer with their coming shifts and the services waiting for their confirmation, or
an invitation to register."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.participation import selectors_volunteers as sel
from gridgov.participation.hub import HubCard, register_resident_part
from gridgov.participation.models import ShiftRecord


@register_resident_part(30)
def volunteer_card(user, resident) -> HubCard | None:
    url = reverse("participation:me_volunteer")
    volunteer = sel.volunteer_for(resident)
    waiting = (
        ShiftRecord.objects.filter(shift__recipient=resident, state=ShiftRecord.State.CHECKED_OUT)
        .order_by()
        .count()
    )
    if volunteer is None:
        return HubCard(
            "volunteers",
            _("Volunteering"),
            url,
            _("Become a volunteer of your community."),
            count=waiting or None,
        )
    stars = sel.volunteer_stars(volunteer)
    coming = (
        sel.own_records(volunteer)
        .filter(
            state__in=[ShiftRecord.State.SIGNED_UP, ShiftRecord.State.CHECKED_IN],
            shift__end_at__gt=timezone.now(),
        )
        .count()
    )
    summary = _(
        "Badge %(badge)s · %(stars)s★ · %(hours)s approved hours · %(coming)s coming shifts"
    ) % {
        "badge": volunteer.badge_number,
        "stars": stars.stars,
        "hours": stars.hours,
        "coming": coming,
    }
    return HubCard("volunteers", _("Volunteering"), url, summary, count=(coming + waiting) or None)
