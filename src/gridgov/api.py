"""The JSON API under /api/v1/ (django-ninja), with one error body everywhere:
``{"code": ..., "message": ..., "details": ...}`` in the request's language."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from gridgov.accounts.api import router as accounts_router
from gridgov.accounts.api import users_router
from gridgov.audit.api import router as audit_router
from gridgov.core.api import router as core_router
from gridgov.core.api_support import (
    TextCheckingParser,
    TextInvalidBody,
    document_errors,
    permission_auth,
)
from gridgov.core.errors import GridGovError
from gridgov.core.permissions import SIGNED_IN, requires
from gridgov.events.api import router as events_router
from gridgov.groups.api import router as groups_router
from gridgov.groups.api_campaigns import router as campaigns_router
from gridgov.groups.api_crosschecks import router as group_crosschecks_router
from gridgov.groups.api_feedback import router as group_feedback_router
from gridgov.groups.api_scores import router as scores_router
from gridgov.groups.api_snapshots import router as snapshots_router
from gridgov.groups.api_treatments import router as group_treatments_router
from gridgov.groups.api_warnings import router as group_warnings_router
from gridgov.kpis.api import router as kpis_router
from gridgov.lists.api import router as lists_router
from gridgov.lists.api_bookings import router as bookings_router
from gridgov.lists.api_matches import router as matches_router
from gridgov.lists.api_projects import router as projects_router
from gridgov.operations.api_catalogue import router as catalogue_router
from gridgov.operations.api_devices import router as devices_router
from gridgov.operations.api_facilities import router as facilities_router
from gridgov.operations.api_supplies import router as supplies_router
from gridgov.operations.api_workforce import router as workforce_router
from gridgov.org.api import router as org_router
from gridgov.participation.api_boards import router as participation_boards_router
from gridgov.participation.api_deliberation import router as deliberation_router
from gridgov.participation.api_points import router as points_router
from gridgov.participation.api_surveys import router as surveys_router
from gridgov.participation.api_volunteers import router as volunteers_router
from gridgov.participation.api_votes import router as votes_router
from gridgov.people.api import router as people_router
from gridgov.visits.api import router as visits_router


class GridGovAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_errors(schema)


api = GridGovAPI(
    title="GridGov API",
    version="1",
    description="社区网格化治理平台 API. Authenticate with `Authorization: Bearer <token>` "
    "(create one on your profile page) or a signed-in session with the CSRF header.",
    auth=permission_auth(SIGNED_IN),
    urls_namespace="api",
    docs_url="/docs",
    # Default deny: even the API description needs a signed-in user.
    docs_decorator=requires(SIGNED_IN),
    parser=TextCheckingParser(),
)
api.add_router("/", core_router)
api.add_router("/", accounts_router)
api.add_router("/", users_router)
api.add_router("/", org_router)
api.add_router("/", audit_router)
api.add_router("/", people_router)
api.add_router("/", events_router)
api.add_router("/", kpis_router)
api.add_router("/", visits_router)
api.add_router("/", lists_router)
api.add_router("/", deliberation_router)
api.add_router("/", matches_router)
api.add_router("/", projects_router)
api.add_router("/", bookings_router)
api.add_router("/", volunteers_router)
api.add_router("/", votes_router)
api.add_router("/", points_router)
api.add_router("/", surveys_router)
api.add_router("/", participation_boards_router)
api.add_router("/", groups_router)
api.add_router("/", snapshots_router)
api.add_router("/", group_crosschecks_router)
api.add_router("/", group_warnings_router)
api.add_router("/", group_treatments_router)
api.add_router("/", group_feedback_router)
api.add_router("/", scores_router)
api.add_router("/", campaigns_router)
api.add_router("/operations/", supplies_router)
api.add_router("/operations/", devices_router)
api.add_router("/operations/", facilities_router)
api.add_router("/operations/", catalogue_router)
api.add_router("/operations/", workforce_router)


def _body(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


@api.exception_handler(GridGovError)
def _gridgov_error(request, exc: GridGovError):
    response = _body(request, exc.status, exc.code, str(exc.message), exc.details)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None, "message": e.get("msg")}
        for e in exc.errors
    ]
    return _body(request, 422, "validation_failed", _("Some fields are not valid."), details)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _body(request, 401, "not_authenticated", _("Please sign in or send a valid API token."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _body(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, TextInvalidBody):  # raised by the body parser
        cause = exc.__cause__
        details = [{"field": cause.field, "message": cause.message}]
        return _body(request, 422, "validation_failed", _("Some fields are not valid."), details)
    if exc.status_code == 400:  # the only 400 of django-ninja: a body that is not JSON
        return _body(request, 400, "bad_request", _("The request body is not valid JSON."))
    if exc.status_code == 403:
        return _body(
            request,
            403,
            "csrf_failed" if "CSRF" in str(exc) else "permission_denied",
            _("The CSRF check failed; send the X-CSRFToken header.")
            if "CSRF" in str(exc)
            else _("You do not have permission to do this."),
        )
    return _body(request, exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    import logging

    logging.getLogger("gridgov.api").exception("unhandled API error")
    return _body(request, 500, "server_error", _("Something went wrong on our side."))
