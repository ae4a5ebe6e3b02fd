from __future__ import annotations

import base64

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


# A transparent 1×1 PNG, drawn stretched where the tile file has no tile.
EMPTY_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)


@public
def map_tile(request, z: int, x: int, y: int):
    """A tile of the offline base-map file (docs/maps.md). Open without signing in, since
    the resident's report page draws the map too; anonymous requests are counted per address
    so the file cannot be copied out at speed. Tiles hold no personal data: browsers keep
    them for a day."""
    from django.conf import settings
    from django.http import Http404, HttpResponse

    from gridgov.core.maps import base_layer
    from gridgov.core.ratelimit import rate_limit
    from gridgov.core.request_context import client_ip
    from gridgov.core.tiles import TileFileError, tile_get

    layer = base_layer()
    if layer.kind != "file":
        raise Http404
    if not request.user.is_authenticated:
        rate_limit(
            f"map:tiles:ip:{client_ip(request) or 'unknown'}",
            limit=settings.GRIDGOV_MAP_PUBLIC_TILES_PER_MINUTE,
            window_seconds=60,
        )
    try:
        tile = tile_get(layer.file, z, x, y)
    except TileFileError as exc:
        raise Http404 from exc
    if tile is None:
        # Outside the file's area or zoom levels: a transparent tile, the grid layer shows.
        response = HttpResponse(EMPTY_TILE, content_type="image/png")
    else:
        data, content_type = tile
        response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response.cacheable = True
    return response
