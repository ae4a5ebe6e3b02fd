"""Writes of the "网格+X" service models: a model kept by a street or community for some of
its grids, with providers from the three lists' resource pool; its status (pilot, running,
ended); its service items; and the 网格服务日 held in a grid. Each write is one transaction
with its audit record; refused means nothing written."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.operations.models import ServiceDay, ServiceItem, ServiceModel
from gridgov.operations.policies_catalogue import service_models_policy
from gridgov.org.models import OrgUnit

MANAGE = "operations.manage"
OWNER_LEVELS = (OrgUnit.Level.STREET, OrgUnit.Level.COMMUNITY)


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _codes(value) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace(" ", ",").split(",")]
    return [str(v).strip() for v in value or [] if str(v).strip()][:200]


def model_create(*, actor, data: dict) -> ServiceModel:
    """A model kept by a street or community where the actor manages, offered in grids
    under it, delivered by resources of the pool the actor can read."""
    from gridgov.lists.selectors import resource_get

    policy = service_models_policy()
    errors: dict = {}
    name = _text(data.get("name"), 100)
    if not name:
        errors["name"] = [_("Enter a name.")]
    kind = str(data.get("kind") or "")
    if kind not in policy.model_kinds:
        errors["kind"] = [_("Not a service-model kind of the policy.")]
    service_type = str(data.get("service_type") or "")
    if service_type not in ServiceModel.Type.values:
        errors["service_type"] = [_("Choose basic, signature or value-added.")]
    owner = OrgUnit.objects.filter(code=str(data.get("owner") or "")).first()
    if owner is not None and not path_in_scope(actor, owner.path, MANAGE):
        raise NotFound()  # outside the actor's units looks like missing
    if owner is None or owner.level not in OWNER_LEVELS:
        errors["owner"] = [_("A model is kept by a street or a community.")]
    grids = []
    codes = _codes(data.get("grids"))
    if owner is not None and owner.level in OWNER_LEVELS:
        grids = list(
            OrgUnit.objects.filter(
                code__in=codes, level=OrgUnit.Level.GRID, path__startswith=owner.path
            )
        )
        if not codes or len(grids) != len(set(codes)):
            errors["grids"] = [_("Name one or more grids of the unit that keeps it.")]
    providers = []
    for uid in _codes(data.get("providers")):
        try:
            providers.append(resource_get(actor=actor, uid=uid))
        except (NotFound, ValueError, ValidationFailed):
            errors["providers"] = [_("No such resource in your area.")]
            break
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        model = ServiceModel.objects.create(
            name=name,
            kind=kind,
            service_type=service_type,
            description=_text(data.get("description"), 500),
            owner=owner,
            scope_path=owner.path,
        )
        model.grids.set(grids)
        model.providers.set(providers)
        audit_record(
            "operations.service_model.create",
            actor=actor,
            target=model,
            org_unit_path=owner.path,
            changes={"name": name, "kind": kind, "grids": sorted(g.code for g in grids)},
        )
    return model


def model_status(*, actor, model: ServiceModel, status: str, version) -> ServiceModel:
    """Pilot → running → ended (a model may also end as a pilot); an ended model stays ended."""
    if status not in ServiceModel.Status.values:
        raise ValidationFailed(details={"status": [_("Choose pilot, running or ended.")]})
    require_in_scope(actor, model.scope_path, MANAGE)
    with transaction.atomic():
        locked = ServiceModel.objects.select_for_update().get(pk=model.pk)
        if str(locked.version) != str(version):
            raise Conflict(details={"version": locked.version})
        if locked.status == ServiceModel.Status.ENDED or status == locked.status:
            raise Conflict(
                _("“%(state)s” cannot change to that.") % {"state": locked.get_status_display()},
                code="illegal_transition",
            )
        before, locked.status = locked.status, status
        locked.version += 1
        locked.save()
        audit_record(
            "operations.service_model.status",
            actor=actor,
            target=locked,
            org_unit_path=locked.scope_path,
            changes={"from": before, "to": status},
        )
    return locked


def item_add(*, actor, model: ServiceModel, data: dict) -> ServiceItem:
    """A service item with its fee (0 for free, never negative) and for whom it is."""
    require_in_scope(actor, model.scope_path, MANAGE)
    errors: dict = {}
    name = _text(data.get("name"), 100)
    if not name:
        errors["name"] = [_("Enter a name.")]
    try:
        fee = Decimal(str(data.get("fee_yuan") or "0").strip())
        if not fee.is_finite() or fee > Decimal("999999.99"):
            raise InvalidOperation
        fee = fee.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["fee_yuan"] = [_("Enter the fee in yuan, e.g. 15 or 0 for free.")]
        fee = Decimal(0)
    if fee < 0:
        errors["fee_yuan"] = [_("A fee cannot be negative.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        item = ServiceItem.objects.create(
            service_model=model,
            name=name,
            fee_yuan=fee,
            fee_note=_text(data.get("fee_note"), 50),
            target_groups=_text(data.get("target_groups"), 200),
            description=_text(data.get("description"), 300),
        )
        audit_record(
            "operations.service_model.item",
            actor=actor,
            target=item,
            org_unit_path=model.scope_path,
            changes={"name": name, "fee_yuan": str(fee)},
        )
    return item


def day_record(*, actor, data: dict) -> ServiceDay:
    """A 网格服务日 held in a grid of the actor's area: its day (not in the future), title,
    attendance (a whole number) and, optionally, the model it showed."""
    errors: dict = {}
    grid = OrgUnit.objects.filter(
        code=str(data.get("grid") or ""), level=OrgUnit.Level.GRID
    ).first()
    if grid is not None and not path_in_scope(actor, grid.path, MANAGE):
        raise NotFound()
    if grid is None:
        errors["grid"] = [_("No such grid.")]
    held = None
    try:
        held = date.fromisoformat(str(data.get("held_on", "")).strip())
    except ValueError:
        errors["held_on"] = [_("Enter a date as YYYY-MM-DD.")]
    if held and held > timezone.localdate():
        errors["held_on"] = [_("The day is in the future.")]
    title = _text(data.get("title"), 100)
    if not title:
        errors["title"] = [_("Enter a title.")]
    try:
        attendance = int(str(data.get("attendance", "")).strip())
        if attendance < 0 or attendance > 1_000_000:
            raise ValueError
    except ValueError:
        errors["attendance"] = [_("Enter how many people came (a whole number).")]
        attendance = 0
    model = None
    if data.get("service_model") and grid is not None:
        try:
            model = ServiceModel.objects.filter(uid=uuid.UUID(str(data["service_model"]))).first()
        except ValueError:
            model = None
        if model is None or not model.grids.filter(pk=grid.pk).exists():
            errors["service_model"] = [_("No such service model in this grid.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        day = ServiceDay.objects.create(
            grid=grid,
            scope_path=grid.path,
            held_on=held,
            title=title,
            attendance=attendance,
            service_model=model,
            created_by=actor,
        )
        audit_record(
            "operations.service_day.create",
            actor=actor,
            target=day,
            org_unit_path=grid.path,
            changes={"held_on": held.isoformat(), "attendance": attendance},
        )
    return day
