"""Writes of the event loop. Every write checks permission and scope, keeps the timeline,
audits, and fails as a whole."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.selectors import unit_staff
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import notifications
from gridgov.core.crypto import blind_index, encrypt_field
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.masking import mask_phone
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.core.validators import FieldInvalid, normalise_phone
from gridgov.events import classify, photos, routing, sla
from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import (
    OPEN_STATES,
    Category,
    Channel,
    Department,
    DeviceSource,
    Event,
    EventAction,
    EventRequest,
    State,
    Urgency,
)
from gridgov.events.workflow import MACHINE, RATE, TRANSITIONS

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
MAX_TITLE = 100
MAX_TEXT = 2000


def new_tracking_code() -> str:
    return "E" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(9))


def _actor_name(actor) -> str:
    if actor is None:
        return _("reporter")
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return str(actor)[:60]


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _timeline(event, action, from_state, actor, note="", data=None, public=False, at=None):
    return EventAction.objects.create(
        event=event,
        action=action,
        from_state=from_state,
        to_state=event.state,
        actor=_user(actor),
        actor_name=_actor_name(actor),
        note=note[:1000],
        data=data or {},
        public=public,
        created_at=at or timezone.now(),
    )


# Reporting ---------------------------------------------------------------------


@dataclass
class ReportInput:
    channel: str
    title: str
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    grid_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    client_id: str = ""
    category_code: str = ""
    urgency: str = ""
    photos: list = field(default_factory=list)


def _clean_report(data: ReportInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    # Every channel (pages, API, Open311, devices) reports through here: one normalising.
    for name in ("title", "description", "address", "contact_name", "client_id"):
        try:
            setattr(
                data,
                name,
                normalise_text(getattr(data, name) or "", multiline=name == "description"),
            )
        except TextInvalid as exc:
            errors[name] = [exc.message]
    if not data.title.strip():
        errors["title"] = [_("Say in a few words what is wrong.")]
    elif len(data.title) > MAX_TITLE:
        errors["title"] = [_("At most %(n)d characters.") % {"n": MAX_TITLE}]
    if len(data.description) > MAX_TEXT:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_TEXT}]
    if len(data.address) > 200:
        errors["address"] = [_("At most %(n)d characters.") % {"n": 200}]
    if len(data.client_id) > 64:
        errors["client_id"] = [_("At most %(n)d characters.") % {"n": 64}]
    if (data.lon is None) != (data.lat is None):
        errors["location"] = [_("Give both longitude and latitude.")]
    elif data.lon is not None and not (
        math.isfinite(data.lon)
        and math.isfinite(data.lat)
        and 73 <= data.lon <= 136
        and 3 <= data.lat <= 54
    ):
        errors["location"] = [_("The location is not in China.")]
    if data.contact_phone:
        try:
            data.contact_phone = normalise_phone(data.contact_phone)
        except FieldInvalid as exc:
            errors["contact_phone"] = [str(exc)]
    if len(data.contact_name) > 50:
        errors["contact_name"] = [_("At most %(n)d characters.") % {"n": 50}]
    if data.urgency and data.urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency %(u)s.") % {"u": data.urgency[:20]}]
    return errors


def _place(actor, data: ReportInput):
    """(grid, unit, outside_grids) for the report, or a validation error."""
    if data.lon is not None:
        placement = routing.place(lon=data.lon, lat=data.lat)
        if placement is None:
            raise ValidationFailed(details={"location": [_("No grid is set up yet.")]})
        return placement.grid, placement.unit, placement.outside_grids
    if data.grid_code:
        from gridgov.org.models import OrgUnit

        grid = OrgUnit.objects.filter(code=data.grid_code, level="grid", is_active=True).first()
        if grid is None:
            raise ValidationFailed(details={"grid": [_("Unknown grid.")]})
        return grid, grid, False
    raise ValidationFailed(details={"location": [_("Give the location or choose a grid.")]})


def report_event(*, actor, data: ReportInput) -> tuple[Event, bool]:
    """Create an event from any channel. Returns (event, created).

    Resending with the same ``client_id`` returns the first event (flaky connections).
    Staff reports skip the public checks; grid workers' patrol reports are accepted,
    registered and dispatched to the reporter at once.
    """
    user = _user(actor)
    if user is not None and data.client_id:
        existing = Event.objects.filter(reporter=user, client_id=data.client_id).first()
        if existing is not None:
            return existing, False
    errors = _clean_report(data)
    category = None
    if data.category_code:
        category = Category.objects.filter(
            code=data.category_code, is_active=True, parent__isnull=False
        ).first()
        if category is None:
            errors["category"] = [_("Unknown category %(c)s.") % {"c": data.category_code[:10]}]
    if errors:
        raise ValidationFailed(details=errors)
    grid, unit, outside = _place(actor, data)
    staff_channel = data.channel in (
        Channel.PATROL,
        Channel.HOTLINE,
        Channel.STAFF,
        Channel.OPEN311,
    )
    # Staff and integration accounts may only report inside their own scope.
    if user is not None and staff_channel and not path_in_scope(user, unit.path, "events.report"):
        raise PermissionDenied()
    photos.check_uploads(data.photos)
    now = timezone.now()
    accept_due, _assumed = sla.deadline(now, policy_get("events.sla").accept)
    suggestion = classify.suggest(f"{data.title} {data.description}")
    if category is not None:  # the reporter chose it: the dispatcher confirms
        suggestion = classify.Suggestion(category, 1.0, category.default_urgency, ())
    try:
        with photos.written_files(), transaction.atomic():
            event = Event(
                tracking_code=new_tracking_code(),
                client_id=data.client_id if user is not None else "",
                channel=data.channel,
                title=data.title.strip(),
                description=data.description.strip(),
                address=data.address.strip(),
                lon=data.lon,
                lat=data.lat,
                grid=grid,
                scope_path=unit.path,
                outside_grids=outside,
                reporter=user,
                found_by_grid_worker=data.channel == Channel.PATROL,
                contact_name=data.contact_name.strip(),
                level=Event.Level.GRID if grid else Event.Level.COMMUNITY,
                responsible_unit=unit,
                reported_at=now,
                accept_due=accept_due,
                suggested_category=suggestion.category if suggestion else None,
                suggestion_confidence=suggestion.confidence if suggestion else None,
                suggested_assignee=routing.least_loaded_worker(grid),
            )
            if data.contact_phone:
                event.contact_phone_encrypted = encrypt_field(
                    data.contact_phone, associated_data=str(event.uid)
                )
                event.contact_phone_masked = mask_phone(data.contact_phone)
                event.contact_phone_index = blind_index(data.contact_phone, purpose="phone")
            event.save()
            first = _timeline(
                event,
                "report",
                "",
                actor,
                note=_("Outside every grid: placed in the community queue.") if outside else "",
                data={"channel": data.channel},
                public=True,
                at=now,
            )
            photos.store_photos(event, data.photos, action=first)
            audit_record(
                "events.event.report",
                actor=actor,
                target=event,
                changes={"channel": data.channel, "grid": grid.code if grid else None},
            )
    except IntegrityError:
        # The same client id raced in twice: the first one won.
        existing = Event.objects.filter(reporter=user, client_id=data.client_id).first()
        if existing is None:
            raise
        return existing, False
    notifications.inbox(
        unit_staff([event.responsible_unit, _community_of(event)], "events.dispatch"),
        kind="new",
        message=_("New event %(code)s: %(title)s")
        % {"code": event.tracking_code, "title": event.title},
        subject=event,
    )
    if data.channel == Channel.PATROL and user is not None:
        _patrol_fast_path(event, user, category, data.urgency)
        event.refresh_from_db()
    return event, True


def _community_of(event):
    return routing.ancestor_at(event.scope_path, "community")


def _patrol_fast_path(event, worker, category, urgency) -> None:
    """A grid worker found it: they are the first receiver, and it is theirs to handle."""
    category = category or event.suggested_category
    if category is None or not worker.has_permission("events.handle"):
        return
    system = worker
    transition(actor=system, event=event, action="accept", _self_report=True)
    event.refresh_from_db()
    transition(
        actor=system,
        event=event,
        action="classify",
        category_code=category.code,
        urgency=urgency or category.default_urgency,
        _self_report=True,
    )
    event.refresh_from_db()
    transition(actor=system, event=event, action="dispatch", assignee=worker, _self_report=True)
    event.refresh_from_db()
    transition(actor=system, event=event, action="check_in", _self_report=True)


# Transitions -------------------------------------------------------------------


def allowed_actions(actor, event: Event) -> list[str]:
    """The actions offered to ``actor``: exactly those ``transition`` would allow now."""
    return MACHINE.offered(actor, event)


def _deadline_from(event, start, urgency, category) -> tuple[datetime, bool, dict]:
    """(deadline, Monday–Friday assumed, the limit as recorded in the timeline step so the
    deadline can be computed again when the calendar is corrected)."""
    limit = sla.handle_limit(urgency, category)
    due, assumed = sla.deadline(start, limit, WorkCalendar.load())
    return due, assumed, limit.model_dump(exclude_none=True)


def _assignee_for(event: Event, assignee):
    """A person who may handle events of the event's unit."""
    if assignee is None or not getattr(assignee, "is_active", False):
        raise ValidationFailed(details={"assignee": [_("Choose who handles it.")]})
    if not path_in_scope(assignee, event.scope_path, "events.handle"):
        raise ValidationFailed(
            details={"assignee": [_("%(u)s cannot handle events here.") % {"u": assignee}]}
        )
    return assignee


def transition(
    *,
    actor,
    event: Event,
    action: str,
    version: int | None = None,
    note: str = "",
    files=(),
    _self_report: bool = False,
    **params: Any,
) -> Event:
    """Apply one action of the state machine, or raise what ``MACHINE.refusal`` says.

    Without the permission, or not the event's handler → PermissionDenied (403); illegal
    for the current state → Conflict (409) naming the state; a guard's condition unmet
    (nothing pending, the reopening window passed …) → Conflict; someone else changed the
    event meanwhile (``version`` given and stale, or the row moved on) → Conflict.
    """
    definition = TRANSITIONS.get(action)
    if definition is None:
        raise ValidationFailed(
            details={"action": [_("Unknown action %(a)s.") % {"a": action[:30]}]}
        )
    texts = {"note": (note, 1000), "result": (params.get("result"), 2000)}
    errors = {}
    for name, (text, limit) in texts.items():
        if text is None:
            continue
        try:
            texts[name] = normalise_text(str(text), multiline=True, max_length=limit)
        except TextInvalid as exc:
            errors[name] = [exc.message]
    if errors:
        raise ValidationFailed(details=errors)
    note = texts["note"]
    if params.get("result") is not None:
        params["result"] = texts["result"]
    with photos.written_files(), transaction.atomic():
        current = (
            Event.objects.select_for_update(of=("self",))
            .select_related("department", "responsible_unit")
            .get(pk=event.pk)
        )
        # A grid worker's own patrol report: as first receiver they register it themselves.
        refusal = MACHINE.refusal(
            actor,
            current,
            action,
            permission="events.handle" if _self_report else None,
            version=version,
        )
        if refusal is not None:
            raise refusal
        if definition.needs_reason and not note.strip():
            raise ValidationFailed(details={"note": [_("Give a reason.")]})
        from_state = current.state
        now = timezone.now()
        changes, public, data = _APPLY[action](current, actor, now, note=note, **params)
        if definition.target is not None and "state" not in changes:
            changes["state"] = definition.target
        changes["version"] = current.version + 1
        changes["updated_at"] = now
        updated = Event.objects.filter(pk=current.pk, version=current.version).update(**changes)
        if updated != 1:
            raise Conflict()
        for key, value in changes.items():
            setattr(current, key, value)
        step = _timeline(current, action, from_state, actor, note, data, public, at=now)
        if files:
            photos.store_photos(current, list(files), action=step)
        audit_record(
            "events.event.transition",
            actor=actor,
            target=current,
            changes={"action": action, "from": from_state, "to": current.state, **data},
        )
    _after(current, action, actor, data)
    event.__dict__.update({k: getattr(current, k) for k in changes})
    return current


def _touch_clock(event, now) -> dict:
    """Leaving a paused state shifts the deadlines by the pause."""
    if event.paused_at is None:
        return {}
    pause = now - event.paused_at
    out = {"paused_at": None}
    if event.handle_due:
        out["handle_due"] = event.handle_due + pause
    if event.due_soon_at:
        out["due_soon_at"] = event.due_soon_at + pause
    return out


def _apply_accept(event, actor, now, **_extra):
    return {"accepted_at": now}, True, {}


def _apply_close_unresolved(event, actor, now, note="", **_extra):
    return {"closed_at": now, "close_reason": note[:200]}, True, {}


def _apply_merge(event, actor, now, duplicate_of=None, **_extra):
    target = None
    if duplicate_of:
        target = (
            Event.objects.visible_to(actor)
            .filter(tracking_code=str(duplicate_of)[:12])
            .exclude(pk=event.pk)
            .first()
        )
    if target is None or target.state == State.MERGED:
        raise ValidationFailed(details={"duplicate_of": [_("Choose the event it duplicates.")]})
    return (
        {"duplicate_of_id": target.pk, "closed_at": now, "close_reason": target.tracking_code},
        True,
        {"duplicate_of": target.tracking_code},
    )


def _apply_classify(event, actor, now, category_code="", urgency="", **_extra):
    category = Category.objects.filter(
        code=category_code, is_active=True, parent__isnull=False
    ).first()
    errors = {}
    if category is None:
        errors["category"] = [_("Unknown category %(c)s.") % {"c": str(category_code)[:10]}]
    urgency = urgency or (category.default_urgency if category else "")
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency %(u)s.") % {"u": str(urgency)[:20]}]
    if errors:
        raise ValidationFailed(details=errors, status=422)
    due, assumed, limit = _deadline_from(event, now, urgency, category)
    feedback_due, _a = sla.deadline(now, policy_get("events.sla").feedback)
    # The first receiver — the unit of whoever registers it — is responsible from now on.
    unit = routing.ancestor_at(event.scope_path, "community") or event.responsible_unit
    if _user(actor) is not None and event.grid_id:
        mine = [
            m.org_unit
            for m in actor.memberships_cached
            if event.scope_path.startswith(m.org_unit.path)
        ]
        if mine:
            unit = max(mine, key=lambda u: len(u.path))
    return (
        {
            "category_id": category.pk,
            "category_version": category.version,
            "urgency": urgency,
            "classified_at": now,
            "handle_due": due,
            "due_soon_at": sla.due_soon_from(now, due),
            "feedback_due": feedback_due,
            "calendar_assumed": assumed,
            "responsible_unit_id": unit.pk,
            "department_id": category.department_id,
        },
        False,
        {"category": category.code, "urgency": urgency, "limit": limit},
    )


def _apply_dispatch(event, actor, now, assignee=None, **_extra):
    worker = _assignee_for(event, assignee)
    return (
        {
            "assignee_id": worker.pk,
            "dispatched_at": now,
            "checked_in_at": None,
            "level": Event.Level.GRID,
        },
        True,
        {"assignee": worker.username},
    )


def _apply_reassign(event, actor, now, assignee=None, **_extra):
    changes, public, data = _apply_dispatch(event, actor, now, assignee=assignee)
    if event.assignee_id == changes["assignee_id"]:
        raise ValidationFailed(details={"assignee": [_("It is already theirs.")]})
    return changes, False, data


def _apply_escalate(event, actor, now, level="street", department=None, **_extra):
    if level not in ("street", "district"):
        raise ValidationFailed(details={"level": [_("Escalate to the street or the district.")]})
    unit = routing.ancestor_at(event.scope_path, level)
    dept = None
    if department:
        # A department of the event's own district.
        district = routing.ancestor_at(event.scope_path, "district")
        dept = Department.objects.filter(district=district, code=str(department)[:20]).first()
        if dept is None:
            raise ValidationFailed(details={"department": [_("Unknown department.")]})
    return (
        {
            "level": level,
            "responsible_unit_id": unit.pk if unit else event.responsible_unit_id,
            "department_id": dept.pk if dept else event.department_id,
            "assignee_id": None,
            "checked_in_at": None,
            "dispatched_at": event.dispatched_at or now,
        },
        True,
        {"level": level, "department": dept.code if dept else None},
    )


def _apply_check_in(event, actor, now, **_extra):
    return {"checked_in_at": now, "assignee_id": event.assignee_id or actor.pk}, True, {}


def _apply_return(event, actor, now, **_extra):
    return {"assignee_id": None, "checked_in_at": None}, False, {}


def _apply_wait(event, actor, now, **_extra):
    changes = {}
    if policy_get("events.sla").stop_clock_when_waiting:
        changes["paused_at"] = now
    return changes, True, {}


def _apply_resume_clock(event, actor, now, **_extra):
    data = {}
    if event.paused_at is not None:  # the pause, to compute the deadline again
        data["paused_us"] = (now - event.paused_at) // timedelta(microseconds=1)
    return _touch_clock(event, now), False, data


def _apply_handle(event, actor, now, result="", **_extra):
    result = (result or "").strip()
    if not result:
        raise ValidationFailed(details={"result": [_("Say what was done.")]})
    if len(result) > MAX_TEXT:
        raise ValidationFailed(
            details={"result": [_("At most %(n)d characters.") % {"n": MAX_TEXT}]}
        )
    return {"handled_at": now, "result": result}, True, {}


def _apply_verify_pass(event, actor, now, **_extra):
    return {"closed_at": now}, True, {}


def _apply_verify_fail(event, actor, now, **_extra):
    return {"rework_count": event.rework_count + 1, "handled_at": None}, False, {}


def _apply_request(kind):
    def apply(event, actor, now, note="", working_days=None, **_extra):
        days = None
        if kind == EventRequest.Kind.EXTENSION:
            try:
                days = int(working_days)
            except (TypeError, ValueError):
                days = 0
            if not 1 <= days <= 30:
                raise ValidationFailed(details={"working_days": [_("Between 1 and 30 days.")]})
        EventRequest.objects.create(
            event=event, kind=kind, working_days=days, reason=note[:500], requested_by=_user(actor)
        )
        return {}, False, {"request": kind, "working_days": days}

    return apply


def _apply_decide(kind):
    def apply(event, actor, now, approve=None, note="", **_extra):
        # The guard made sure one is pending; the event row is locked meanwhile.
        request = EventRequest.objects.get(event=event, kind=kind, status="pending")
        approved = approve in (True, "1", "true", "yes", "on")
        request.status = EventRequest.Status.APPROVED if approved else EventRequest.Status.REFUSED
        request.decided_by = _user(actor)
        request.decided_at = now
        request.decision_note = note[:500]
        request.save()
        changes: dict[str, Any] = {}
        if approved and kind == EventRequest.Kind.EXTENSION:
            due, assumed = WorkCalendar.load().add_working_days(
                timezone.localtime(event.handle_due or now), request.working_days
            )
            changes = {
                "handle_due": due,
                "due_soon_at": sla.due_soon_from(now, due),
                "extension_count": event.extension_count + 1,
                "calendar_assumed": event.calendar_assumed or assumed,
                "due_soon_notified": False,
            }
        if approved and kind == EventRequest.Kind.SUSPENSION:
            changes = {"state": State.SUSPENDED, "closed_at": now, "close_reason": request.reason}
        data = {"request": kind, "approved": approved}
        if approved and kind == EventRequest.Kind.EXTENSION:
            data["working_days"] = request.working_days  # to compute the deadline again
        return changes, approved, data

    return apply


def _apply_resume(event, actor, now, **_extra):
    return {"closed_at": None, "close_reason": ""}, True, {}


def _apply_reopen(event, actor, now, **_extra):
    due, assumed, limit = _deadline_from(event, now, event.urgency or "deadline", event.category)
    return (
        {
            "closed_at": None,
            "handled_at": None,
            "reopen_count": event.reopen_count + 1,
            "handle_due": due,
            "due_soon_at": sla.due_soon_from(now, due),
            "calendar_assumed": assumed,
            "due_soon_notified": False,
            "overdue_level": 0,
        },
        True,
        {"limit": limit},
    )


_APPLY = {
    "accept": _apply_accept,
    "reject": _apply_close_unresolved,
    "out_of_area": _apply_close_unresolved,
    "unfounded": _apply_close_unresolved,
    "merge": _apply_merge,
    "classify": _apply_classify,
    "dispatch": _apply_dispatch,
    "reassign": _apply_reassign,
    "escalate": _apply_escalate,
    "check_in": _apply_check_in,
    "return": _apply_return,
    "wait_reporter": _apply_wait,
    "reporter_replied": _apply_resume_clock,
    "handle": _apply_handle,
    "verify_pass": _apply_verify_pass,
    "verify_fail": _apply_verify_fail,
    "request_extension": _apply_request(EventRequest.Kind.EXTENSION),
    "decide_extension": _apply_decide(EventRequest.Kind.EXTENSION),
    "request_suspension": _apply_request(EventRequest.Kind.SUSPENSION),
    "decide_suspension": _apply_decide(EventRequest.Kind.SUSPENSION),
    "resume": _apply_resume,
    "reopen": _apply_reopen,
}
assert set(_APPLY) == set(TRANSITIONS), "every transition needs its effect"


def _after(event: Event, action: str, actor, data: dict) -> None:
    """Inbox notices once the transition is committed."""
    code = event.tracking_code
    if (
        action in ("dispatch", "reassign")
        and event.assignee_id
        and event.assignee_id != getattr(actor, "pk", None)
    ):
        notifications.inbox(
            [event.assignee],
            kind="assigned",
            message=_("Event %(code)s is yours to handle: %(title)s")
            % {"code": code, "title": event.title},
            subject=event,
            key=f"assigned:{event.pk}:{event.version}",
        )
    elif action == "escalate":
        recipients = unit_staff(event.responsible_unit, "events.handle")
        if event.department_id:
            recipients += list(event.department.members.all())
        notifications.inbox(
            recipients,
            kind="escalated",
            message=_("Event %(code)s needs you to check in (吹哨报到): %(title)s")
            % {"code": code, "title": event.title},
            subject=event,
            key=f"escalated:{event.pk}:{event.version}",
        )
    elif action == "handle":
        notifications.inbox(
            routing.verifiers_for(event),
            kind="to_verify",
            message=_("Event %(code)s is handled; verify it on site.") % {"code": code},
            subject=event,
            key=f"to_verify:{event.pk}:{event.version}",
        )
    elif action in ("request_extension", "request_suspension"):
        notifications.inbox(
            unit_staff(event.responsible_unit, "events.dispatch"),
            kind="request",
            message=_("Event %(code)s: a request waits for your decision.") % {"code": code},
            subject=event,
            key=f"request:{event.pk}:{event.version}",
        )
    if action == "verify_pass":
        _tell_reporter(
            event,
            _("Your report %(code)s is resolved. Please rate it.") % {"code": code},
        )


def _tell_reporter(event: Event, message: str) -> None:
    if event.reporter_id:
        notifications.send_external(recipient=f"user:{event.reporter_id}", message=message)
    elif event.contact_phone_masked:
        notifications.send_external(
            recipient=f"phone:{event.contact_phone_masked}", message=message
        )


# Rating ------------------------------------------------------------------------


def rate_event(
    *, event: Event, rating: int, actually_fixed: bool | None, comment: str = "", actor=None
) -> Event:
    """The reporter's 1–5 rating and their answer to "was it actually fixed?"."""
    errors = {}
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = [_("Give 1 to 5 stars.")]
    if len(comment) > 500:
        errors["comment"] = [_("At most %(n)d characters.") % {"n": 500}]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.state != State.CLOSED:
            raise Conflict(
                _("Only closed events can be rated; this one is “%(state)s”.")
                % {"state": current.get_state_display()},
                code="illegal_transition",
                details={"state": current.state, "action": RATE},
            )
        if current.rated_at is not None:
            raise Conflict(_("This event has already been rated."), code="already_rated")
        now = timezone.now()
        changes = {
            "rating": rating,
            "actually_fixed": actually_fixed,
            "rating_comment": comment.strip(),
            "rated_at": now,
            "version": current.version + 1,
        }
        Event.objects.filter(pk=current.pk).update(**changes)
        for key, value in changes.items():
            setattr(current, key, value)
        _timeline(current, RATE, State.CLOSED, actor, comment, {"rating": rating}, public=True)
        audit_record(
            "events.event.rate",
            actor=actor,
            target=current,
            changes={"rating": rating, "actually_fixed": actually_fixed},
        )
    return current


# Deadlines after a calendar correction ------------------------------------------


def deadline_candidates(*, first_day: date, last_day: date):
    """Open events whose handling clock may run through [first_day, last_day]: deadline on
    or after the first day, registered before the end of the last."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    return Event.objects.filter(
        state__in=OPEN_STATES, handle_due__gte=start, classified_at__lt=end
    ).order_by("pk")


def deadlines_recompute(*, first_day: date, last_day: date, batch_id: str) -> int:
    """Compute the deadlines of the open events the days [first_day, last_day] may affect
    again with the working calendar as it is now (after an admin confirmed a year or
    corrected a day). Returns how many changed.

    Idempotent: an event whose deadline comes out the same is left untouched, so running it
    twice, or again after a crash half-way, changes each event at most once. Each change is
    its own short transaction (the event row is locked meanwhile), with a public timeline
    step (the reporter sees the new deadline) and an audit record by the system actor
    ``events.calendar`` with the batch id.
    """
    actor = SystemActor("events.calendar", batch_id=batch_id)
    calendar = WorkCalendar.load()
    changed = 0
    last_pk = 0
    while True:
        ids = list(
            deadline_candidates(first_day=first_day, last_day=last_day)
            .filter(pk__gt=last_pk)
            .values_list("pk", flat=True)[:500]
        )
        if not ids:
            return changed
        last_pk = ids[-1]
        for pk in ids:
            changed += _deadline_recompute_one(pk, calendar=calendar, actor=actor)


def _minute(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _deadline_recompute_one(pk: int, *, calendar: WorkCalendar, actor: SystemActor) -> int:
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("category")
            .filter(pk=pk, state__in=OPEN_STATES, handle_due__isnull=False)
            .first()
        )
        if event is None:
            return 0  # closed meanwhile
        extensions = dict(
            EventRequest.objects.filter(
                event=event, kind=EventRequest.Kind.EXTENSION, status="approved"
            ).values_list("decided_at", "working_days")
        )
        replayed = sla.handle_deadline_replayed(
            event,
            steps=EventAction.objects.filter(event=event).order_by("created_at", "pk"),
            extensions=extensions,
            calendar=calendar,
        )
        if replayed is None or (
            replayed.due == event.handle_due and replayed.assumed == event.calendar_assumed
        ):
            return 0
        now = timezone.now()
        before = event.handle_due
        changes = {
            "handle_due": replayed.due,
            "due_soon_at": replayed.due_soon_at,
            "calendar_assumed": replayed.assumed,
            "version": event.version + 1,
            "updated_at": now,
        }
        if replayed.due_soon_at is None or replayed.due_soon_at > now:
            changes["due_soon_notified"] = False  # warn again when the new time comes
        Event.objects.filter(pk=event.pk).update(**changes)
        for key, value in changes.items():
            setattr(event, key, value)

        _timeline(
            event,
            "recompute_deadline",
            event.state,
            actor,
            note=f"{_minute(before)} → {_minute(replayed.due)}",
            data={
                "from": before.isoformat(),
                "to": replayed.due.isoformat(),
                "batch": actor.batch_id,
            },
            public=True,
            at=now,
        )
        audit_record(
            "events.event.recompute_deadline",
            actor=actor,
            target=event,
            changes={
                "handle_due": [before.isoformat(), replayed.due.isoformat()],
                "calendar_assumed": replayed.assumed,
            },
        )
    if event.assignee_id:
        notifications.inbox(
            [event.assignee],
            kind="deadline",
            message=_("Event %(code)s is now due %(due)s (holidays recalculated).")
            % {"code": event.tracking_code, "due": _minute(replayed.due)},
            subject=event,
            key=f"deadline:{event.pk}:{event.version}",
        )
    return 1


# Devices ------------------------------------------------------------------------


def device_register(
    *, actor, code: str, name: str, category_code: str, lon: float, lat: float, address: str = ""
) -> tuple[DeviceSource, str]:
    """Register an alarm device; returns it and its signing secret (shown once)."""
    category = Category.objects.filter(code=category_code, parent__isnull=False).first()
    errors = {}
    if category is None:
        errors["category"] = [_("Unknown category %(c)s.") % {"c": category_code[:10]}]
    if not code or len(code) > 40 or DeviceSource.objects.filter(code=code).exists():
        errors["code"] = [_("Give a new device code of at most 40 characters.")]
    if routing.place(lon=lon, lat=lat) is None:
        errors["location"] = [_("No grid is set up yet.")]
    if errors:
        raise ValidationFailed(details=errors)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = DeviceSource.objects.create(
            code=code,
            name=name[:100],
            category=category,
            lon=lon,
            lat=lat,
            address=address[:200],
            secret_encrypted=encrypt_field(secret, associated_data=f"device:{code}"),
        )
        audit_record(
            "events.device.create",
            actor=actor,
            target_type="events.devicesource",
            target_id=str(device.pk),
            changes={"code": code},
        )
    return device, secret


# A device speaks through one signed webhook; the message's "type" picks its handler.
# Alarms are the events app's own; other apps add message types (the operations app:
# heartbeats and fault reports) and observe the alarms (its alarm log).
DeviceReply = tuple[int, dict]
_device_messages: dict[str, Callable[[DeviceSource, dict], DeviceReply]] = {}
_alarm_observers: list[Callable[[DeviceSource, Event], None]] = []


def register_device_message(kind: str, handler: Callable[[DeviceSource, dict], DeviceReply]):
    _device_messages[kind] = handler


def observe_device_alarms(observer: Callable[[DeviceSource, Event], None]) -> None:
    if observer not in _alarm_observers:
        _alarm_observers.append(observer)


def device_message(*, device: DeviceSource, payload: dict) -> DeviceReply:
    """(HTTP status, body) for one authenticated device message; ``type`` defaults to an
    alarm, as devices registered before the other types send."""
    kind = payload.get("type", "alarm")
    if kind == "alarm":
        event = device_alarm(device=device, payload=payload)
        return 201, {"tracking_code": event.tracking_code, "state": event.state}
    handler = _device_messages.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise ValidationFailed(
            _("Unknown message type; send alarm, %(kinds)s.")
            % {"kinds": ", ".join(sorted(_device_messages)) or "—"},
            code="bad_type",
        )
    return handler(device, payload)


@transaction.atomic
def device_alarm(*, device: DeviceSource, payload: dict) -> Event:
    """An alarm becomes an immediate event, registered and dispatched without waiting."""
    system = SystemActor(f"device:{device.code}")
    message = str(payload.get("message", ""))[:MAX_TEXT]
    data = ReportInput(
        channel=Channel.DEVICE,
        title=f"{device.name}: {device.category.name}"[:MAX_TITLE],
        description=message,
        lon=device.lon,
        lat=device.lat,
        address=device.address,
    )
    event, _created = report_event(actor=system, data=data)
    transition(actor=system, event=event, action="accept")
    transition(
        actor=system,
        event=event,
        action="classify",
        category_code=device.category.code,
        urgency=Urgency.IMMEDIATE,
    )
    worker = routing.least_loaded_worker(event.grid)
    if worker is not None:
        transition(actor=system, event=event, action="dispatch", assignee=worker)
    event.refresh_from_db()
    for observer in _alarm_observers:
        observer(device, event)
    return event


def open_events_for(user):
    return Event.objects.filter(assignee=user, state__in=OPEN_STATES)
