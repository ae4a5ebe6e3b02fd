"""The resident's rating page (居民评单): the link sent when a service is completed opens it,
without an account; it asks the two questions of the events' rating pattern in large type.
Failed openings are throttled per address (guessing links)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.permissions import public
from gridgov.core.policies import policy_get
from gridgov.core.ratelimit import rate_hit
from gridgov.core.request_context import client_ip
from gridgov.lists import services
from gridgov.lists.models import ServiceOrder


def _failed(request, add: bool = False):
    return rate_hit(
        f"lists:rate:fail:{client_ip(request) or 'unknown'}",
        limit=policy_get("events.loop").public_per_ip_per_hour,
        window_seconds=3600,
        amount=1 if add else 0,
    )


@public
def resident_rate(request, link):
    failed = _failed(request)
    if failed.count >= failed.limit:
        response = render(
            request,
            "lists/resident_rate.html",
            {"error": _("Too many attempts from here; please try again later.")},
            status=429,
        )
        response["Retry-After"] = str(max(1, failed.retry_after))
        return response
    try:
        order = services.order_for_rating_link(link)
    except NotFound as exc:
        _failed(request, add=True)
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
