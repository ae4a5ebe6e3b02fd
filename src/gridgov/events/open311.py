"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) over the event loop.

Categories are services (service_code = category code); events are service requests
(service_request_id = tracking code, the public id: it opens nothing of the reporter's).
Creating a request needs an ``api_key`` — a GridGov API token of an account allowed to
report. Reads are public as the spec intends, so they carry no personal data (policy
``events.public``): the title stands for the description, phone and ID numbers in every
free-text field are masked, locations are coarsened to a cell or the grid's centre, events
of sensitive categories are left out, and lists come in capped pages.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML, never parse it
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from gridgov.accounts.services import open311_key_authenticate
from gridgov.core.errors import GridGovError, PermissionDenied, ValidationFailed
from gridgov.core.masking import coarsen_point, mask_text
from gridgov.core.permissions import public
from gridgov.core.policies import policy_get
from gridgov.core.writers import printable_data, xml_bytes
from gridgov.events import services
from gridgov.events.models import OPEN_STATES, Category, Channel, Event, EventAction, EventPhoto

DEFAULT_WINDOW = timedelta(days=90)
FORMATS = ("json", "xml")


def _respond(data, fmt: str, root: str, item: str, status: int = 200) -> HttpResponse:
    # Stored text may hold characters neither format can carry: written printable.
    data = printable_data(data)
    if fmt == "xml":
        element = ET.Element(root)
        for entry in data if isinstance(data, list) else [data]:
            child = ET.SubElement(element, item) if item else element
            for key, value in entry.items():
                if isinstance(value, list):
                    holder = ET.SubElement(child, key)
                    for part in value:
                        sub = ET.SubElement(holder, key.rstrip("s"))
                        for k, v in part.items():
                            ET.SubElement(sub, k).text = "" if v is None else str(v)
                    continue
                ET.SubElement(child, key).text = (
                    ""
                    if value is None
                    else str(value).lower()
                    if isinstance(value, bool)
                    else str(value)
                )
        return HttpResponse(
            xml_bytes(element), status=status, content_type="text/xml; charset=utf-8"
        )
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(
        [{"code": status, "description": description}], fmt, "errors", "error", status=status
    )


def _format(fmt: str) -> str:
    return fmt if fmt in FORMATS else "json"


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name_en or category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(category.keywords or []),
        "group": category.parent.name if category.parent_id else "",
    }


def _services():
    return Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")


@public
def services_list(request, fmt: str):
    fmt = _format(fmt)
    return _respond([_service(c) for c in _services().order_by("code")], fmt, "services", "service")


@public
def service_definition(request, code: str, fmt: str):
    fmt = _format(fmt)
    category = _services().filter(code=code[:5]).first()
    if category is None:
        return _error(fmt, 404, f"service_code {code[:20]} not found")
    return _respond(
        {"service_code": category.code, "attributes": []}, fmt, "service_definition", ""
    )


def _status_note(event: Event, notes: dict[int, str]) -> str | None:
    if event.state in {"rejected", "merged", "unfounded", "out_of_area", "suspended"}:
        return str(event.get_state_display())
    note = notes.get(event.pk)
    return mask_text(note) if note else str(event.get_state_display())


def _public_point(event: Event) -> tuple[float | None, float | None]:
    """(long, lat) as the public may see them (policy ``events.public``)."""
    if event.lat is None or event.lon is None:
        return None, None
    policy = policy_get("events.public")
    grid = getattr(event.grid, "grid", None) if event.grid_id else None
    if policy.grid_centre and grid is not None:
        return (
            round((grid.min_lon + grid.max_lon) / 2, 6),
            round((grid.min_lat + grid.max_lat) / 2, 6),
        )
    return coarsen_point(event.lon, event.lat, policy.location_metres)


def _request_out(event: Event, notes: dict[int, str], media: dict[int, str]) -> dict:
    service = event.category or event.suggested_category  # registered, or as requested
    lon, lat = _public_point(event)
    return {
        "service_request_id": event.tracking_code,
        "status": "open" if event.state in OPEN_STATES else "closed",
        "status_notes": _status_note(event, notes),
        "service_name": service.name if service else None,
        "service_code": service.code if service else "",
        "description": mask_text(event.title),
        "agency_responsible": event.responsible_unit.name if event.responsible_unit_id else None,
        "service_notice": None,
        "requested_datetime": _iso(event.reported_at),
        "updated_datetime": _iso(event.updated_at),
        "expected_datetime": _iso(event.handle_due),
        "address": mask_text(event.address) if event.address else None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": media.get(event.pk),
    }


def _latest_public_notes(events: list[Event]) -> dict[int, str]:
    notes: dict[int, str] = {}
    for event_id, note in (
        EventAction.objects.filter(event__in=events, public=True)
        .exclude(note="")
        .order_by("created_at", "pk")
        .values_list("event_id", "note")
    ):
        notes[event_id] = note
    return notes


def _public_media(request, events: list[Event]) -> dict[int, str]:
    """The first photo staff made public, per event."""
    from django.urls import reverse

    media: dict[int, str] = {}
    for photo in (
        EventPhoto.objects.filter(event__in=events, public=True)
        .select_related("event")
        .order_by("-created_at", "-pk")
    ):
        media[photo.event_id] = request.build_absolute_uri(
            reverse("events:public_photo", args=[photo.event.tracking_code, photo.uid])
        )
    return media


def _requests_response(request, events, fmt):
    events = list(events)
    notes = _latest_public_notes(events)
    media = _public_media(request, events)
    return _respond(
        [_request_out(e, notes, media) for e in events], fmt, "service_requests", "request"
    )


# Requests of the platform's years: at the ends of the calendar the default window (and the
# time zone) would step outside the dates Python and the databases can hold.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)


def _w3_datetime(text: str | None) -> datetime | None:
    """A W3C datetime parameter (naive ones in local time), or ValueError."""
    if not text:
        return None
    moment = parse_datetime(text)  # None, or ValueError, for what is not a datetime
    if moment is None:
        raise ValueError(text)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=timezone.get_current_timezone())
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(text)
    return moment


class _NoJurisdiction(Exception):
    pass


def _public_events(request):
    """Events of the jurisdiction (district) asked for; optional when there is only one."""
    from gridgov.org.models import OrgUnit

    districts = OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT, is_active=True)
    code = request.GET.get("jurisdiction_id", "")[:20]
    if code:
        district = districts.filter(code=code).first()
    else:
        district = districts.first() if districts.count() == 1 else None
    if district is None:
        raise _NoJurisdiction(code)
    # Events about vulnerable people are never public, whichever category they carry.
    return (
        Event.objects.select_related(
            "category", "suggested_category", "responsible_unit", "grid__grid"
        )
        .filter(scope_path__startswith=district.path)
        .exclude(category__sensitive=True)
        .exclude(suggested_category__sensitive=True)
    )


def _jurisdiction_error(fmt, exc):
    if exc.args and exc.args[0]:
        return _error(fmt, 404, f"jurisdiction_id {exc.args[0]} not found")
    return _error(fmt, 400, "jurisdiction_id is required (the district code)")


@csrf_exempt
@public
def requests_view(request, fmt: str):
    fmt = _format(fmt)
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        return _error(fmt, 400, "method not allowed")
    params = request.GET
    try:
        qs = _public_events(request)
    except _NoJurisdiction as exc:
        return _jurisdiction_error(fmt, exc)
    if params.get("service_request_id"):
        codes = [c.strip().upper()[:12] for c in params["service_request_id"].split(",")][:100]
        return _requests_response(request, qs.filter(tracking_code__in=codes), fmt)
    try:
        end = _w3_datetime(params.get("end_date")) or timezone.now()
        start = _w3_datetime(params.get("start_date")) or end - DEFAULT_WINDOW
    except ValueError:
        return _error(
            fmt,
            400,
            f"start_date and end_date must be w3 datetimes between {EARLIEST.year} "
            f"and {LATEST.year}",
        )
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    if params.get("service_code"):
        codes = [c.strip()[:5] for c in params["service_code"].split(",")]
        qs = qs.filter(
            Q(category__code__in=codes)
            | Q(category__isnull=True, suggested_category__code__in=codes)
        )
    status = params.get("status", "")
    if status:
        statuses = {s.strip() for s in status.split(",")}
        if not statuses <= {"open", "closed"}:
            return _error(fmt, 400, "status must be open or closed")
        if statuses == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif statuses == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
    size = policy_get("events.public").max_page_size
    size = min(size, _positive(params.get("page_size"), size))
    start = (_positive(params.get("page"), 1) - 1) * size
    return _requests_response(
        request, qs.order_by("-reported_at", "-pk")[start : start + size], fmt
    )


def _positive(value: str | None, default: int) -> int:
    return min(int(value), 100_000) if value and value.isdigit() and int(value) > 0 else default


@public
def request_detail(request, request_id: str, fmt: str):
    fmt = _format(fmt)
    try:
        qs = _public_events(request)
    except _NoJurisdiction as exc:
        return _jurisdiction_error(fmt, exc)
    event = qs.filter(tracking_code=request_id.upper()[:12]).first()
    if event is None:
        return _error(fmt, 404, f"service_request_id {request_id[:20]} not found")
    return _requests_response(request, [event], fmt)


def _float(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationFailed(details={"location": ["lat and long must be numbers"]}) from None


def _create(request, fmt: str) -> HttpResponse:
    form = request.POST
    # An Open311 key, not a personal token: it reports in its one jurisdiction, nothing else.
    user = open311_key_authenticate(
        form.get("api_key", ""), jurisdiction_code=form.get("jurisdiction_id", "")[:20]
    )
    if user is None or not user.has_permission("events.report"):
        return _error(fmt, 403, "api_key is missing or not valid")
    code = form.get("service_code", "")[:5]
    if not _services().filter(code=code).exists():
        return _error(fmt, 404, f"service_code {code[:20]} not found")
    lat, lon = form.get("lat"), form.get("long")
    if not (lat and lon) and not form.get("address_string") and not form.get("address_id"):
        return _error(fmt, 400, "a location is required: lat and long, or address_string")
    name = " ".join(p for p in (form.get("first_name", ""), form.get("last_name", "")) if p)
    description = form.get("description", "")
    try:
        if not (lat and lon):
            raise ValidationFailed(
                details={"location": ["this jurisdiction needs lat and long to place a request"]}
            )
        data = services.ReportInput(
            channel=Channel.OPEN311,
            title=(description or code).strip()[:100],
            description=description,
            lon=_float(lon),
            lat=_float(lat),
            address=form.get("address_string", ""),
            category_code=code,
            contact_name=name,
            contact_phone=form.get("phone", ""),
        )
        event, _ = services.report_event(actor=user, data=data)
    except PermissionDenied:
        return _error(fmt, 403, "the location is outside this api_key's jurisdiction")
    except GridGovError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        text = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in details.items())
        return _error(fmt, 400, text or str(exc.message))
    return _respond(
        [{"service_request_id": event.tracking_code, "service_notice": "", "account_id": None}],
        fmt,
        "service_requests",
        "request",
        status=201,
    )
