"""The resident's participation page: the cards of the parts, or — for an account not yet
bound to a resident — what to do about it. What they reported is one tap away either way."""

from __future__ import annotations

from django.shortcuts import render

from gridgov.core.permissions import requires
from gridgov.participation.hub import hub_cards
from gridgov.residents.selectors import resident_for


@requires("participation.take_part")
def me_home(request):
    resident = resident_for(request.user)
    cards = hub_cards(request.user, resident) if resident is not None else []
    return render(
        request,
        "participation/me_home.html",
        {"resident": resident, "cards": cards},
    )
