"""Writes of the three lists. Every write checks permission and scope, moves states only
through the state machines of ``lists.workflow``, writes the need's timeline and one audit
record in the same transaction, and fails as a whole.

Races: a need takes one open record per household and category (a partial unique index),
so a second registration is merged into the first even when two arrive at once; a need
takes one order in hand at a time (another partial unique index), and dispatch checks the
need's version, so of two dispatchers confirming the same need one wins and the other gets
a 409.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import encrypt_field
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.masking import mask_phone
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import access_object, require_in_scope
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.core.validators import FieldInvalid, normalise_phone
from gridgov.lists import selectors
from gridgov.lists.models import (
    Need,
    NeedCategory,
    NeedLog,
    Resource,
    ResourceOperator,
    ServiceOrder,
)
from gridgov.lists.signals import order_completed, order_resident_rated
from gridgov.lists.workflow import NEED_MACHINE, ORDER_MACHINE
from gridgov.org.models import OrgUnit
from gridgov.people.models import Household, Resident

SYSTEM = SystemActor("lists")


def _name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def _text(value: Any, key: str, max_length: int, errors: dict, multiline: bool = False) -> str:
    try:
        return normalise_text(str(value or ""), max_length=max_length, multiline=multiline)
    except TextInvalid as exc:
        errors[key] = [exc.message]
        return ""


def _choice(value: str, choices, key: str, errors: dict, label: str) -> str:
    if value not in {c for c, _label in choices}:
        errors[key] = [_("Choose a valid %(field)s.") % {"field": label}]
    return value


def _log(need: Need, action: str, before: str, actor, note: str = "") -> None:
    NeedLog.objects.create(
        need=need,
        action=action,
        from_state=before,
        to_state=need.state,
        note=note[:500],
        actor_name=_name(actor),
    )


# The 红/黄/蓝 colour -------------------------------------------------------------------------


def colour_for(need: Need) -> tuple[str, str]:
    """(colour, rule) by the policy ``lists.colour`` in force: the first of red, yellow and
    blue whose tags the person (or, with none named, any member of the household) holds;
    the rule is ``lists.colour v<version>: <list>[:<tag>]``."""
    in_force = policy_in_force("lists.colour")
    rules = in_force.value
    people = selectors._persons(need)
    tags = selectors.tags_of(people)
    prefix = f"lists.colour v{in_force.version}"
    today = timezone.localdate()
    if any(
        p.birth_date and selectors.age_on(p.birth_date, today) >= rules.red_min_age for p in people
    ):
        return Need.Colour.RED, f"{prefix}: red_min_age≥{rules.red_min_age}"
    for colour, listed in (
        (Need.Colour.RED, rules.red_tags),
        (Need.Colour.YELLOW, rules.yellow_tags),
        (Need.Colour.BLUE, rules.blue_tags),
    ):
        hit = sorted(tags & set(listed))
        if hit:
            return colour, f"{prefix}: {colour}_tags:{hit[0]}"
    return Need.Colour.NONE, f"{prefix}: —"


# Needs --------------------------------------------------------------------------------------


@dataclass
class NeedInput:
    household: str
    category: str
    text: str = ""
    kind: str = Need.Kind.SERVICE
    source: str = Need.Source.STAFF
    priority: str = Need.Priority.NORMAL
    resident: str = ""
    source_ref: str = ""


def _household(actor, uid) -> Household:
    if isinstance(actor, SystemActor):
        try:
            return Household.objects.get(uid=uid)
        except (Household.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
    return access_object(actor, Household.objects.select_related("grid"), "view", uid=uid)


def _category(code: str, errors: dict) -> NeedCategory | None:
    category = NeedCategory.objects.filter(code=code, is_active=True).first()
    if category is None:
        errors["category"] = [_("Choose a need category from the list.")]
    return category


def need_register(*, actor, data: NeedInput) -> tuple[Need, bool]:
    """Record a need; when the household already has an open need of the category, the new
    one is merged into it (its text added to the timeline). Returns (need, merged)."""
    if not isinstance(actor, SystemActor) and not actor.has_permission("lists.register"):
        raise PermissionDenied()
    household = _household(actor, data.household)
    if not isinstance(actor, SystemActor):
        require_in_scope(actor, household.scope_path, "lists.register")
    errors: dict[str, list[str]] = {}
    category = _category(data.category, errors)
    text = _text(data.text, "text", 500, errors, multiline=True)
    _choice(data.kind, Need.Kind.choices, "kind", errors, _("kind"))
    _choice(data.source, Need.Source.choices, "source", errors, _("source"))
    _choice(data.priority, Need.Priority.choices, "priority", errors, _("priority"))
    resident = None
    if data.resident:
        resident = (
            Resident.objects.active()
            .filter(household=household, uid=_uuid_or_none(data.resident))
            .first()
        )
        if resident is None:
            errors["resident"] = [_("This person is not an active member of the household.")]
    if errors:
        raise ValidationFailed(details=errors)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return _register_or_merge(actor, data, household, category, resident, text)
        except IntegrityError:
            continue  # another registration of the same open need won: merge into it
    raise Conflict()


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _register_or_merge(actor, data, household, category, resident, text) -> tuple[Need, bool]:
    existing = (
        Need.objects.select_for_update()
        .filter(household=household, category=category, state__in=Need.OPEN_STATES)
        .first()
    )
    if existing is not None:
        existing.merged_count += 1
        existing.version += 1
        if _rank(data.priority) < _rank(existing.priority):
            existing.priority = data.priority
        existing.save(update_fields=["merged_count", "version", "priority", "updated_at"])
        note = f"{data.source}: {text}"
        _log(existing, "merge", existing.state, actor, note)
        audit_record(
            "lists.need.merge",
            actor=actor,
            target=existing,
            changes={
                "source": data.source,
                "source_ref": data.source_ref,
                "merged": existing.merged_count,
            },
        )
        return existing, True
    need = Need(
        household=household,
        resident=resident,
        scope_path=household.scope_path,
        category=category,
        kind=data.kind,
        source=data.source,
        source_ref=data.source_ref[:40],
        text=text,
        priority=data.priority,
        created_by_name=_name(actor),
    )
    need.colour, need.colour_rule = colour_for(need)
    need.save()
    _log(need, "register", "", actor, text)
    audit_record(
        "lists.need.register",
        actor=actor,
        target=need,
        changes={
            "category": category.code,
            "source": data.source,
            "source_ref": data.source_ref,
            "colour": need.colour,
        },
    )
    return need, False


_PRIORITY_RANK = {p: i for i, p in enumerate(Need.Priority.values)}


def _rank(priority: str) -> int:
    return _PRIORITY_RANK.get(priority, 99)


def _category_code(raw: str) -> str:
    """A visit's free-text category: a code, a Chinese or English name, else ``other``."""
    raw = (raw or "").strip()
    if raw:
        for category in NeedCategory.objects.filter(is_active=True):
            if raw.lower() in {category.code, category.name.lower(), category.name_en.lower()}:
                return category.code
            if "/" in category.name and raw in category.name.split("/"):
                return category.code
    return "other"


def needs_from_visit(*, actor, visit) -> list[Need]:
    """The needs a visit raised (``Visit.needs``), registered when its review passes (called
    by ``visits.services.visit_review`` in the review's transaction). Already-open needs of
    the same category are merged."""
    out = []
    for item in visit.needs or []:
        data = NeedInput(
            household=str(visit.household.uid),
            category=_category_code(item.get("category", "")),
            text=item.get("text", ""),
            source=Need.Source.VISIT,
            source_ref=str(visit.uid),
        )
        need, _merged = need_register(actor=SystemActor(f"visit-review:{_name(actor)}"), data=data)
        out.append(need)
    return out


def need_from_event(*, actor, event_uid, data: NeedInput) -> tuple[Need, bool]:
    """Staff mark a grid event as a need of a household: the event must be one they see."""
    from gridgov.events.models import Event

    event = access_object(actor, Event.objects.all(), "view", uid=event_uid)
    data.source = Need.Source.EVENT
    data.source_ref = str(event.uid)
    if not data.text:
        data.text = event.title[:500]
    return need_register(actor=actor, data=data)


def need_transition(
    *, actor, need: Need, action: str, version: int, reason: str = "", route: str = ""
) -> Need:
    """A staff action on a need (verify, start matching, cannot be met, follow-up, expire)."""
    from gridgov.lists.workflow import NEED_MANUAL

    if action not in NEED_MANUAL:
        raise ValidationFailed(details={"action": [_("Unknown action.")]})
    definition = NEED_MACHINE.transitions[action]
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 300, errors)
    if definition.needs_reason and not reason and not errors:
        errors["reason"] = [_("Give a reason.")]
    if action == "unmet" and route not in (Need.Route.PROJECT, Need.Route.REFERRAL):
        errors["route"] = [_("Say whether it goes to a project or is referred.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Need.objects.select_for_update().get(pk=need.pk)
        refusal = NEED_MACHINE.refusal(actor, current, action, version=version)
        if refusal is not None:
            raise refusal
        before = current.state
        current.state = definition.target
        if action == "unmet":
            current.route = route
        if action in ("unmet", "expire", "follow_up"):
            current.result_note = reason or current.result_note
        if current.state not in Need.OPEN_STATES and current.closed_at is None:
            current.closed_at = timezone.now()
        current.version += 1
        current.save()
        _log(current, action, before, actor, reason)
        audit_record(
            "lists.need.transition",
            actor=actor,
            target=current,
            changes={"action": action, "state": [before, current.state], "route": route},
        )
    return current


def _need_follow(actor, need: Need, action: str, note: str = "") -> None:
    """Move a need along with its order (inside the order's transaction)."""
    from gridgov.lists.workflow import NEED_MACHINE as M

    refusal = M.refusal(actor, need, action)
    if refusal is not None:
        raise refusal
    before = need.state
    need.state = M.transitions[action].target
    if need.state not in Need.OPEN_STATES and need.closed_at is None:
        need.closed_at = timezone.now()
    need.version += 1
    need.save()
    _log(need, action, before, actor, note)


def needs_close_for_registry(
    *, actor, household: Household, resident: Resident | None = None
) -> int:
    """The registry archived a resident (moved out, died) or a household moved out: their
    open needs become 已失效 and the orders in hand are cancelled. Returns the needs closed."""
    needs = Need.objects.select_for_update().filter(household=household, state__in=Need.OPEN_STATES)
    if resident is not None:
        members_left = Resident.objects.active().filter(household=household).exclude(pk=resident.pk)
        # A need of the household as a whole stays while someone still lives there.
        needs = needs.filter(resident=resident) if members_left.exists() else needs
    closed = 0
    now = timezone.now()
    for need in needs:
        for order in ServiceOrder.objects.select_for_update().filter(
            need=need, state__in=ServiceOrder.ACTIVE_STATES
        ):
            order.state = ServiceOrder.State.CANCELLED
            order.note = _("The registry archived the person or household.")
            order.version += 1
            order.save()
            audit_record(
                "lists.order.transition",
                actor=actor,
                target=order,
                changes={"action": "cancel", "reason": "registry_archive"},
            )
        before = need.state
        need.state = Need.State.EXPIRED
        need.result_note = _("The registry archived the person or household.")
        need.closed_at = now
        need.version += 1
        need.save()
        _log(need, "expire", before, actor, "registry_archive")
        audit_record(
            "lists.need.transition",
            actor=actor,
            target=need,
            changes={
                "action": "expire",
                "state": [before, need.state],
                "reason": "registry_archive",
            },
        )
        closed += 1
    return closed


# The category taxonomy ---------------------------------------------------------------------


def category_save(
    *, actor, code: str, name: str, name_en: str, sort: Any = 100, is_active: bool = True
) -> NeedCategory:
    """Add a need category or change one (by code). Retiring one (``is_active`` false) takes
    it off new needs and resources; the needs already filed keep it."""
    if not actor.has_permission("lists.catalogue"):
        raise PermissionDenied()
    errors: dict[str, list[str]] = {}
    code = _text(code, "code", 20, errors).lower()
    if "code" not in errors and not re.fullmatch(r"[a-z][a-z0-9_]{1,19}", code):
        errors["code"] = [
            _("A code is 2–20 lower-case letters, digits or _, starting with a letter.")
        ]
    name = _text(name, "name", 40, errors)
    name_en = _text(name_en, "name_en", 60, errors)
    if not name and "name" not in errors:
        errors["name"] = [_("Give the Chinese name.")]
    if not name_en and "name_en" not in errors:
        errors["name_en"] = [_("Give the English name.")]
    order = _int(sort, "sort", errors, 0, 32000, _("Order")) if sort not in (None, "") else 100
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        category = NeedCategory.objects.select_for_update().filter(code=code).first()
        created = category is None
        before = (
            {}
            if created
            else {
                "name": category.name,
                "name_en": category.name_en,
                "sort": category.sort,
                "is_active": category.is_active,
            }
        )
        category = category or NeedCategory(code=code)
        category.name, category.name_en, category.sort = name, name_en, order
        category.is_active = bool(is_active)
        category.save()
        after = {"name": name, "name_en": name_en, "sort": order, "is_active": category.is_active}
        audit_record(
            "lists.category.create" if created else "lists.category.update",
            actor=actor,
            target=category,
            org_unit_path=actor.primary_scope_path(),
            changes=after
            if created
            else {k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return category


# Resources ----------------------------------------------------------------------------------


RESOURCE_FIELDS = (
    "name",
    "resource_class",
    "provider_kind",
    "provider_name",
    "categories",
    "owner",
    "capacity",
    "capacity_unit",
    "capacity_period",
    "area_paths",
    "lon",
    "lat",
    "radius_m",
    "cost_basis",
    "eligible_tags",
    "min_age",
    "max_age",
    "contact_name",
    "contact_phone",
    "status",
    "last_verified",
)


def _int(value, key: str, errors: dict, low: int, high: int, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[key] = [_("%(field)s must be a whole number.") % {"field": label}]
        return None
    if not low <= number <= high:
        errors[key] = [
            _("%(field)s must be between %(low)s and %(high)s.")
            % {"field": label, "low": low, "high": high}
        ]
        return None
    return number


def _float(value, key: str, errors: dict, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        errors[key] = [_("Enter a number.")]
        return None
    if not low <= number <= high:
        errors[key] = [_("Out of range.")]
        return None
    return number


def _clean_resource(actor, data: dict, errors: dict) -> dict:
    from gridgov.people.models import TagCategory

    clean: dict[str, Any] = {}
    clean["name"] = _text(data.get("name"), "name", 100, errors)
    if not clean["name"] and "name" not in errors:
        errors["name"] = [_("Give the resource a name.")]
    clean["resource_class"] = _choice(
        data.get("resource_class", ""), Resource.Class.choices, "resource_class", errors, _("class")
    )
    clean["provider_kind"] = _choice(
        data.get("provider_kind", ""),
        Resource.ProviderKind.choices,
        "provider_kind",
        errors,
        _("provider type"),
    )
    clean["provider_name"] = _text(data.get("provider_name"), "provider_name", 100, errors)
    if not clean["provider_name"] and "provider_name" not in errors:
        errors["provider_name"] = [_("Name the provider.")]
    codes = data.get("categories") or []
    if not isinstance(codes, list):
        codes = [codes]
    cats = list(NeedCategory.objects.filter(code__in=[str(c) for c in codes], is_active=True))
    if not cats or len(cats) != len(set(codes)):
        errors["categories"] = [_("Choose at least one category, each from the list.")]
    clean["categories"] = cats
    owner = OrgUnit.objects.filter(code=str(data.get("owner") or "")).first()
    if owner is None:
        errors["owner"] = [_("Choose the unit that keeps the resource.")]
    else:
        require_in_scope(actor, owner.path, "lists.manage")
    clean["owner"] = owner
    raw_capacity = str(data.get("capacity") if data.get("capacity") is not None else "").strip()
    if raw_capacity.lstrip("-").isdigit() and int(raw_capacity) < 0:
        errors["capacity"] = [_("Capacity cannot be below zero.")]
        capacity = None
    else:
        capacity = _int(raw_capacity, "capacity", errors, 0, 1_000_000, _("Capacity"))
        if capacity is None and "capacity" not in errors:
            errors["capacity"] = [_("Give the capacity as a whole number.")]
    clean["capacity"] = capacity
    clean["capacity_unit"] = _choice(
        data.get("capacity_unit") or "places",
        Resource.Unit.choices,
        "capacity_unit",
        errors,
        _("capacity unit"),
    )
    clean["capacity_period"] = _choice(
        data.get("capacity_period") or "month",
        Resource.Period.choices,
        "capacity_period",
        errors,
        _("capacity period"),
    )
    area = data.get("area_paths") or []
    if isinstance(area, str):
        area = [a for a in area.replace(",", " ").split() if a]
    units = list(OrgUnit.objects.filter(code__in=[str(a).strip("/").split("/")[-1] for a in area]))
    if len(units) != len(set(area)):
        errors["area_paths"] = [_("Each area must be the code of a grid, community or street.")]
    clean["area_paths"] = sorted(u.path for u in units)
    clean["lon"] = _float(data.get("lon"), "lon", errors, 73, 136)
    clean["lat"] = _float(data.get("lat"), "lat", errors, 3, 54)
    clean["radius_m"] = _int(data.get("radius_m"), "radius_m", errors, 1, 100_000, _("Radius"))
    if clean["radius_m"] and (clean["lon"] is None or clean["lat"] is None):
        errors["radius_m"] = [_("A radius needs the point's longitude and latitude.")]
    if not clean["area_paths"] and not clean["radius_m"] and "area_paths" not in errors:
        errors["area_paths"] = [_("Say where it serves: areas or a radius from a point.")]
    clean["cost_basis"] = _choice(
        data.get("cost_basis") or "free",
        Resource.Cost.choices,
        "cost_basis",
        errors,
        _("cost basis"),
    )
    tags = data.get("eligible_tags") or []
    if isinstance(tags, str):
        tags = [tags]
    known = set(TagCategory.objects.filter(code__in=tags).values_list("code", flat=True))
    if set(tags) - known:
        errors["eligible_tags"] = [_("Choose eligible groups from the special-population tags.")]
    clean["eligible_tags"] = sorted(known)
    clean["min_age"] = _int(data.get("min_age"), "min_age", errors, 0, 120, _("Minimum age"))
    clean["max_age"] = _int(data.get("max_age"), "max_age", errors, 0, 120, _("Maximum age"))
    if (
        clean["min_age"] is not None
        and clean["max_age"] is not None
        and clean["min_age"] > clean["max_age"]
    ):
        errors["max_age"] = [_("The maximum age is below the minimum.")]
    clean["contact_name"] = _text(data.get("contact_name"), "contact_name", 50, errors)
    phone = str(data.get("contact_phone") or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone)
        except FieldInvalid as exc:
            errors["contact_phone"] = [exc.message]
    clean["contact_phone"] = phone
    clean["status"] = _choice(
        data.get("status") or "active", Resource.Status.choices, "status", errors, _("status")
    )
    verified = data.get("last_verified")
    clean["last_verified"] = None
    if verified:
        try:
            clean["last_verified"] = (
                verified if isinstance(verified, date) else date.fromisoformat(str(verified))
            )
        except ValueError:
            errors["last_verified"] = [_("Enter a date as YYYY-MM-DD.")]
    return clean


def _apply_resource(resource: Resource, clean: dict) -> None:
    for key in RESOURCE_FIELDS:
        if key in ("categories", "contact_phone"):
            continue
        setattr(resource, key, clean[key])
    resource.scope_path = clean["owner"].path


def _store_phone(resource: Resource, phone: str) -> None:
    if phone:
        resource.contact_phone_encrypted = encrypt_field(
            phone, associated_data=f"lists_resource/contact_phone/{resource.uid}"
        )
        resource.contact_phone_masked = mask_phone(phone)


def resource_create(*, actor, data: dict) -> Resource:
    if not actor.has_permission("lists.manage"):
        raise PermissionDenied()
    errors: dict[str, list[str]] = {}
    clean = _clean_resource(actor, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        resource = Resource()
        _apply_resource(resource, clean)
        _store_phone(resource, clean["contact_phone"])
        resource.save()
        resource.categories.set(clean["categories"])
        audit_record(
            "lists.resource.create",
            actor=actor,
            target=resource,
            changes={"name": resource.name, "categories": [c.code for c in clean["categories"]]},
        )
    return resource


def resource_update(*, actor, resource: Resource, data: dict, version: int) -> Resource:
    require_in_scope(actor, resource.scope_path, "lists.manage")
    errors: dict[str, list[str]] = {}
    clean = _clean_resource(actor, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Resource.objects.select_for_update().get(pk=resource.pk)
        if current.version != version:
            raise Conflict()
        before = {k: getattr(current, k) for k in ("name", "capacity", "status", "scope_path")}
        _apply_resource(current, clean)
        _store_phone(current, clean["contact_phone"])
        current.version += 1
        current.save()
        current.categories.set(clean["categories"])
        after = {k: getattr(current, k) for k in before}
        audit_record(
            "lists.resource.update",
            actor=actor,
            target=current,
            changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
    return current


# Service orders -----------------------------------------------------------------------------


def order_dispatch(
    *, actor, need: Need, resource_uid, version: int, note: str = ""
) -> ServiceOrder:
    """Confirm a match (人工协调): dispatch the need to one of its candidates. The need's
    version is the one the dispatcher saw; of two confirming at once one wins (409)."""
    from gridgov.events.calendar import WorkCalendar

    errors: dict[str, list[str]] = {}
    note = _text(note, "note", 300, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Need.objects.select_for_update().get(pk=need.pk)
        refusal = NEED_MACHINE.refusal(actor, current, "dispatch", version=version)
        if refusal is not None:
            raise refusal
        resource = next(
            (
                c.resource
                for c in selectors.candidates(current)
                if str(c.resource.uid) == str(resource_uid)
            ),
            None,
        )
        if resource is None:
            raise ValidationFailed(
                details={
                    "resource": [
                        _(
                            "This resource cannot serve the need now (category, area, capacity "
                            "or eligibility)."
                        )
                    ]
                }
            )
        # Capacity is re-counted under the resource's lock.
        Resource.objects.select_for_update().filter(pk=resource.pk).first()
        if selectors.capacity_left(resource) <= 0:
            raise Conflict(
                _("The resource has no capacity left in this period."), code="no_capacity"
            )
        now = timezone.now()
        policy = policy_in_force("lists.orders")
        calendar = WorkCalendar.load()
        accept_due, assumed_a = calendar.add_working_days(now, policy.value.accept_working_days)
        start_due, assumed_s = calendar.add_working_days(
            now, policy.value.first_service_working_days
        )
        try:
            with transaction.atomic():
                order = ServiceOrder.objects.create(
                    need=current,
                    resource=resource,
                    scope_path=current.scope_path,
                    dispatched_by=actor,
                    dispatched_at=now,
                    accept_due=accept_due,
                    start_due=start_due,
                    deadline_assumed=assumed_a or assumed_s,
                    policy_version=policy.version,
                    note=note,
                )
        except IntegrityError as exc:
            raise Conflict() from exc
        _need_follow(actor, current, "dispatch", resource.name)
        audit_record(
            "lists.order.dispatch",
            actor=actor,
            target=order,
            changes={
                "need": str(current.uid),
                "resource": str(resource.uid),
                "policy_version": policy.version,
            },
        )
    return order


@dataclass
class Rating:
    resident_rating: Any = None
    need_met: str = ""
    outcome_rating: Any = None


def _rating(value, key: str, errors: dict) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        errors[key] = [_("Give 1 to 5 stars.")]
        return None
    return number


def order_transition(
    *,
    actor,
    order: ServiceOrder,
    action: str,
    version: int,
    reason: str = "",
    hours: Any = None,
    rating: Rating | None = None,
) -> ServiceOrder:
    """accept / refuse (with a reason) / start / complete (hours) / rate (the resident's
    1–5 and whether the need was met, and staff's 1–5 outcome) / cancel (with a reason).
    The need follows: refusal and cancel send it back to matching, start puts it in service,
    the rating closes it as met, partly met or cannot be met."""
    from gridgov.lists.workflow import ORDER_MANUAL

    if action not in ORDER_MANUAL:
        raise ValidationFailed(details={"action": [_("Unknown action.")]})
    definition = ORDER_MACHINE.transitions[action]
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 300, errors)
    if definition.needs_reason and not reason and "reason" not in errors:
        errors["reason"] = [_("Give a reason.")]
    hours_value = None
    if action == "complete":
        try:
            hours_value = Decimal(str(hours).strip())
        except (InvalidOperation, ValueError):
            hours_value = None
        if hours_value is None or not Decimal("0") < hours_value <= Decimal("1000"):
            errors["hours"] = [_("Give the hours of service (more than 0, at most 1000).")]
    if action == "rate":
        rating = rating or Rating()
        outcome_rating = _rating(rating.outcome_rating, "outcome_rating", errors)
        resident_rating = None
        if order.resident_rated_at is None:  # staff record the resident's answer (代办)
            resident_rating = _rating(rating.resident_rating, "resident_rating", errors)
            if rating.need_met not in ServiceOrder.Met.values:
                errors["need_met"] = [_("Say whether the need was met.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        refusal = ORDER_MACHINE.refusal(actor, current, action, version=version)
        if refusal is not None:
            if action == "rate" and current.state == ServiceOrder.State.RATED:
                raise Conflict(_("This order has already been rated."), code="already_rated")
            raise refusal
        need = Need.objects.select_for_update().get(pk=current.need_id)
        # The need follows the order; a provider's step moves it as the order's follower.
        follower = _need_follower(actor, need)
        before = current.state
        now = timezone.now()
        current.state = definition.target
        if action == "accept":
            current.accepted_at = now
        elif action == "refuse":
            current.refused_at = now
            current.refusal_reason = reason
            _need_follow(follower, need, "rematch", reason)
        elif action == "cancel":
            current.note = reason
            if need.state == Need.State.DISPATCHED:
                _need_follow(actor, need, "rematch", reason)
        elif action == "start":
            current.started_at = now
            _need_follow(follower, need, "serve")
        elif action == "complete":
            current.completed_at = now
            current.hours = hours_value
            link = _rating_link(current)
        elif action == "rate":
            if current.resident_rated_at is None:
                current.resident_rating = resident_rating
                current.need_met = rating.need_met
            current.outcome_rating = outcome_rating
            current.rated_at = now
            follow = {"yes": "met", "partly": "partly_met", "no": "not_met"}[current.need_met]
            _need_follow(actor, need, follow, reason)
            if current.need_met != ServiceOrder.Met.YES:
                _follow_up_visit(actor, need, now)
        current.version += 1
        current.save()
        audit_record(
            "lists.order.transition",
            actor=actor,
            target=current,
            changes={
                "action": action,
                "state": [before, current.state],
                "reason": reason,
                "hours": str(hours_value) if hours_value is not None else None,
                "resident_rating": current.resident_rating if action == "rate" else None,
                "need_met": current.need_met if action == "rate" else None,
                "on_behalf": action == "rate" and current.resident_rated_at is None,
            },
        )
        if action == "complete":
            order_completed.send(sender=ServiceOrder, order=current)
            transaction.on_commit(lambda: _send_rating_link(need, link))
    return current


# The resident's rating (居民评单) ----------------------------------------------------------


def _digest(link: str) -> str:
    return hashlib.sha256(link.encode()).hexdigest()


def _rating_link(order: ServiceOrder) -> str:
    """A new secret for the order's rating page; only its digest is stored."""
    link = secrets.token_urlsafe(18)
    order.rating_link_digest = _digest(link)
    return link


def _send_rating_link(need: Need, link: str) -> None:
    """The completed service's rating link, to the person served (or the household's head)
    through the external senders (SMS, WeChat; the log in the demo)."""
    from django.urls import reverse

    from gridgov.core import notifications

    person = need.resident or (
        Resident.objects.active().filter(household_id=need.household_id).order_by("pk").first()
    )
    if person is None:
        return
    path = reverse("lists:resident_rate", args=[link])
    notifications.send_external(
        recipient=f"resident:{person.uid}",
        message=_("Your service (%(category)s) is done. Please rate it: %(path)s")
        % {"category": need.category.name, "path": path},
    )


def order_for_rating_link(link: str) -> ServiceOrder:
    """The order a rating link belongs to (404 for any link that is not one)."""
    if not link or len(link) > 64:
        raise NotFound()
    order = (
        ServiceOrder.objects.select_related("need__category", "resource")
        .filter(rating_link_digest=_digest(link))
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def order_resident_rate(*, link: str, resident_rating: Any, need_met: str) -> ServiceOrder:
    """The resident's own answer through the link: satisfaction 1–5 and whether the need was
    met (the events' rating pattern). Once only, and only after the service is completed;
    staff then add the outcome rating, which closes the order and moves the need."""
    order = order_for_rating_link(link)
    errors: dict[str, list[str]] = {}
    stars = _rating(resident_rating, "resident_rating", errors)
    if need_met not in ServiceOrder.Met.values:
        errors["need_met"] = [_("Say whether the need was met.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        if current.resident_rated_at is not None or current.state == ServiceOrder.State.RATED:
            raise Conflict(_("This service has already been rated."), code="already_rated")
        if current.state != ServiceOrder.State.COMPLETED:
            raise Conflict(
                _("The service is not completed yet; it can be rated once it is."),
                code="not_completed",
            )
        current.resident_rating = stars
        current.need_met = need_met
        current.resident_rated_at = timezone.now()
        current.version += 1
        current.save()
        audit_record(
            "lists.order.resident_rate",
            actor=SystemActor("resident-rating-link"),
            target=current,
            changes={"resident_rating": stars, "need_met": need_met},
        )
        order_resident_rated.send(sender=ServiceOrder, order=current)
    return current


def _need_follower(actor, need: Need):
    """Who moves the need along with its order: the actor when they may dispatch in the
    need's scope, else (a provider account's step) the system on the order's behalf."""
    from gridgov.lists.workflow import may_act

    if may_act(actor, need, "lists.dispatch"):
        return actor
    return SystemActor(f"order:{_name(actor)}")


def _follow_up_visit(actor, need: Need, now: datetime) -> None:
    """A need the service did not (fully) meet gets a follow-up visit task for its household,
    due within the first-service time, when the actor may ask for visits there and the
    household has no open task already (that visit serves as the follow-up)."""
    from gridgov.core.scoping import path_in_scope
    from gridgov.events.calendar import WorkCalendar
    from gridgov.visits import services as visits

    if not path_in_scope(actor, need.scope_path, "visits.assign"):
        return
    days = policy_in_force("lists.orders").value.first_service_working_days
    due, _assumed = WorkCalendar.load().add_working_days(now, days)
    # An open visit task already covering the household serves as the follow-up.
    with contextlib.suppress(Conflict):
        visits.task_create(
            actor=actor,
            household=need.household,
            due_date=timezone.localtime(due).date(),
            note=_("Follow-up: the service did not fully meet a need (%(category)s).")
            % {"category": need.category.name},
        )


def orders_time_out(*, now: datetime | None = None) -> int:
    """Orders not accepted within the policy time: 超时, and their needs back to matching.
    Run by ``manage.py lists_timeouts`` (idempotent; a scheduler calls it)."""
    count = 0
    for order_id in list(selectors.overdue_orders(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            current = ServiceOrder.objects.select_for_update().get(pk=order_id)
            if current.state != ServiceOrder.State.DISPATCHED:
                continue
            need = Need.objects.select_for_update().get(pk=current.need_id)
            current.state = ServiceOrder.State.TIMED_OUT
            current.version += 1
            current.save()
            if need.state == Need.State.DISPATCHED:
                _need_follow(SYSTEM, need, "rematch", "timeout")
            audit_record(
                "lists.order.transition",
                actor=SYSTEM,
                target=current,
                changes={"action": "time_out", "state": ["dispatched", "timed_out"]},
            )
            count += 1
    return count


# Provider accounts (服务提供方) ---------------------------------------------------------------


def _provider_reaches(user, resource: Resource) -> bool:
    """The account holds ``lists.serve`` over a unit that meets the resource's keeper or one
    of the areas it serves (above or below it)."""
    places = [resource.scope_path, *(resource.area_paths or [])]
    return any(
        place.startswith(path) or path.startswith(place)
        for path in user.scope_paths("lists.serve")
        for place in places
    )


def operator_add(*, actor, resource: Resource, username: str) -> ResourceOperator:
    """Link a provider account to a resource: it then sees and acts on the resource's
    orders. Only an active account with the service-provider role whose scope meets the
    resource's area is taken; any other name gets the same answer as an unknown one."""
    from gridgov.accounts.models import User

    require_in_scope(actor, resource.scope_path, "lists.manage")
    errors: dict[str, list[str]] = {}
    username = _text(username, "username", 150, errors)
    user = User.objects.filter(username=username, is_active=True).first() if username else None
    if user is None or not _provider_reaches(user, resource):
        errors.setdefault(
            "username", [_("No service-provider account with this user name in this area.")]
        )
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        Resource.objects.select_for_update().filter(pk=resource.pk).first()
        if ResourceOperator.objects.filter(resource=resource, user=user).exists():
            raise Conflict(
                _("This account already operates the resource."), code="already_operator"
            )
        link = ResourceOperator.objects.create(
            resource=resource, user=user, created_by_name=_name(actor)
        )
        audit_record(
            "lists.resource.operator_add",
            actor=actor,
            target=resource,
            changes={"operator": user.get_username(), "user_id": user.pk},
        )
    return link


def operator_remove(*, actor, resource: Resource, user_id) -> None:
    """Unlink an operator account: from then on it sees none of the resource's orders."""
    require_in_scope(actor, resource.scope_path, "lists.manage")
    with transaction.atomic():
        link = (
            ResourceOperator.objects.select_for_update()
            .select_related("user")
            .filter(resource=resource, user_id=_int_or_none(user_id))
            .first()
        )
        if link is None:
            raise NotFound()
        username = link.user.get_username()
        link.delete()
        audit_record(
            "lists.resource.operator_remove",
            actor=actor,
            target=resource,
            changes={"operator": username, "user_id": link.user_id},
        )


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Overdue orders: escalation ----------------------------------------------------------------

ESCALATOR = SystemActor("lists.escalation")


def orders_escalate_overdue(*, now: datetime | None = None) -> int:
    """Orders accepted but not started by their first-service time (``start_due``): once
    each, a notice to the dispatchers of the household's community and of the street above
    (the events' escalation rungs: the dispatcher and the next level up) and to the
    dispatcher who sent it, with an audit record. Idempotent: a conditional update claims
    each order, so two runs never escalate it twice. Orders not accepted in time are not
    escalated: ``orders_time_out`` sends them back to matching."""
    from gridgov.accounts.selectors import unit_staff
    from gridgov.core import notifications
    from gridgov.events.routing import ancestor_at

    now = now or timezone.now()
    count = 0
    for order in selectors.orders_to_escalate(now=now).select_related(
        "need__category", "resource", "dispatched_by"
    )[:500]:
        with transaction.atomic():
            claimed = ServiceOrder.objects.filter(
                pk=order.pk,
                state=ServiceOrder.State.ACCEPTED,
                overdue_escalated_at__isnull=True,
            ).update(overdue_escalated_at=now)
            if not claimed:
                continue  # started meanwhile, or another run took it
            audit_record(
                "lists.order.escalate_overdue",
                actor=ESCALATOR,
                target=order,
                changes={"start_due": order.start_due.isoformat(), "resource": order.resource.name},
            )
        units = [
            ancestor_at(order.scope_path, "community"),
            ancestor_at(order.scope_path, "street"),
        ]
        notifications.inbox(
            unit_staff(units, "lists.dispatch") + [order.dispatched_by],
            kind="overdue",
            message=_(
                "Service order %(category)s → %(resource)s is overdue: not started by its "
                "first-service time."
            )
            % {"category": order.need.category.name, "resource": order.resource.name},
            subject=order,
            key=f"order_overdue:{order.pk}",
        )
        count += 1
    return count


def order_reveal_address(*, actor, order: ServiceOrder, reason: str) -> str:
    """The household's full address for the provider who serves it: only once the order is
    accepted and until it is completed, with a reason; limited and counted like every
    reveal, and audited."""
    from gridgov.accounts.access_limits import reveal_note

    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 200, errors)
    if not reason and not errors:
        errors["reason"] = [_("Give a reason.")]
    if errors:
        raise ValidationFailed(details=errors)
    if order.state not in (ServiceOrder.State.ACCEPTED, ServiceOrder.State.IN_SERVICE):
        raise Conflict(
            _("The address is shown only for an order accepted and not yet completed."),
            code="illegal_transition",
        )
    reveal_note(actor=actor, via="lists.order.address")
    with transaction.atomic():
        audit_record(
            "lists.order.reveal_address", actor=actor, target=order, changes={"reason": reason}
        )
    return order.need.household.address
