from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core import notifications, workbench
from gridgov.core.errors import GridGovError
from gridgov.core.permissions import SIGNED_IN, public, requires


@requires(SIGNED_IN)
def home(request):
    """The role's workbench: the sections the apps register for it (core/workbench.py), or
    the page a reporter lands on."""
    user = request.user
    landing = workbench.landing_for(user)
    if landing:
        return redirect(landing)
    return render(
        request,
        "core/home.html",
        {
            "sections": workbench.workbench_for(user),
            "can_report": user.has_permission("events.report"),
        },
    )


@requires(SIGNED_IN)
def inbox(request):
    notices = notifications.notification_list(user=request.user)
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@requires(SIGNED_IN)
@require_POST
def inbox_read(request):
    notifications.notifications_mark_read(user=request.user)
    return redirect("core:inbox")


def _error_page(request, status: int, title: str, message: str):
    return render(
        request,
        "core/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def render_error(request, error: GridGovError):
    titles = {
        400: _("Bad request"),
        401: _("Please sign in"),
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Not valid"),
        423: _("Locked"),
        429: _("Too many requests"),
    }
    response = _error_page(
        request, error.status, titles.get(error.status, _("Error")), str(error.message)
    )
    if getattr(error, "retry_after", None):
        response["Retry-After"] = str(error.retry_after)
    return response


@public
def csrf_failure(request, reason=""):
    return _error_page(
        request,
        403,
        _("Form expired"),
        _("The form expired or came from another site. Reload the page and try again."),
    )


def error_400(request, exception=None):
    return _error_page(request, 400, _("Bad request"), _("The request could not be understood."))


def error_403(request, exception=None):
    return _error_page(request, 403, _("Not allowed"), _("You do not have permission to do this."))


def error_404(request, exception=None):
    return _error_page(request, 404, _("Not found"), _("The page or object does not exist."))


def error_500(request):
    return _error_page(
        request,
        500,
        _("Server error"),
        _("Something went wrong on our side. The error has been logged."),
    )
