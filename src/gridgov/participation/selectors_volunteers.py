"""Reads of volunteering: volunteers with their approved hours, average rating and star
level; teams; activities and shifts; the shifts open to a volunteer; the approval queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gridgov.core.policies import policy_get
from gridgov.core.scoping import access_object
from gridgov.org.models import OrgUnit
from gridgov.participation.models import Activity, Shift, ShiftRecord, Team, Volunteer

R = ShiftRecord.State


@dataclass(frozen=True)
class Stars:
    stars: int
    hours: Decimal
    rating: float | None
    next_stars: int | None
    next_hours: float | None


def star_level(hours, rating, bands=None) -> int:
    """The highest band whose hours (and average rating, where the band asks for one) are
    reached; 0 below the first band. A band that asks for a rating needs at least one."""
    bands = bands if bands is not None else policy_get("participation.volunteers").star_bands
    best = 0
    for band in bands:
        if float(hours) < band.min_hours:
            continue
        if band.min_rating is not None and (rating is None or rating < band.min_rating):
            continue
        best = max(best, band.stars)
    return best


def stars_of(hours, rating) -> Stars:
    bands = sorted(policy_get("participation.volunteers").star_bands, key=lambda b: b.stars)
    stars = star_level(hours, rating, bands)
    following = next((b for b in bands if b.stars > stars), None)
    return Stars(
        stars,
        Decimal(hours or 0),
        round(rating, 2) if rating is not None else None,
        following.stars if following else None,
        following.min_hours if following else None,
    )


def with_totals(qs):
    approved = Q(records__state=R.APPROVED)
    return qs.annotate(
        approved_hours=Coalesce(
            Sum("records__hours", filter=approved),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=9, decimal_places=2),
        ),
        average_rating=Avg("records__rating", filter=Q(records__rating__isnull=False)),
    )


def volunteer_stars(volunteer: Volunteer) -> Stars:
    row = with_totals(Volunteer.objects.filter(pk=volunteer.pk)).values(
        "approved_hours", "average_rating"
    )[0]
    return stars_of(row["approved_hours"], row["average_rating"])


def may_touch_personal_data(volunteer: Volunteer, on: date | None = None) -> bool:
    """Only an active volunteer who signed the confidentiality agreement (on or before the
    day) may be given a task touching personal data."""
    day = on or timezone.localdate()
    return (
        volunteer.status == Volunteer.Status.ACTIVE
        and volunteer.confidentiality_signed_on is not None
        and volunteer.confidentiality_signed_on <= day
    )


def volunteer_for(resident) -> Volunteer | None:
    if resident is None:
        return None
    return Volunteer.objects.filter(resident=resident).select_related("resident").first()


def volunteer_list(*, actor, status: str = "", stars: int | None = None, team=None):
    qs = with_totals(
        Volunteer.objects.visible_to(actor, "view").select_related("resident", "district")
    )
    if status:
        qs = qs.filter(status=status)
    if team is not None:
        qs = qs.filter(teams=team)
    return qs.order_by("scope_path", "badge_number")


def volunteer_get(*, actor, uid, action: str = "view") -> Volunteer:
    return access_object(
        actor, Volunteer.objects.select_related("resident", "district"), action, uid=uid
    )


def star_summary(rows) -> list[tuple[int, int]]:
    counts: dict[int, int] = {}
    for v in rows:
        counts[v.stars.stars] = counts.get(v.stars.stars, 0) + 1
    return [(s, counts.get(s, 0)) for s in range(5, -1, -1)]


def attach_stars(rows) -> list:
    rows = list(rows)
    for v in rows:
        v.stars = stars_of(v.approved_hours, v.average_rating)
    return rows


def team_list(*, actor):
    return (
        Team.objects.visible_to(actor, "view")
        .select_related("community")
        .annotate(n=Count("members", filter=Q(members__status=Volunteer.Status.ACTIVE)))
    )


def team_get(*, actor, uid, action: str = "view") -> Team:
    return access_object(actor, Team.objects.select_related("community"), action, uid=uid)


def activity_list(*, actor):
    return (
        Activity.objects.visible_to(actor, "view")
        .select_related("org_unit", "team")
        .annotate(n_shifts=Count("shifts"))
    )


def activity_get(*, actor, uid, action: str = "view") -> Activity:
    return access_object(
        actor, Activity.objects.select_related("org_unit", "team", "organiser"), action, uid=uid
    )


def holding_counts(shifts) -> dict[int, int]:
    rows = (
        ShiftRecord.objects.filter(shift__in=shifts, state__in=ShiftRecord.HOLDING)
        .values("shift")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["shift"]: r["n"] for r in rows}


def shift_get(*, actor, uid, action: str = "view") -> Shift:
    return access_object(
        actor, Shift.objects.select_related("activity", "recipient"), action, uid=uid
    )


def record_get(*, actor, uid, action: str = "view") -> ShiftRecord:
    return access_object(
        actor,
        ShiftRecord.objects.select_related(
            "shift__activity", "shift__recipient", "volunteer__resident"
        ),
        action,
        uid=uid,
    )


def volunteer_area_paths(volunteer: Volunteer) -> list[str]:
    """Where a volunteer serves: their community and the units of their service area."""
    grid = volunteer.resident.household.grid
    community = grid.parent if grid.parent_id else grid
    paths = {community.path}
    paths.update(volunteer.service_area.values_list("path", flat=True))
    return sorted(paths)


def _under(paths: list[str], field: str = "scope_path") -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
    return query


def open_shifts(volunteer: Volunteer, *, now=None):
    """Shifts still to start in the volunteer's area, with their free slots."""
    now = now or timezone.now()
    paths = volunteer_area_paths(volunteer)
    return (
        Shift.objects.filter(_under(paths), start_at__gt=now)
        .select_related("activity")
        .annotate(taken=Count("records", filter=Q(records__state__in=ShiftRecord.HOLDING)))
        .order_by("start_at", "pk")
    )


def shift_for_volunteer(volunteer: Volunteer, uid) -> Shift:
    """A shift in the volunteer's area (anything else reads as missing)."""
    from gridgov.core.errors import NotFound

    shift = (
        Shift.objects.filter(_under(volunteer_area_paths(volunteer)), uid=uid)
        .select_related("activity", "recipient")
        .first()
    )
    if shift is None:
        raise NotFound()
    return shift


def own_records(volunteer: Volunteer):
    return (
        ShiftRecord.objects.filter(volunteer=volunteer)
        .select_related("shift__activity")
        .order_by("-shift__start_at", "-pk")
    )


def own_record(volunteer: Volunteer, uid) -> ShiftRecord:
    from gridgov.core.errors import NotFound

    record = own_records(volunteer).filter(uid=uid).select_related("shift__recipient").first()
    if record is None:
        raise NotFound()
    return record


def approval_queue(*, actor, resident=None):
    """Checked-out records waiting for approval: those the actor organises (manage in
    scope) and, for a resident, those of shifts naming them as the person served."""
    manage = ShiftRecord.objects.visible_to(actor, "manage")
    qs = manage
    if resident is not None:
        qs = ShiftRecord.objects.filter(
            Q(pk__in=manage.values("pk")) | Q(shift__recipient=resident)
        )
    return (
        qs.filter(state=R.CHECKED_OUT)
        .select_related("shift__activity", "volunteer__resident")
        .order_by("checked_out_at", "pk")
    )


def community_of(unit: OrgUnit) -> OrgUnit:
    while unit.level not in (OrgUnit.Level.COMMUNITY,) and unit.parent_id:
        if unit.level in (OrgUnit.Level.DISTRICT, OrgUnit.Level.STREET):
            return unit
        unit = unit.parent
    return unit


def district_of(unit: OrgUnit) -> OrgUnit:
    while unit.level != OrgUnit.Level.DISTRICT and unit.parent_id:
        unit = unit.parent
    return unit
