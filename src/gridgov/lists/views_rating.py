"""The resident's rating page (居民评单): the link sent when a service is completed opens it,
without an account; it asks the two questions of the events' rating pattern in large type.
Failed openings are throttled per address (guessing links)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.permissions import public
from gridgov.core.policies import policy_get
from gridgov.core.ratelimit import AddressThrottle
from gridgov.lists import services
from gridgov.lists.models import ServiceOrder

FAILED_OPENINGS = AddressThrottle(
    "lists:rate:fail", lambda: policy_get("events.loop").public_per_ip_per_hour
)


@public
def resident_rate(request, link):
    refused = FAILED_OPENINGS.refusal(
        request, lambda message: render(request, "lists/resident_rate.html", {"error": message})
    )
    if refused is not None:
        return refused
    try:
        order = services.order_for_rating_link(link)
    except NotFound as exc:
        FAILED_OPENINGS.count(request)
        raise Http404() from exc
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            order = services.order_resident_rate(
                link=link,
                resident_rating=request.POST.get("resident_rating"),
                need_met=request.POST.get("need_met", ""),
            )
        except ValidationFailed as exc:
            errors, error, status = exc.details, exc.message, 400
        except GridGovError as exc:
            error, status = error_text(exc), 409
    return render(
        request,
        "lists/resident_rate.html",
        {
            "order": order,
            "errors": errors,
            "error": error,
            "met_choices": ServiceOrder.Met.choices,
            "can_rate": order.state == ServiceOrder.State.COMPLETED
            and order.resident_rated_at is None,
        },
        status=status,
    )
