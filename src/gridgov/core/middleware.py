from __future__ import annotations

import unicodedata
import uuid

from gridgov.core.policies import policies_cached
from gridgov.core.request_context import (
    RequestContext,
    client_ip,
    from_trusted_proxy,
    reset_request_context,
    set_request_context,
)


class ProxyHeadersMiddleware:
    """X-Forwarded-Proto counts only when one of our proxies set it: from anyone else it is
    dropped, so a client cannot claim HTTPS (and skip the redirect, or get secure-only
    treatment) over plain HTTP. X-Forwarded-For is judged the same way in ``client_ip``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not from_trusted_proxy(request):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


class RequestContextMiddleware:
    """Gives every request an id and a trusted client IP, for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        request.client_ip = client_ip(request)
        token = set_request_context(RequestContext(request.request_id, request.client_ip))
        try:
            # One read of each policy per request: consistent values, fewer queries.
            with policies_cached():
                response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = request.request_id
        return response


class NoStoreMiddleware:
    """No answer of the application is stored by a browser or proxy: signed-in pages hold
    personal data, and public ones (a reporter's tracking page, the forms with their CSRF
    token) are per person too. Static files are answered before this (WhiteNoise) and keep
    their own caching, and so do answers marked ``cacheable`` (map tiles)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "cacheable", False):
            response["Cache-Control"] = "no-store"
        return response


class GridGovErrorMiddleware:
    """Turns a ``GridGovError`` raised by a page into its error page (API errors are
    rendered by the API layer as JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from gridgov.core.errors import GridGovError
        from gridgov.core.views import render_error

        if isinstance(exception, GridGovError) and not request.path.startswith("/api/"):
            return render_error(request, exception)
        return None


# Django cuts longer names to 255 characters; the models keep 200.
MAX_FILE_NAME = 200


class InputTextMiddleware:
    """The boundary of every page and API request: the path, the query string, form posts
    and the names of uploaded files are checked by the one text normaliser
    (``core.text``) before any view sees them, and form values are NFC-normalised. Bodies
    over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (other than file uploads) are 413, a multipart body
    that cannot be parsed is 400; both used to reach the API's handler as 500s. JSON bodies
    are checked by the API's parser (``core.api_support.TextCheckingParser``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def _refusal(self, request):
        from django.conf import settings
        from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
        from django.http.multipartparser import MultiPartParserError
        from django.utils.translation import gettext as _

        from gridgov.core.text import forbidden_character, refusal_message

        if (char := forbidden_character(request.path_info)) is not None:
            return _refuse(request, 400, "bad_request", refusal_message(char), {"path": None})
        for key, values in request.GET.lists():
            for value in [key, *values]:
                if (char := forbidden_character(value)) is not None:
                    return _refuse(
                        request, 422, "validation_failed", refusal_message(char), {key: None}
                    )
        content_type = request.META.get("CONTENT_TYPE", "")
        multipart = content_type.startswith("multipart/")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not multipart and limit is not None and length > limit:
            return _refuse(
                request,
                413,
                "request_too_large",
                _("The request is too large (at most %(n)d MB).") % {"n": max(1, limit // 2**20)},
            )
        if request.method not in ("POST", "PUT", "PATCH") or not (
            multipart or content_type.startswith("application/x-www-form-urlencoded")
        ):
            return None
        try:
            post, files = request.POST, request.FILES
        except RequestDataTooBig:
            return _refuse(request, 413, "request_too_large", _("The request is too large."))
        except (MultiPartParserError, TooManyFieldsSent):
            return _refuse(
                request, 400, "bad_request", _("The form data could not be read; send it again.")
            )
        for key, upload in files.items():
            name = upload.name or ""
            if (char := forbidden_character(name)) is not None:
                return _refuse(
                    request, 422, "validation_failed", refusal_message(char), {key: None}
                )
            if len(name) > MAX_FILE_NAME:
                return _refuse(
                    request,
                    422,
                    "validation_failed",
                    _("The file name is too long (at most %(max)d characters).")
                    % {"max": MAX_FILE_NAME},
                    {key: None},
                )
        cleaned = post.copy()
        for key, values in post.lists():
            for value in [key, *values]:
                if (char := forbidden_character(value)) is not None:
                    return _refuse(
                        request, 422, "validation_failed", refusal_message(char), {key: None}
                    )
            if "password" not in key:  # a password is compared as typed
                cleaned.setlist(key, [unicodedata.normalize("NFC", v) for v in values])
        cleaned._mutable = False
        request.POST = cleaned
        return None


def _refuse_character(request, char: str, field: str):
    from gridgov.core.text import refusal_message

    return _refuse(request, 422, "validation_failed", refusal_message(char), {field: None})


def _refuse(request, status: int, code: str, message: str, fields: dict | None = None):
    """The refusal in the form the path speaks: the API's error body, Open311's error list,
    or an error page."""
    from django.http import HttpResponse, JsonResponse

    from gridgov.core.errors import GridGovError
    from gridgov.core.views import render_error

    details = [{"field": f, "message": message} for f in fields] if fields else None
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "details": details}, status=status)
    if request.path_info.startswith("/open311/"):  # GeoReport v2 errors, JSON or XML
        field = next(iter(fields), None) if fields else None
        text = f"{field}: {message}" if field else message
        if request.path_info.endswith(".xml"):
            import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML

            from gridgov.core.writers import xml_bytes

            root = ET.Element("errors")
            error = ET.SubElement(root, "error")
            ET.SubElement(error, "code").text = str(status)
            ET.SubElement(error, "description").text = text
            return HttpResponse(
                xml_bytes(root), status=status, content_type="text/xml; charset=utf-8"
            )
        return JsonResponse([{"code": status, "description": text}], status=status, safe=False)
    return render_error(request, GridGovError(message, code=code, status=status, details=details))
