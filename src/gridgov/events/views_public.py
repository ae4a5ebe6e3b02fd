"""Pages without sign-in: the resident's H5 report form, tracking by code with the
rating, public photos, and the signed device webhook."""

from __future__ import annotations

import hashlib
import hmac
import io
import json

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gridgov.core import attachments
from gridgov.core.crypto import blind_index, decrypt_field
from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import public
from gridgov.core.policies import policy_get
from gridgov.core.ratelimit import AddressThrottle, rate_hit
from gridgov.core.request_context import client_ip
from gridgov.core.validators import FieldInvalid, normalise_phone
from gridgov.events import selectors, services, tracking
from gridgov.events.models import Channel, DeviceNonce, DeviceSource, Event, EventPhoto, State
from gridgov.events.views import FORM_FIELDS, input_from_post, location_picker
from gridgov.org.models import Building, Grid


def _rate_limited(request, phone: str) -> bool:
    """Per IP per hour (the shared rate counters: atomic across every worker process), and
    per phone per day (the events themselves)."""
    loop = policy_get("events.loop")
    usage = rate_hit(
        f"events:public:ip:{client_ip(request) or 'unknown'}",
        limit=loop.public_per_ip_per_hour,
        window_seconds=3600,
    )
    if usage.exceeded:
        return True
    if phone:
        try:
            index = blind_index(normalise_phone(phone), purpose="phone")
        except FieldInvalid:
            return False
        since = timezone.now() - timezone.timedelta(days=1)
        recent = Event.objects.filter(contact_phone_index=index, reported_at__gte=since).count()
        return recent >= loop.public_per_phone_per_day
    return False


def _public_picker(request):
    """The grids and placed buildings of the district in the link (``?jurisdiction_id=``),
    or of the only one: public facts (names and places, nobody's data)."""
    from gridgov.org.models import OrgUnit

    districts = OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT, is_active=True)
    code = request.GET.get("jurisdiction_id", "")[:20]
    district = districts.filter(code=code).first() if code else None
    if district is None and districts.count() == 1:
        district = districts.first()
    grids = Grid.objects.select_related("unit", "unit__parent").filter(unit__is_active=True)
    buildings = Building.objects.all()
    if district is None:
        return location_picker(grids.none(), buildings.none())
    return location_picker(
        grids.filter(unit__path__startswith=district.path).order_by("unit__code"),
        buildings.filter(grid__path__startswith=district.path),
    )


@public
def public_report(request):
    values = {f: "" for f in FORM_FIELDS}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in FORM_FIELDS}
        if _rate_limited(request, values["contact_phone"]):
            errors = {"form": [_("Too many reports from here; please try again later.")]}
            status = 429
        else:
            try:
                data = input_from_post(request.POST, request.FILES, Channel.RESIDENT)
                data.category_code = data.urgency = data.grid_code = data.client_id = ""
                event, _created = services.report_event(actor=None, data=data)
            except GridGovError as exc:
                errors = (
                    exc.details
                    if isinstance(exc, ValidationFailed) and exc.details
                    else {"form": [error_text(exc, model=Event)]}
                )
                status = 400
            else:
                _grant(request, event)
                # Shown once on the next page, never put in a URL.
                request.session["tracking_new_secret"] = tracking.issue_secret(event)
                return redirect(f"{_track_url()}?code={event.tracking_code}&new=1")
    return render(
        request,
        "events/public_report.html",
        {"values": values, "errors": errors, "picker": _public_picker(request)},
        status=status,
    )


def _track_url():
    from django.urls import reverse

    return reverse("events:track")


_GRANTS = "events_tracking_grants"
_MAX_GRANTS = 20


def _grant(request, event: Event) -> None:
    """This browser proved it holds the reporter's secret (or reported it just now)."""
    grants = [g for g in request.session.get(_GRANTS, []) if g != str(event.uid)]
    request.session[_GRANTS] = (grants + [str(event.uid)])[-_MAX_GRANTS:]


def _granted(request, event: Event) -> bool:
    if event.reporter_id and event.reporter_id == getattr(request.user, "pk", None):
        return True
    return str(event.uid) in request.session.get(_GRANTS, [])


@public
def track(request):
    """The reporter's page: the public id plus the secret and proof open it; the timeline,
    result, photos and rating are shown only to a browser that did."""
    code = (request.GET.get("code") or request.POST.get("code") or "").strip().upper()[:12]
    event = Event.objects.filter(tracking_code=code).first() if code else None
    granted = event is not None and _granted(request, event)
    error = ""
    status = 200
    if event is not None and request.method == "POST" and "rating" in request.POST:
        if not granted:
            try:
                tracking.refuse_rating(event)
            except GridGovError as exc:
                return _track_page(request, code, None, error_text(exc), status=403)
        try:
            fixed = request.POST.get("actually_fixed", "")
            services.rate_event(
                event=event,
                rating=int(request.POST.get("rating", "0") or 0),
                actually_fixed={"yes": True, "no": False}.get(fixed),
                comment=request.POST.get("comment", "")[:600],
            )
        except (GridGovError, ValueError) as exc:
            error = (
                error_text(exc, model=Event)
                if isinstance(exc, GridGovError)
                else _("Give 1 to 5 stars.")
            )
        else:
            return redirect(f"{_track_url()}?code={event.tracking_code}&rated=1")
    elif request.method == "POST":
        refused = FAILED_OPENINGS.refusal(
            request, lambda message: _track_page(request, code, None, message)
        )
        if refused is not None:
            return refused
        try:
            event, new_secret = tracking.open_report(
                code=code,
                secret=request.POST.get("secret", "")[:40],
                proof=request.POST.get("proof", "")[:20],
            )
        except GridGovError as exc:
            FAILED_OPENINGS.count(request)
            return _track_page(request, code, None, error_text(exc), status=403)
        _grant(request, event)
        if new_secret:
            request.session["tracking_new_secret"] = new_secret
        return redirect(f"{_track_url()}?code={event.tracking_code}")
    return _track_page(request, code, event if granted else None, error, status=status)


# Failed openings of the tracking page from one address in the last hour: guessing keys or
# digits, or filling the audit trail with refusals, is throttled.
FAILED_OPENINGS = AddressThrottle(
    "events:track:fail", lambda: policy_get("events.loop").public_per_ip_per_hour
)


def _track_page(request, code, event, error, status=200):
    context = {"code": code, "event": event, "error": error}
    if event is not None:
        context["new"] = request.GET.get("new") == "1"
        context["new_secret"] = request.session.pop("tracking_new_secret", "")
        context["steps"] = selectors.event_timeline(event, public_only=True)
        context["photos"] = selectors.event_photos(event)
        context["can_rate"] = event.state == State.CLOSED and event.rated_at is None
    return render(request, "events/track.html", context, status=status)


@public
def public_photo(request, code: str, uid):
    """A photo staff made public, for anyone; the others only for the reporter who opened
    their report in this browser. Stored without metadata."""
    photo = (
        EventPhoto.objects.select_related("event")
        .filter(uid=uid, event__tracking_code=code.upper()[:12])
        .first()
    )
    if photo is None:
        raise Http404
    if not photo.public and not _granted(request, photo.event):
        try:
            tracking.refuse_photo(photo)
        except GridGovError:
            raise Http404 from None
    data = attachments.read(photo.stored_path, sha256=photo.sha256)
    return FileResponse(io.BytesIO(data), content_type="image/jpeg")


def _hook_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@csrf_exempt
@public
@require_POST
def device_hook(request, code: str):
    """A device message (``{"type": "alarm"}``, the default, or a type another app adds:
    ``heartbeat``, ``fault``): ``X-GridGov-Timestamp`` (unix seconds), ``X-GridGov-Nonce`` and
    ``X-GridGov-Signature`` = hex HMAC-SHA256 of "timestamp.nonce.body" with the device's
    secret. Stale timestamps and reused nonces are refused (replay protection)."""
    device = DeviceSource.objects.filter(code=code[:40], is_active=True).first()
    timestamp = request.headers.get("X-GridGov-Timestamp", "")
    nonce = request.headers.get("X-GridGov-Nonce", "")[:64]
    signature = request.headers.get("X-GridGov-Signature", "")
    if device is None or not timestamp.isdigit() or not nonce:
        return _hook_error(401, "bad_signature", _("The signature is missing or not valid."))
    secret = decrypt_field(device.secret_encrypted, associated_data=f"device:{device.code}")
    message = f"{timestamp}.{nonce}.".encode() + request.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return _hook_error(401, "bad_signature", _("The signature is missing or not valid."))
    skew = policy_get("events.loop").device_clock_skew_seconds
    if abs(timezone.now().timestamp() - int(timestamp)) > skew:
        return _hook_error(401, "stale", _("The timestamp is too old or in the future."))
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return _hook_error(400, "bad_body", _("The body must be a JSON object."))
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():
            DeviceNonce.objects.create(device=device, nonce=nonce)
    except IntegrityError:
        return _hook_error(409, "replayed", _("This message was already received."))
    try:
        status, body = services.device_message(device=device, payload=payload)
    except GridGovError as exc:
        return _hook_error(exc.status, exc.code, str(exc.message))
    return JsonResponse(body, status=status)
