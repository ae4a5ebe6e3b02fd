"""Event pages for staff: lists and the dispatcher queue, the grid worker's phone list,
event detail with its timeline and actions, reporting, the map and the inbox."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from shapely.geometry import shape

from gridgov.accounts.access_limits import reveal_note
from gridgov.accounts.models import User
from gridgov.audit.services import audit_record
from gridgov.core.crypto import decrypt_field
from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.maps import display_grids, display_point, display_points
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.events import photos, routing, selectors, services, tracking
from gridgov.events.api import channel_for
from gridgov.events.models import Event, State, Urgency
from gridgov.events.selectors import EventFilters
from gridgov.events.sla import sla_colour
from gridgov.events.workflow import TRANSITIONS
from gridgov.org.models import Building, Grid, OrgUnit
from gridgov.org.selectors import building_points, grid_feature_collection, grid_list

TABS = [
    ("open", gettext_lazy("Open")),
    ("overdue", gettext_lazy("Overdue")),
    ("to_verify", gettext_lazy("To verify")),
    ("closed", gettext_lazy("Closed")),
    ("", gettext_lazy("All")),
]
# Queues offered to dispatchers as further tabs (the workbench links to them).
DISPATCH_TABS = [
    ("to_dispatch", gettext_lazy("To dispatch")),
    ("requests", gettext_lazy("Extension and suspension requests")),
    ("escalated", gettext_lazy("Escalated")),
]


def _with_sla(events):
    now = timezone.now()
    for event in events:
        event.sla = (
            sla_colour(
                now, event.classified_at or event.reported_at, event.handle_due or event.accept_due
            )
            if event.is_open
            else "secondary"
        )
        event.countdown = (
            (event.handle_due or event.accept_due) - now
            if event.is_open and (event.handle_due or event.accept_due)
            else None
        )
    return events


@requires("events.view")
def event_list(request):
    kpi_rows, unit_path, kpi_title = _kpi_click_through(request)
    filters = EventFilters(
        state=request.GET.get("state", "" if kpi_rows is not None else "open")[:20],
        grid=request.GET.get("grid", "")[:20],
        q=request.GET.get("q", "")[:50],
        kpi_rows=kpi_rows,
        unit_path=unit_path,
    )
    page = Paginator(selectors.event_list(actor=request.user, filters=filters), 25).get_page(
        request.GET.get("page")
    )
    _with_sla(page.object_list)
    queue = []
    if request.user.has_permission("events.dispatch"):
        queue = _with_sla(list(selectors.dispatcher_queue(actor=request.user)[:50]))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "events/event_list.html",
        {
            "page": page,
            "filters": filters,
            "tabs": TABS + DISPATCH_TABS
            if request.user.has_permission("events.dispatch")
            else TABS,
            "queue": queue,
            "query": params.urlencode(),
            "can_report": request.user.has_permission("events.report"),
            "kpi_title": kpi_title,
        },
    )


def _kpi_click_through(request):
    """(rows, unit path, title) when the list is opened from a KPI number, else Nones."""
    code = request.GET.get("kpi", "")[:40]
    if not code:
        return None, "", ""
    from gridgov.kpis.registry import kpi_get, parse_period

    kpi = kpi_get(code)
    if kpi.capability != "events":
        raise NotFound(_("This KPI is not about events."))
    period = parse_period(request.GET.get("period", "month")[:10], request.GET.get("date", "")[:10])
    unit = OrgUnit.objects.filter(code=request.GET.get("unit", "")[:20]).first()
    if unit is None or not path_in_scope(request.user, unit.path, "events.view"):
        raise NotFound()
    rows = kpi.denominator(period)
    part = request.GET.get("part", "")
    if part == "num" and kpi.numerator is not None:
        rows &= kpi.numerator(period)
    elif part == "miss" and kpi.numerator is not None:
        rows &= ~kpi.numerator(period)
    return rows, unit.path, f"{kpi.name} · {unit.name} · {period.label}"


@requires("events.handle")
def my_events(request):
    queues = selectors.worker_queues(actor=request.user)
    lists = {
        key: _with_sla(list(events[: selectors.WORKER_LIST_SIZES[key]]))
        for key, events in queues.items()
    }
    counts = {key: events.count() for key, events in queues.items()}
    # Events waiting for a dispatcher are not this person's tasks, but say where they are.
    to_dispatch = (
        selectors.event_list(actor=request.user, filters=EventFilters(state="to_dispatch")).count()
        if request.user.has_permission("events.dispatch")
        else 0
    )
    return render(
        request,
        "events/mine.html",
        {
            "lists": lists,
            "counts": counts,
            "to_dispatch": to_dispatch,
            "workload": routing.workload_warning(request.user),
        },
    )


def _action_forms(request, event):
    allowed = services.allowed_actions(request.user, event)
    return [TRANSITIONS[a] for a in allowed]


@requires("events.view")
def event_detail(request, uid):
    event = selectors.event_get(actor=request.user, uid=uid)
    _with_sla([event])
    workers = []
    if path_in_scope(request.user, event.scope_path, "events.dispatch"):
        workers = selectors.grid_staff_for(event)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "timeline": selectors.event_timeline(event),
            "photos": selectors.event_photos(event),
            "actions": _action_forms(request, event),
            "categories": selectors.leaf_categories(),
            "urgencies": Urgency.choices,
            "workers": workers,
            "departments": selectors.departments_for(event),
            "duplicates": selectors.duplicate_suggestions(actor=request.user, event=event),
            "workload": routing.workload_warning(event.suggested_assignee),
            "pending": event.requests.filter(status="pending"),
            "can_reveal": path_in_scope(request.user, event.scope_path, "events.reveal"),
            "can_publish": path_in_scope(request.user, event.scope_path, "events.dispatch"),
            # Staff mark the event as a household's need (the needs list, docs/lists.md).
            "can_mark_need": path_in_scope(request.user, event.scope_path, "lists.register"),
            # Staff who keep supply stores send supplies to an emergency (docs/operations-app.md).
            "can_send_supplies": path_in_scope(request.user, event.scope_path, "operations.manage"),
            "place": _event_place(event),
        },
    )


def _event_place(event: Event) -> dict:
    """The event's point and its grid's outline for the small map (no point: no map; the
    page names the grid and community in text either way)."""
    point = display_point(event.lon, event.lat)
    if point is None:
        return {"point": None}
    grids = Grid.objects.filter(unit_id=event.grid_id).select_related("unit", "unit__parent")
    return {"point": point, "geojson": display_grids(grid_feature_collection(list(grids)))}


@requires("events.view")
@require_POST
def event_act(request, uid):
    event = selectors.event_get(actor=request.user, uid=uid)
    post = request.POST
    params = {}
    if post.get("category"):
        params.update(category_code=post["category"][:10], urgency=post.get("urgency", "")[:12])
    if post.get("assignee"):
        params["assignee"] = User.objects.filter(username=post["assignee"][:150]).first()
    for key in ("level", "department", "duplicate_of", "working_days", "result"):
        if post.get(key):
            params[key] = post[key]
    if "approve" in post:
        params["approve"] = post["approve"] == "1"
    try:
        version = int(post.get("version", "")) if post.get("version") else None
        services.transition(
            actor=request.user,
            event=event,
            action=post.get("action", "")[:30],
            version=version,
            note=post.get("note", ""),
            files=request.FILES.getlist("photos"),
            **params,
        )
    except (GridGovError, ValueError) as exc:
        messages.error(
            request, error_text(exc, model=Event) if isinstance(exc, GridGovError) else str(exc)
        )
    else:
        messages.success(request, _("Done."))
    return redirect("events:event_detail", uid=event.uid)


@requires("events.reveal")
@require_POST
def event_reveal_contact(request, uid):
    event = selectors.event_get(actor=request.user, uid=uid, action="reveal")
    reason = request.POST.get("reason", "").strip()[:200]
    if not reason or not event.contact_phone_encrypted:
        messages.error(request, _("Give a reason."))
        return redirect("events:event_detail", uid=event.uid)
    reveal_note(actor=request.user, via="events.event.contact_phone")
    phone = decrypt_field(event.contact_phone_encrypted, associated_data=str(event.uid))
    audit_record(
        "events.event.reveal_contact", actor=request.user, target=event, changes={"reason": reason}
    )
    return render(request, "events/_revealed.html", {"value": phone})


def report_form_context(request, values, errors):
    grids = []
    if request.user.is_authenticated:
        grids = [
            g
            for g in OrgUnit.objects.filter(level="grid", is_active=True).order_by("code")
            if path_in_scope(request.user, g.path, "events.report")
        ]
    return {
        "values": values,
        "errors": errors,
        "grids": grids,
        "categories": selectors.leaf_categories(),
        "urgencies": Urgency.choices,
        "picker": location_picker(
            grid_list(actor=request.user), Building.objects.visible_to(request.user)
        )
        if request.user.is_authenticated
        else None,
    }


PICKER_LISTED_BUILDINGS = 500


def location_picker(grids, buildings) -> dict:
    """What the place picker shows: the grids (drawn, labelled) and placed buildings on the
    map, and the same as a list of grids with their buildings (each with a WGS-84 point to
    store) for choosing without the map."""
    collection = grid_feature_collection(grids)
    points = building_points(buildings)
    by_grid: dict[str, list[dict]] = {}
    # The list names buildings while it stays short enough for a phone; the map shows them
    # all the same, from street level on.
    for point in points if len(points) <= PICKER_LISTED_BUILDINGS else []:
        by_grid.setdefault(point["grid"], []).append(point)
    places = []
    for feature in collection["features"]:
        properties = feature["properties"]
        try:
            at = shape(feature["geometry"]).representative_point()
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
        places.append(
            {
                **properties,
                "lon": at.x,
                "lat": at.y,
                "buildings": by_grid.get(properties["code"], []),
            }
        )
    return {
        "geojson": display_grids(collection),
        "buildings": display_points(points),
        "places": places,
    }


FORM_FIELDS = (
    "title",
    "description",
    "address",
    "lon",
    "lat",
    "grid",
    "category",
    "urgency",
    "contact_name",
    "contact_phone",
    "client_id",
    "channel",
)


def _float(value):
    try:
        return float(value) if value not in ("", None) else None
    except ValueError:
        raise ValidationFailed(details={"location": [_("The location is not valid.")]}) from None


def input_from_post(post, files, channel) -> services.ReportInput:
    return services.ReportInput(
        channel=channel,
        title=post.get("title", "")[:300],
        description=post.get("description", "")[:5000],
        lon=_float(post.get("lon")),
        lat=_float(post.get("lat")),
        address=post.get("address", "")[:300],
        grid_code=post.get("grid", "")[:20],
        category_code=post.get("category", "")[:10],
        urgency=post.get("urgency", "")[:12],
        contact_name=post.get("contact_name", "")[:60],
        contact_phone=post.get("contact_phone", "")[:30],
        client_id=post.get("client_id", "")[:80],
        photos=files.getlist("photos"),
    )


@requires("events.report")
def event_report(request):
    values = {f: "" for f in FORM_FIELDS}
    errors: dict = {}
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in FORM_FIELDS}
        try:
            data = input_from_post(
                request.POST, request.FILES, channel_for(request.user, values["channel"])
            )
            event, created = services.report_event(actor=request.user, data=data)
        except ValidationFailed as exc:
            errors = exc.details or {"form": [str(exc.message)]}
        except GridGovError as exc:
            errors = {"form": [error_text(exc, model=Event)]}
        else:
            if event.outside_grids:
                messages.warning(
                    request, _("The location is outside every grid: the community queue has it.")
                )
            messages.success(
                request,
                _("Reported as %(code)s.") % {"code": event.tracking_code}
                if created
                else _("Already received as %(code)s.") % {"code": event.tracking_code},
            )
            # Staff follow the event itself; a reporter who may not see the event pages
            # (a resident, a volunteer) lands on their own reports.
            if selectors.Event.objects.visible_to(request.user).filter(pk=event.pk).exists():
                return redirect("events:event_detail", uid=event.uid)
            return redirect("events:my_reports")
    context = report_form_context(request, values, errors)
    context["can_hotline"] = request.user.has_permission("events.dispatch")
    return render(request, "events/report_form.html", context, status=400 if errors else 200)


@requires("events.report")
def my_reports(request):
    """The reporter's own reports with their state, deadline and result (what the
    tracking page shows), for those who may not open the staff event pages."""
    page = Paginator(selectors.reported_by(actor=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "events/my_reports.html", {"page": page})


@requires("events.view")
def event_map(request):
    events = (
        selectors.event_list(actor=request.user, filters=EventFilters(state="open"))
        .filter(lon__isnull=False)
        .select_related("grid")[:2000]
    )
    now = timezone.now()
    points = [
        {
            "uid": str(e.uid),
            "label": f"{e.tracking_code} {e.title}",
            "state": e.state,
            "lon": e.lon,
            "lat": e.lat,
            "overdue": bool(e.handle_due and e.handle_due < now),
        }
        for e in events
    ]
    present = {p["state"] for p in points}
    return render(
        request,
        "events/event_map.html",
        {
            "geojson": display_grids(grid_feature_collection(grid_list(actor=request.user))),
            "points": display_points(points),
            "states": [
                {"value": v, "label": str(label)} for v, label in State.choices if v in present
            ],
        },
    )


@requires("events.view")
def event_photo(request, uid):
    photo = selectors.photo_get(actor=request.user, uid=uid)
    data = photos.photo_content(actor=request.user, photo=photo)
    response = FileResponse(io.BytesIO(data), content_type="image/jpeg")
    response["Cache-Control"] = "no-store"
    return response


@requires("events.dispatch")
@require_POST
def photo_publish(request, uid):
    """Make a photo of an event public (shown in the public feed) or private again."""
    photo = selectors.photo_get(actor=request.user, uid=uid)
    tracking.photo_set_public(
        actor=request.user, photo=photo, public=request.POST.get("public") == "1"
    )
    messages.success(request, _("Done."))
    return redirect("events:event_detail", uid=photo.event.uid)
