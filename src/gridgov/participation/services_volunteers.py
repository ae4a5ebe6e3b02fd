"""Writes of volunteering: registering a volunteer (by themselves, or by staff on their
behalf — 代办), changing a profile, teams, activities and shifts, and the shift record's
steps: sign-up, cancel, check-in, check-out, approval (which sends ``hours_approved``) and
rating. Every write checks permission and scope, validates with a message per field,
writes one audit record in its transaction and fails as a whole.

Racing sign-ups for the last slot: the sign-up locks the shift's row, then counts the
records holding a slot; the loser waits for the lock and gets 409 ``shift_full``. One record
per volunteer and shift (a unique constraint): a second sign-up is 409 ``already_signed_up``;
a cancelled one is taken up again. Check-in and check-out carry the phone's client id:
sending the same one again returns the stored result and writes nothing."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import access_object, path_in_scope, require_in_scope
from gridgov.org.models import OrgUnit
from gridgov.participation import selectors_volunteers as sel
from gridgov.participation.models import (
    Activity,
    Shift,
    ShiftRecord,
    Skill,
    Team,
    TimeBand,
    Volunteer,
)
from gridgov.participation.signals import hours_approved
from gridgov.people.models import Resident
from gridgov.residents.selectors import require_resident, resident_for

R = ShiftRecord.State


def _name(actor) -> str:
    return actor.get_username()


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (WGS-84 mean radius)."""
    rad = math.radians
    dlat, dlon = rad(lat2 - lat1), rad(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 6_371_008.8 * 2 * math.asin(math.sqrt(a))


# Field helpers ---------------------------------------------------------------------------


def _text(value: Any, key: str, limit: int, errors: dict, *, required: str = "") -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors[key] = [_("At most %(n)s characters.") % {"n": limit}]
    elif not text and required:
        errors[key] = [required]
    return text


def _choices(value: Any, allowed, key: str, errors: dict) -> list:
    items = value if isinstance(value, (list, tuple)) else ([] if value in (None, "") else [value])
    items = [str(i) for i in items]
    allowed = {str(a) for a in allowed}
    if any(i not in allowed for i in items):
        errors[key] = [_("Choose from the list.")]
        return []
    return sorted(set(items), key=lambda i: (len(i), i))


def _day(value: Any, key: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value).strip()) if str(value).strip() else None
    if parsed is None:
        errors[key] = [_("Give a date such as 2026-12-01.")]
    return parsed


def _moment(value: Any, key: str, errors: dict) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value or "").strip())
        except ValueError:
            moment = None
    if moment is None:
        errors[key] = [_("Give a date and time such as 2026-12-01T09:00.")]
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _int(value: Any, key: str, errors: dict, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[key] = [_("Give a whole number.")]
        return None
    if not low <= number <= high:
        errors[key] = [_("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


def _coordinate(value: Any, key: str, low: float, high: float, errors: dict) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        errors[key] = [_("Your location is missing: allow the browser to use it.")]
        return None
    if not math.isfinite(number) or not low <= number <= high:
        errors[key] = [_("This is not a valid coordinate.")]
        return None
    return number


def _client_id(value: Any, errors: dict) -> uuid.UUID:
    if value in (None, ""):
        return uuid.uuid4()
    try:
        return uuid.UUID(str(value))
    except ValueError:
        errors["client_id"] = [_("The client id must be a UUID.")]
        return uuid.uuid4()


def _units(codes: Any, district: OrgUnit, errors: dict) -> list[OrgUnit]:
    codes = codes if isinstance(codes, (list, tuple)) else ([codes] if codes else [])
    codes = [str(c).strip() for c in codes if str(c).strip()]
    units = list(
        OrgUnit.objects.filter(
            code__in=codes,
            path__startswith=district.path,
            level__in=[OrgUnit.Level.COMMUNITY, OrgUnit.Level.GRID],
        )
    )
    if len(units) != len(set(codes)):
        errors["service_area"] = [_("Choose communities or grids of the volunteer's district.")]
    return units


def _teams(uids: Any, district: OrgUnit, errors: dict) -> list[Team]:
    uids = uids if isinstance(uids, (list, tuple)) else ([uids] if uids else [])
    clean = []
    for raw in uids:
        try:
            clean.append(uuid.UUID(str(raw)))
        except ValueError:
            errors["teams"] = [_("Choose teams from the list.")]
            return []
    teams = list(Team.objects.filter(uid__in=clean, scope_path__startswith=district.path))
    if len(teams) != len(set(clean)):
        errors["teams"] = [_("Choose teams of the volunteer's district.")]
    return teams


# Volunteers ----------------------------------------------------------------------------------


def _profile(data: dict, district: OrgUnit, errors: dict, *, staff: bool) -> dict:
    clean: dict[str, Any] = {
        "skills": _choices(data.get("skills"), Skill.values, "skills", errors),
        "weekdays": [int(d) for d in _choices(data.get("weekdays"), range(7), "weekdays", errors)],
        "time_bands": _choices(data.get("time_bands"), TimeBand.values, "time_bands", errors),
        "service_area": _units(data.get("service_area"), district, errors),
        "teams": _teams(data.get("teams"), district, errors),
    }
    if staff:
        signed = _day(data.get("confidentiality_signed_on"), "confidentiality_signed_on", errors)
        if signed is not None and signed > timezone.localdate():
            errors["confidentiality_signed_on"] = [_("The agreement date cannot be in the future.")]
        clean["confidentiality_signed_on"] = signed
    return clean


def _next_badge(district: OrgUnit) -> str:
    OrgUnit.objects.select_for_update().filter(pk=district.pk).first()
    last = (
        Volunteer.objects.filter(district=district, badge_number__startswith="ZY")
        .order_by("-badge_number")
        .values_list("badge_number", flat=True)
        .first()
    )
    number = int(last[2:]) + 1 if last and last[2:].isdigit() else 1
    return f"ZY{number:06d}"


def register_volunteer(*, actor, data: dict, resident_uid=None) -> Volunteer:
    """A resident registers themselves (``participation.take_part``, their bound record),
    or staff register a resident of their scope (``participation.manage``; recorded as
    代办). Only staff record the confidentiality agreement (signed on paper in front of
    them). One profile per resident: a second is 409 ``already_registered``."""
    if resident_uid:
        if not actor.has_permission("participation.manage"):
            raise PermissionDenied()
        try:
            resident = access_object(actor, Resident.objects.active(), "view", uid=resident_uid)
        except NotFound:
            raise ValidationFailed(
                details={"resident": [_("No such resident in your area.")]}
            ) from None
        require_in_scope(actor, resident.scope_path, "participation.manage")
        on_behalf = True
    else:
        if not actor.has_permission("participation.take_part"):
            raise PermissionDenied()
        resident = require_resident(actor)
        on_behalf = False
    grid = resident.household.grid
    district = sel.district_of(grid)
    errors: dict[str, list[str]] = {}
    clean = _profile(data, district, errors, staff=on_behalf)
    if errors:
        raise ValidationFailed(details=errors)
    if Volunteer.objects.filter(resident=resident).exists():
        raise Conflict(
            _("This resident is already registered as a volunteer."), code="already_registered"
        )
    try:
        with transaction.atomic():
            volunteer = Volunteer(
                resident=resident,
                scope_path=resident.scope_path,
                district=district,
                badge_number=_next_badge(district),
                skills=clean["skills"],
                weekdays=clean["weekdays"],
                time_bands=clean["time_bands"],
                confidentiality_signed_on=clean.get("confidentiality_signed_on"),
                status_since=timezone.localdate(),
                registered_by_name=_name(actor),
                on_behalf=on_behalf,
            )
            volunteer.save()
            volunteer.service_area.set(clean["service_area"])
            volunteer.teams.set(clean["teams"])
            audit_record(
                "participation.volunteer.register",
                actor=actor,
                target=volunteer,
                changes={
                    "badge_number": volunteer.badge_number,
                    "on_behalf": on_behalf,
                    "skills": clean["skills"],
                    "teams": [t.name for t in clean["teams"]],
                },
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This resident is already registered as a volunteer."), code="already_registered"
        ) from exc
    return volunteer


def update_volunteer(*, actor, volunteer: Volunteer, data: dict, version: int | None) -> Volunteer:
    """Staff change a profile: skills, availability, service area, teams, the
    confidentiality agreement, and the status (active / paused / left with its date)."""
    require_in_scope(actor, volunteer.scope_path, "participation.manage")
    errors: dict[str, list[str]] = {}
    clean = _profile(data, volunteer.district, errors, staff=True)
    status = str(data.get("status") or volunteer.status)
    if status not in Volunteer.Status.values:
        errors["status"] = [_("Choose from the list.")]
    left_on = _day(data.get("left_on"), "left_on", errors)
    if status == Volunteer.Status.LEFT and left_on is None and "left_on" not in errors:
        left_on = timezone.localdate()
    if left_on is not None and left_on > timezone.localdate():
        errors["left_on"] = [_("The date cannot be in the future.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if version is not None and version != current.version:
            raise Conflict()
        before = {
            "skills": current.skills,
            "status": current.status,
            "confidentiality_signed_on": str(current.confidentiality_signed_on or ""),
        }
        current.skills = clean["skills"]
        current.weekdays = clean["weekdays"]
        current.time_bands = clean["time_bands"]
        current.confidentiality_signed_on = clean["confidentiality_signed_on"]
        if status != current.status:
            current.status = status
            current.status_since = timezone.localdate()
        current.left_on = left_on if status == Volunteer.Status.LEFT else None
        current.version += 1
        current.save()
        current.service_area.set(clean["service_area"])
        current.teams.set(clean["teams"])
        after = {
            "skills": current.skills,
            "status": current.status,
            "confidentiality_signed_on": str(current.confidentiality_signed_on or ""),
        }
        audit_record(
            "participation.volunteer.update",
            actor=actor,
            target=current,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return current


# Teams, activities, shifts ----------------------------------------------------------------


def team_create(*, actor, community_code: str, name: str, kind: str) -> Team:
    errors: dict[str, list[str]] = {}
    community = OrgUnit.objects.filter(
        code=str(community_code or "").strip(), level=OrgUnit.Level.COMMUNITY
    ).first()
    if community is None or not path_in_scope(actor, community.path, "participation.manage"):
        errors["community"] = [_("Choose a community of your area.")]
    name = _text(name, "name", 60, errors, required=_("Give the team a name."))
    if kind not in Team.Kind.values:
        errors["kind"] = [_("Choose from the list.")]
    if errors:
        raise ValidationFailed(details=errors)
    try:
        with transaction.atomic():
            team = Team.objects.create(community=community, name=name, kind=kind)
            audit_record(
                "participation.team.create",
                actor=actor,
                target=team,
                changes={"name": name, "kind": kind},
            )
    except IntegrityError as exc:
        raise Conflict(
            _("The community already has a team of this name."), code="team_exists"
        ) from exc
    return team


def activity_create(*, actor, data: dict) -> Activity:
    """An activity of a community or grid in the organiser's scope, at a place with its
    point (WGS-84) and check-in radius (the policy's default when not given)."""
    errors: dict[str, list[str]] = {}
    unit = OrgUnit.objects.filter(code=str(data.get("org_unit") or "").strip()).first()
    if unit is None or not path_in_scope(actor, unit.path, "participation.manage"):
        raise NotFound()  # missing and outside the scope read alike
    if unit.level not in (OrgUnit.Level.COMMUNITY, OrgUnit.Level.GRID, OrgUnit.Level.STREET):
        errors["org_unit"] = [_("Choose a street, community or grid of your area.")]
    title = _text(data.get("title"), "title", 120, errors, required=_("Give the activity a title."))
    description = _text(data.get("description"), "description", 2000, errors)
    place = _text(data.get("place"), "place", 120, errors, required=_("Say where it takes place."))
    lon = _coordinate(data.get("lon"), "location", 73, 136, errors)
    lat = _coordinate(data.get("lat"), "location", 3, 54, errors) if lon is not None else None
    if "location" in errors:
        errors["location"] = [_("Choose the place on the map or give its coordinates.")]
    radius = data.get("radius_m")
    if radius in (None, ""):
        radius = policy_get("participation.volunteers").radius_m
    else:
        radius = _int(radius, "radius_m", errors, 20, 5000)
    team = None
    if data.get("team"):
        team_errors: dict = {}
        district = sel.district_of(unit) if unit else None
        teams = _teams([data["team"]], district, team_errors) if district else []
        if team_errors or not teams:
            errors["team"] = [_("Choose a team of your area.")]
        else:
            team = teams[0]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        activity = Activity.objects.create(
            org_unit=unit,
            title=title,
            description=description,
            place=place,
            lon=lon,
            lat=lat,
            radius_m=radius,
            touches_personal_data=bool(data.get("touches_personal_data")),
            team=team,
            organiser=actor,
        )
        audit_record(
            "participation.activity.create",
            actor=actor,
            target=activity,
            changes={
                "title": title,
                "radius_m": radius,
                "touches_personal_data": activity.touches_personal_data,
            },
        )
    return activity


def shift_create(*, actor, activity: Activity, data: dict) -> Shift:
    require_in_scope(actor, activity.scope_path, "participation.manage")
    errors: dict[str, list[str]] = {}
    start = _moment(data.get("start"), "start", errors)
    end = _moment(data.get("end"), "end", errors)
    if start and end and end <= start:
        errors["end"] = [_("The end must be after the start.")]
    elif start and end and end - start > timedelta(hours=12):
        errors["end"] = [_("A shift lasts at most 12 hours.")]
    slots = _int(data.get("slots"), "slots", errors, 1, 500)
    recipient = None
    if data.get("recipient"):
        try:
            recipient = access_object(
                actor, Resident.objects.active(), "view", uid=data.get("recipient")
            )
        except NotFound:
            errors["recipient"] = [_("No such resident in your area.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        shift = Shift.objects.create(
            activity=activity, start_at=start, end_at=end, slots=slots, recipient=recipient
        )
        audit_record(
            "participation.shift.create",
            actor=actor,
            target=shift,
            changes={"start": start.isoformat(), "end": end.isoformat(), "slots": slots},
        )
    return shift


# The shift record ----------------------------------------------------------------------------


def own_volunteer(actor) -> Volunteer:
    if not actor.has_permission("participation.take_part"):
        raise PermissionDenied()
    resident = require_resident(actor)
    volunteer = sel.volunteer_for(resident)
    if volunteer is None:
        raise PermissionDenied(_("Register as a volunteer first."), code="not_a_volunteer")
    return volunteer


def _personal_data_gate(volunteer: Volunteer, activity: Activity) -> None:
    if activity.touches_personal_data and not sel.may_touch_personal_data(volunteer):
        raise PermissionDenied(
            _(
                "This activity touches residents' personal data: only volunteers who have "
                "signed the confidentiality agreement may take part."
            ),
            code="confidentiality_required",
        )


def sign_up(*, actor, shift: Shift, volunteer: Volunteer | None = None) -> ShiftRecord:
    """The volunteer (themselves, or staff for them) takes a slot of a shift still to
    start. 409 ``shift_full`` when no slot is left, ``already_signed_up`` the second time."""
    if volunteer is None:
        volunteer = own_volunteer(actor)
        shift = sel.shift_for_volunteer(volunteer, shift.uid)
        by = _name(actor)
    else:
        require_in_scope(actor, shift.scope_path, "participation.manage")
        by = f"{_name(actor)} (代办)"
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ValidationFailed(details={"volunteer": [_("Only an active volunteer can sign up.")]})
    if shift.start_at <= timezone.now():
        raise ValidationFailed(details={"shift": [_("This shift has already started.")]})
    _personal_data_gate(volunteer, shift.activity)
    with transaction.atomic():
        locked = Shift.objects.select_for_update().get(pk=shift.pk)
        existing = (
            ShiftRecord.objects.select_for_update()
            .filter(shift=locked, volunteer=volunteer)
            .first()
        )
        if existing is not None and existing.state != R.CANCELLED:
            raise Conflict(_("You are already signed up for this shift."), code="already_signed_up")
        taken = ShiftRecord.objects.filter(shift=locked, state__in=ShiftRecord.HOLDING).count()
        if taken >= locked.slots:
            raise Conflict(_("This shift is full: every slot has been taken."), code="shift_full")
        now = timezone.now()
        if existing is not None:
            record = existing
            record.state = R.SIGNED_UP
            record.cancelled_at = None
            record.signed_up_at = now
            record.signed_up_by_name = by
            record.version += 1
            record.save()
        else:
            record = ShiftRecord.objects.create(
                shift=locked,
                volunteer=volunteer,
                scope_path=locked.scope_path,
                signed_up_at=now,
                signed_up_by_name=by,
            )
        audit_record(
            "participation.shift.sign_up",
            actor=actor,
            target=record,
            changes={"shift": str(locked.uid), "volunteer": volunteer.badge_number},
        )
    return record


def cancel(*, actor, record: ShiftRecord) -> ShiftRecord:
    """The volunteer cancels before the shift starts."""
    volunteer = own_volunteer(actor)
    if record.volunteer_id != volunteer.pk:
        raise NotFound()
    with transaction.atomic():
        current = ShiftRecord.objects.select_for_update().select_related("shift").get(pk=record.pk)
        if current.state != R.SIGNED_UP:
            raise Conflict(_("Only a sign-up not yet checked in can be cancelled."), code="state")
        if current.shift.start_at <= timezone.now():
            raise ValidationFailed(
                details={"shift": [_("The shift has started: it can no longer be cancelled.")]}
            )
        current.state = R.CANCELLED
        current.cancelled_at = timezone.now()
        current.version += 1
        current.save()
        audit_record("participation.shift.cancel", actor=actor, target=current, changes={})
    return current


def _location(data: dict, errors: dict) -> tuple[float | None, float | None]:
    lon = _coordinate(data.get("lon"), "location", -180, 180, errors)
    lat = _coordinate(data.get("lat"), "location", -90, 90, errors)
    return lon, lat


def check_in(*, actor, record: ShiftRecord, data: dict) -> ShiftRecord:
    """On the phone, at the place: from the policy's minutes before the start until the
    end, within the activity's radius (outside: refused with the distance). The same
    client id again returns the stored check-in."""
    volunteer = own_volunteer(actor)
    if record.volunteer_id != volunteer.pk:
        raise NotFound()
    errors: dict[str, list[str]] = {}
    client_id = _client_id(data.get("client_id"), errors)
    lon, lat = _location(data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = (
            ShiftRecord.objects.select_for_update()
            .select_related("shift__activity")
            .get(pk=record.pk)
        )
        if current.check_in_client_id == client_id:
            return current  # a resend: the stored result
        if current.state != R.SIGNED_UP:
            raise Conflict(_("You have already checked in for this shift."), code="state")
        shift, activity = current.shift, current.shift.activity
        _personal_data_gate(volunteer, activity)
        now = timezone.now()
        early = timedelta(minutes=policy_get("participation.volunteers").checkin_early_minutes)
        if now < shift.start_at - early:
            raise ValidationFailed(
                details={
                    "shift": [
                        _("Check-in opens %(minutes)s minutes before the start.")
                        % {"minutes": int(early.total_seconds() // 60)}
                    ]
                }
            )
        if now >= shift.end_at:
            raise ValidationFailed(details={"shift": [_("This shift has ended.")]})
        distance = distance_m(lon, lat, activity.lon, activity.lat)
        if distance > activity.radius_m:
            raise ValidationFailed(
                _("You are not at the place of the activity."),
                code="outside_place",
                details={
                    "location": [
                        _("You are %(distance)s m from the place; check in within %(radius)s m.")
                        % {"distance": round(distance), "radius": activity.radius_m}
                    ]
                },
            )
        current.state = R.CHECKED_IN
        current.checked_in_at = now
        current.check_in_distance_m = round(distance)
        current.check_in_client_id = client_id
        current.version += 1
        current.save()
        audit_record(
            "participation.shift.check_in",
            actor=actor,
            target=current,
            changes={"distance_m": round(distance), "client_id": str(client_id)},
        )
    return current


def hours_between(start: datetime, end: datetime, shift: Shift) -> Decimal:
    """Minutes worked, capped at the shift's length plus the tolerance, rounded down to
    the policy's step, in hours."""
    policy = policy_get("participation.volunteers")
    minutes = max(0, (end - start).total_seconds() // 60)
    cap = (shift.end_at - shift.start_at).total_seconds() // 60 + policy.tolerance_minutes
    minutes = min(minutes, cap)
    minutes -= minutes % policy.round_minutes
    return (Decimal(int(minutes)) / Decimal(60)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def max_hours(shift: Shift) -> Decimal:
    return hours_between(shift.start_at, shift.end_at + timedelta(days=1), shift)


def check_out(*, actor, record: ShiftRecord, data: dict) -> ShiftRecord:
    """Check out: the hours from check-in, capped and rounded by policy. The place is
    recorded (the distance is shown to the approver) but not refused: the volunteer may
    have gone with the person served. The same client id again returns the stored result."""
    volunteer = own_volunteer(actor)
    if record.volunteer_id != volunteer.pk:
        raise NotFound()
    errors: dict[str, list[str]] = {}
    client_id = _client_id(data.get("client_id"), errors)
    lon, lat = _location(data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = (
            ShiftRecord.objects.select_for_update()
            .select_related("shift__activity")
            .get(pk=record.pk)
        )
        if current.check_out_client_id == client_id:
            return current
        if current.state == R.SIGNED_UP:
            raise Conflict(_("Check in before you check out."), code="not_checked_in")
        if current.state != R.CHECKED_IN:
            raise Conflict(_("You have already checked out of this shift."), code="state")
        now = timezone.now()
        activity = current.shift.activity
        distance = distance_m(lon, lat, activity.lon, activity.lat)
        current.state = R.CHECKED_OUT
        current.checked_out_at = now
        current.check_out_distance_m = min(round(distance), 2_000_000_000)
        current.check_out_client_id = client_id
        current.hours = hours_between(current.checked_in_at, now, current.shift)
        current.version += 1
        current.save()
        audit_record(
            "participation.shift.check_out",
            actor=actor,
            target=current,
            changes={
                "hours": str(current.hours),
                "distance_m": current.check_out_distance_m,
                "client_id": str(client_id),
            },
        )
    return current


def may_approve(actor, record: ShiftRecord) -> bool:
    if path_in_scope(actor, record.scope_path, "participation.manage"):
        return True
    recipient = record.shift.recipient_id
    if recipient is None or not actor.has_permission("participation.take_part"):
        return False
    resident = resident_for(actor)
    return resident is not None and resident.pk == recipient


def _rating(value: Any, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    return _int(value, "rating", errors, 1, 5)


def approve(*, actor, record: ShiftRecord, hours: Any = None, rating: Any = None) -> ShiftRecord:
    """The organiser (``participation.manage`` in scope) or the person served approves the
    checked-out hours (as recorded, or corrected — never beyond the shift's length plus the
    tolerance), optionally with a rating. A second approval is 409 ``already_approved``.
    ``hours_approved`` is sent inside the transaction."""
    if not may_approve(actor, record):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    amount = None
    if hours not in (None, ""):
        try:
            amount = Decimal(str(hours).strip()).quantize(Decimal("0.01"), ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            errors["hours"] = [_("Give the hours as a number, such as 2.5.")]
        else:
            cap = max_hours(record.shift)
            if amount <= 0:
                errors["hours"] = [_("Hours must be more than 0.")]
            elif amount > cap:
                errors["hours"] = [
                    _("At most %(hours)s hours: the shift's length plus the tolerance.")
                    % {"hours": cap}
                ]
    score = _rating(rating, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = (
            ShiftRecord.objects.select_for_update()
            .select_related("shift", "volunteer__resident")
            .get(pk=record.pk)
        )
        if current.state == R.APPROVED:
            raise Conflict(_("These hours have already been approved."), code="already_approved")
        if current.state != R.CHECKED_OUT:
            raise Conflict(
                _("Only hours of a checked-out shift can be approved."), code="not_checked_out"
            )
        before = str(current.hours)
        now = timezone.now()
        if amount is not None:
            current.hours = amount
        if not current.hours or current.hours <= 0:
            raise ValidationFailed(
                details={"hours": [_("Give the hours served: the check-out recorded none.")]}
            )
        current.state = R.APPROVED
        current.approved_at = now
        current.approved_by_name = _name(actor)
        if score is not None:
            current.rating = score
            current.rated_by_name = _name(actor)
            current.rated_at = now
        current.version += 1
        current.save()
        audit_record(
            "participation.shift.approve",
            actor=actor,
            target=current,
            changes={"hours": [before, str(current.hours)], "rating": score},
        )
        hours_approved.send(
            sender=ShiftRecord,
            resident=current.volunteer.resident,
            source=current,
            hours=current.hours,
            approver=actor,
        )
    return current


def rate(*, actor, record: ShiftRecord, rating: Any) -> ShiftRecord:
    """A rating (1–5) of the service, once, by the organiser or the person served."""
    if not may_approve(actor, record):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    score = _rating(rating, errors)
    if score is None and not errors:
        errors["rating"] = [_("Give a rating from 1 to 5.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = ShiftRecord.objects.select_for_update().get(pk=record.pk)
        if current.state not in (R.CHECKED_OUT, R.APPROVED):
            raise Conflict(_("Only a completed shift can be rated."), code="not_checked_out")
        if current.rating is not None:
            raise Conflict(_("This service has already been rated."), code="already_rated")
        current.rating = score
        current.rated_by_name = _name(actor)
        current.rated_at = timezone.now()
        current.version += 1
        current.save()
        audit_record(
            "participation.shift.rate", actor=actor, target=current, changes={"rating": score}
        )
    return current
