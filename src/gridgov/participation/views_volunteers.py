"""Staff pages of volunteering: volunteers (masked) with their star levels, a volunteer's
profile, teams, activities with shifts and sign-ups, and the approval queue. They call
the same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from shapely.geometry import shape

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.maps import display_grids, display_points
from gridgov.core.masking import mask_name
from gridgov.core.permissions import requires
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_filter
from gridgov.org.models import Building, OrgUnit
from gridgov.org.selectors import building_points, grid_feature_collection, grid_list
from gridgov.participation import selectors_volunteers as sel
from gridgov.participation import services_volunteers as services
from gridgov.participation.models import ShiftRecord, Skill, Team, TimeBand, Volunteer

PAGE = 200


def _weekday_choices():
    from django.utils.dates import WEEKDAYS as names

    return [(d, names[d]) for d in range(7)]


def _version(request) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _profile_data(request) -> dict:
    post = request.POST
    return {
        "skills": post.getlist("skills"),
        "weekdays": post.getlist("weekdays"),
        "time_bands": post.getlist("time_bands"),
        "service_area": [c for c in post.get("service_area", "").replace("，", ",").split(",")],
        "teams": post.getlist("teams"),
        "confidentiality_signed_on": post.get("confidentiality_signed_on", ""),
        "status": post.get("status", ""),
        "left_on": post.get("left_on", ""),
    }


def _form_context(user, values=None, errors=None) -> dict:
    return {
        "skills": Skill.choices,
        "weekdays": _weekday_choices(),
        "bands": TimeBand.choices,
        "teams": list(sel.team_list(actor=user)[:PAGE]),
        "statuses": Volunteer.Status.choices,
        "values": values or {},
        "errors": errors or {},
    }


@requires("participation.view")
def volunteer_list(request):
    user = request.user
    status = request.GET.get("status", "")
    if status not in Volunteer.Status.values:
        status = ""
    rows = sel.attach_stars(
        sel.volunteer_list(actor=user, status=status).prefetch_related("teams")[:PAGE]
    )
    for v in rows:
        v.name_masked = mask_name(v.resident.name)
    everyone = sel.attach_stars(sel.volunteer_list(actor=user, status="active"))
    return render(
        request,
        "participation/volunteer_list.html",
        {
            "rows": rows,
            "status": status,
            "statuses": Volunteer.Status.choices,
            "summary": sel.star_summary(everyone),
            "bands": policy_get("participation.volunteers").star_bands,
            "manages": user.has_permission("participation.manage"),
        },
    )


@requires("participation.manage")
def volunteer_register(request):
    user = request.user
    values, errors = {}, {}
    if request.method == "POST":
        values = _profile_data(request)
        values["resident"] = request.POST.get("resident", "").strip()
        try:
            volunteer = services.register_volunteer(
                actor=user, data=values, resident_uid=values["resident"] or "-"
            )
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, _("Volunteer registered: %(badge)s") % {"badge": volunteer.badge_number}
            )
            return redirect("participation:volunteer_detail", uid=volunteer.uid)
    else:
        values["resident"] = request.GET.get("resident", "")
    return render(
        request, "participation/volunteer_register.html", _form_context(user, values, errors)
    )


@requires("participation.view")
def volunteer_detail(request, uid):
    user = request.user
    volunteer = sel.volunteer_get(actor=user, uid=uid)
    errors = {}
    if request.method == "POST":
        try:
            services.update_volunteer(
                actor=user,
                volunteer=volunteer,
                data=_profile_data(request),
                version=_version(request),
            )
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("participation:volunteer_detail", uid=volunteer.uid)
    stars = sel.volunteer_stars(volunteer)
    records = list(
        ShiftRecord.objects.visible_to(user, "view")
        .filter(volunteer=volunteer)
        .select_related("shift__activity")[:50]
    )
    values = {
        "skills": volunteer.skills,
        "weekdays": volunteer.weekdays,
        "time_bands": volunteer.time_bands,
        "service_area": ",".join(volunteer.service_area.values_list("code", flat=True)),
        "teams": [str(t) for t in volunteer.teams.values_list("uid", flat=True)],
        "confidentiality_signed_on": volunteer.confidentiality_signed_on,
        "status": volunteer.status,
        "left_on": volunteer.left_on,
    }
    context = _form_context(user, values, errors)
    context.update(
        {
            "volunteer": volunteer,
            "name_masked": mask_name(volunteer.resident.name),
            "stars": stars,
            "records": records,
            "may_touch": sel.may_touch_personal_data(volunteer),
            "manages": user.has_permission("participation.manage"),
            "skill_labels": dict(Skill.choices),
        }
    )
    return render(request, "participation/volunteer_detail.html", context)


@requires("participation.view")
def team_list(request):
    user = request.user
    errors = {}
    if request.method == "POST":
        try:
            services.team_create(
                actor=user,
                community_code=request.POST.get("community", ""),
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
            )
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Team created."))
            return redirect("participation:team_list")
    communities = []
    scope = path_filter(user, "participation.manage")
    if scope is not None:
        communities = list(OrgUnit.objects.filter(scope, level="community").order_by("code"))
    return render(
        request,
        "participation/team_list.html",
        {
            "teams": list(sel.team_list(actor=user)[:PAGE]),
            "kinds": Team.Kind.choices,
            "communities": communities,
            "errors": errors,
        },
    )


def location_picker(user) -> dict:
    """The grids and placed buildings of the user's scope for the place picker (the
    events' conventions: WGS-84 stored, the base map's system shown)."""
    collection = grid_feature_collection(grid_list(actor=user))
    points = building_points(Building.objects.visible_to(user))
    by_grid: dict[str, list[dict]] = {}
    for point in points if len(points) <= 500 else []:
        by_grid.setdefault(point["grid"], []).append(point)
    places = []
    for feature in collection["features"]:
        try:
            at = shape(feature["geometry"]).representative_point()
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
        code = feature["properties"]["code"]
        places.append(
            {**feature["properties"], "lon": at.x, "lat": at.y, "buildings": by_grid.get(code, [])}
        )
    return {
        "geojson": display_grids(collection),
        "buildings": display_points(points),
        "places": places,
    }


@requires("participation.view")
def activity_list(request):
    user = request.user
    return render(
        request,
        "participation/activity_list.html",
        {
            "activities": list(sel.activity_list(actor=user)[:PAGE]),
            "manages": user.has_permission("participation.manage"),
        },
    )


@requires("participation.manage")
def activity_create(request):
    user = request.user
    values, errors = {"radius_m": policy_get("participation.volunteers").radius_m}, {}
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "")
            for k in ("org_unit", "title", "description", "place", "lon", "lat", "radius_m", "team")
        }
        values["touches_personal_data"] = bool(request.POST.get("touches_personal_data"))
        try:
            activity = services.activity_create(actor=user, data=values)
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Activity created: now add its shifts."))
            return redirect("participation:activity_detail", uid=activity.uid)
    scope = path_filter(user, "participation.manage")
    units = (
        list(
            OrgUnit.objects.filter(scope, level__in=["street", "community", "grid"]).order_by(
                "code"
            )
        )
        if scope is not None
        else []
    )
    return render(
        request,
        "participation/activity_form.html",
        {
            "values": values,
            "errors": errors,
            "units": units,
            "teams": list(sel.team_list(actor=user)[:PAGE]),
            "picker": location_picker(user),
        },
    )


@requires("participation.view")
def activity_detail(request, uid):
    user = request.user
    activity = sel.activity_get(actor=user, uid=uid)
    errors = {}
    if request.method == "POST":
        try:
            services.shift_create(
                actor=user,
                activity=activity,
                data={k: request.POST.get(k, "") for k in ("start", "end", "slots", "recipient")},
            )
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Shift added."))
            return redirect("participation:activity_detail", uid=activity.uid)
    shifts = list(activity.shifts.select_related("recipient"))
    records = {}
    for r in (
        ShiftRecord.objects.visible_to(user, "view")
        .filter(shift__in=shifts)
        .select_related("volunteer__resident")
        .order_by("signed_up_at")
    ):
        r.name_masked = mask_name(r.volunteer.resident.name)
        records.setdefault(r.shift_id, []).append(r)
    counts = sel.holding_counts(shifts)
    for s in shifts:
        s.taken = counts.get(s.pk, 0)
        s.rows = records.get(s.pk, [])
        s.recipient_masked = mask_name(s.recipient.name) if s.recipient_id else ""
    return render(
        request,
        "participation/activity_detail.html",
        {
            "activity": activity,
            "shifts": shifts,
            "errors": errors,
            "manages": user.has_permission("participation.manage"),
        },
    )


@requires("participation.manage")
def approval_queue(request):
    user = request.user
    rows = list(sel.approval_queue(actor=user)[:PAGE])
    for r in rows:
        r.name_masked = mask_name(r.volunteer.resident.name)
        r.cap = services.max_hours(r.shift)
    return render(request, "participation/approval_queue.html", {"rows": rows})


@require_POST
@requires("participation.manage")
def record_approve(request, uid):
    user = request.user
    record = sel.record_get(actor=user, uid=uid, action="manage")
    try:
        services.approve(
            actor=user,
            record=record,
            hours=request.POST.get("hours", ""),
            rating=request.POST.get("rating", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Hours approved."))
    return redirect("participation:approval_queue")
