"""Writes of emergency supplies: stores, batches received, stock movements (issue,
transfer, loss, expired disposal), stock checks. Every quantity goes through the shared
ledger (``core/ledger.py``, ledger ``supplies``); a batch's account is a holder, so stock
never goes below zero — the store's row lock serialises the movements of one store and the
ledger's account locks refuse an overdraft whatever runs concurrently. Each write is one
database transaction with its audit record: refused means nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core import ledger
from gridgov.core.crypto import encrypt_field
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.masking import mask_phone
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.core.validators import FieldInvalid, china_point, normalise_phone
from gridgov.operations.models import Batch, StockCheck, StockCheckLine, StockMovement, Store
from gridgov.operations.policies_supplies import supplies_policy
from gridgov.org.models import OrgUnit

LEDGER = "supplies"
SYSTEM = "system"
TIER_LEVEL = {
    Store.Tier.COMMUNITY: OrgUnit.Level.COMMUNITY,
    Store.Tier.STREET: OrgUnit.Level.STREET,
    Store.Tier.DISTRICT: OrgUnit.Level.DISTRICT,
}
MAX_QUANTITY = 10_000_000


class SupplyErrorCode:
    NEGATIVE_STOCK = "insufficient_stock"
    NO_EXPIRED_STOCK = "insufficient_expired_stock"
    EXPIRES_BEFORE_PRODUCED = "expires_before_produced"
    QUANTITY = "quantity_not_positive"
    SAME_STORE = "same_store"


def _system(name: str, kind: str):
    return ledger.account(LEDGER, SYSTEM, name, kind)


def _category(code: str, errors: dict) -> str:
    if code not in supplies_policy().categories:
        errors["category"] = [_("Not a supply category of the policy.")]
    return code


def _quantity(value, errors: dict) -> int:
    try:
        number = int(str(value).strip())
        if str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors["quantity"] = [_("Enter a whole number.")]
        return 0
    if number <= 0:
        errors["quantity"] = [_("The quantity must be more than zero.")]
    elif number > MAX_QUANTITY:
        errors["quantity"] = [_("The quantity is too large.")]
    return number


def _date(value, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _audit(action: str, actor, target, store: Store, **changes) -> None:
    audit_record(
        action, actor=actor, target=target, org_unit_path=store.scope_path, changes=changes
    )


# Stores ----------------------------------------------------------------------------------


def store_create(*, actor, data: dict) -> Store:
    """A store of a tier at an org unit of that level, where the actor manages."""
    errors: dict = {}
    name = _text(data.get("name"), 100)
    if not name:
        errors["name"] = [_("Enter a name.")]
    tier = data.get("tier")
    if tier not in Store.Tier.values:
        errors["tier"] = [_("Choose a tier.")]
    code = str(data.get("org_unit") or "")
    unit = OrgUnit.objects.filter(code=code).first() if code else None
    if unit is not None and not path_in_scope(actor, unit.path, "operations.manage"):
        raise NotFound()  # outside the actor's units looks like missing
    if unit is None:
        errors["org_unit"] = [_("No such org unit.")]
    elif tier in TIER_LEVEL and unit.level != TIER_LEVEL[tier]:
        errors["org_unit"] = [_("A store of this tier belongs to a unit of its level.")]
    coords = china_point(data, errors)
    keeper = _text(data.get("keeper_name"), 50)
    if not keeper:
        errors["keeper_name"] = [_("Name the person responsible.")]
    phone = str(data.get("keeper_phone") or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone)
        except FieldInvalid as exc:
            errors["keeper_phone"] = [exc.message]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        store = Store(
            name=name,
            tier=tier,
            org_unit=unit,
            scope_path=unit.path,
            address=_text(data.get("address"), 200),
            lon=coords["lon"],
            lat=coords["lat"],
            keeper_name=keeper,
        )
        if phone:
            store.keeper_phone_encrypted = encrypt_field(
                phone, associated_data=f"operations_store/keeper_phone/{store.uid}"
            )
            store.keeper_phone_masked = mask_phone(phone)
        store.save()
        _audit("operations.store.create", actor, store, store, name=name, tier=tier)
    return store


# Batches and movements ---------------------------------------------------------------------


def batch_receive(
    *,
    actor,
    store: Store,
    category: str,
    quantity,
    produced_on,
    expires_on,
    source: str = "",
    occurred_at: datetime | None = None,
) -> Batch:
    """A batch received into ``store`` (入库). A batch expiring before it was produced, or
    a quantity that is not a positive whole number, is refused with nothing written."""
    errors: dict = {}
    _category(category, errors)
    amount = _quantity(quantity, errors)
    produced = _date(produced_on, "produced_on", errors)
    expires = _date(expires_on, "expires_on", errors)
    if produced and expires and expires < produced:
        errors["expires_on"] = [_("A batch cannot expire before it was produced.")]
    if produced and produced > timezone.localdate():
        errors["produced_on"] = [_("The production date is in the future.")]
    if errors:
        before = produced and expires and expires < produced
        raise ValidationFailed(
            _("A batch cannot expire before it was produced.") if before else None,
            code=SupplyErrorCode.EXPIRES_BEFORE_PRODUCED
            if before
            else SupplyErrorCode.QUANTITY
            if "quantity" in errors
            else None,
            details=errors,
        )
    require_in_scope(actor, store.scope_path, "operations.manage")
    with transaction.atomic():
        Store.objects.select_for_update().get(pk=store.pk)
        movement = StockMovement.objects.create(
            kind=StockMovement.Kind.RECEIPT,
            store=store,
            category=category,
            quantity=amount,
            reason=_text(source, 300),
            created_by=actor if getattr(actor, "pk", None) else None,
            occurred_at=occurred_at or timezone.now(),
        )
        batch = Batch(
            store=store,
            category=category,
            produced_on=produced,
            expires_on=expires,
            source=_text(source, 100),
        )
        batch.account = ledger.account(
            LEDGER, "operations.batch", batch.uid, ledger.Kind.HOLDER, scope_path=store.scope_path
        )
        batch.save()
        movement.transaction = _post(
            movement,
            [(_system("receipts", ledger.Kind.ISSUER), -amount), (batch.account, amount)],
            actor,
        )
        movement.save(update_fields=["transaction"])
        _audit(
            "operations.stock.receive",
            actor,
            batch,
            store,
            category=category,
            quantity=amount,
            produced_on=str(produced),
            expires_on=str(expires),
        )
    return batch


def _post(movement: StockMovement, legs, actor, action: str | None = None):
    return ledger.post(
        LEDGER,
        legs,
        action=action or movement.kind,
        source_key=f"operations.stockmovement:{movement.pk}",
        reason=movement.reason,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_by_name="" if getattr(actor, "pk", None) else getattr(actor, "name", "supplies"),
        occurred_at=movement.occurred_at,
    ).transaction


def _allocate(batches: list[Batch], amount: int) -> list[tuple[Batch, int]]:
    """First expiry, first out: (batch, quantity) taken until ``amount`` is covered."""
    taken, left = [], amount
    for batch in batches:
        have = int(batch.account.balance)
        if have <= 0 or left <= 0:
            continue
        take = min(have, left)
        taken.append((batch, take))
        left -= take
    return taken if left == 0 else []


@dataclass
class Moved:
    movement: StockMovement
    batches: list[tuple[Batch, int]]


KIND_SINKS = {
    StockMovement.Kind.ISSUE: "issued",
    StockMovement.Kind.LOSS: "losses",
    StockMovement.Kind.DISPOSAL: "disposed",
}


def stock_move(
    *,
    actor,
    store: Store,
    kind: str,
    category: str,
    quantity,
    reason: str = "",
    to_store: Store | None = None,
    occurred_at: datetime | None = None,
) -> Moved:
    """Stock out of ``store``: issued for use, lost, expired stock disposed of, or moved
    to ``to_store`` (the batches keep their dates there). Taken first-expiry-first-out
    (disposal: expired batches only). More than the stock is refused (409) with nothing
    written, also when requests race."""
    errors: dict = {}
    if kind not in (*KIND_SINKS, StockMovement.Kind.TRANSFER):
        errors["kind"] = [_("Choose issue, transfer, loss or disposal.")]
    _category(category, errors)
    amount = _quantity(quantity, errors)
    reason = _text(reason, 300)
    if kind in (StockMovement.Kind.LOSS, StockMovement.Kind.DISPOSAL) and not reason:
        errors["reason"] = [_("Give the reason.")]
    if kind == StockMovement.Kind.TRANSFER:
        if to_store is None:
            errors["to_store"] = [_("Choose the store it goes to.")]
        elif to_store.pk == store.pk:
            errors["to_store"] = [_("A transfer goes to another store.")]
    if errors:
        raise ValidationFailed(
            code=SupplyErrorCode.QUANTITY if set(errors) == {"quantity"} else None,
            details=errors,
        )
    require_in_scope(actor, store.scope_path, "operations.manage")
    today = timezone.localdate()
    with transaction.atomic():
        stores = [store] + ([to_store] if to_store else [])
        list(Store.objects.select_for_update().filter(pk__in=[s.pk for s in stores]).order_by("pk"))
        batches = Batch.objects.filter(store=store, category=category).select_related("account")
        if kind == StockMovement.Kind.DISPOSAL:
            batches = batches.filter(expires_on__lt=today)
        batches = list(batches.order_by("expires_on", "pk"))
        taken = _allocate(batches, amount)
        if not taken:
            held = sum(int(b.account.balance) for b in batches)
            message = (
                _("Only %(held)s expired in stock; %(amount)s cannot be disposed of.")
                if kind == StockMovement.Kind.DISPOSAL
                else _("Only %(held)s in stock; %(amount)s would leave the stock below zero.")
            ) % {"held": held, "amount": amount}
            raise Conflict(
                message,
                code=SupplyErrorCode.NO_EXPIRED_STOCK
                if kind == StockMovement.Kind.DISPOSAL
                else SupplyErrorCode.NEGATIVE_STOCK,
                details={"quantity": [message]},
            )
        movement = StockMovement.objects.create(
            kind=kind,
            store=store,
            to_store=to_store,
            category=category,
            quantity=amount,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
            occurred_at=occurred_at or timezone.now(),
        )
        legs = [(batch.account, -n) for batch, n in taken]
        if kind == StockMovement.Kind.TRANSFER:
            for batch, n in taken:
                twin = Batch(
                    store=to_store,
                    category=category,
                    produced_on=batch.produced_on,
                    expires_on=batch.expires_on,
                    source=batch.source,
                    origin=batch,
                )
                twin.account = ledger.account(
                    LEDGER,
                    "operations.batch",
                    twin.uid,
                    ledger.Kind.HOLDER,
                    scope_path=to_store.scope_path,
                )
                twin.save()
                legs.append((twin.account, n))
        else:
            legs.append((_system(KIND_SINKS[kind], ledger.Kind.SINK), amount))
        movement.transaction = _post(movement, legs, actor)
        movement.save(update_fields=["transaction"])
        _audit(
            "operations.stock.move",
            actor,
            movement,
            store,
            kind=kind,
            category=category,
            quantity=amount,
            to_store=str(to_store.uid) if to_store else None,
            batches={str(b.uid): n for b, n in taken},
        )
    return Moved(movement, taken)


# Stock checks ---------------------------------------------------------------------------------


def stock_check_record(
    *,
    actor,
    store: Store,
    counts: dict[str, object],
    reason: str = "",
    checked_on: date | None = None,
) -> StockCheck:
    """A stock check 盘点: ``counts`` maps batch uid → counted. Each difference against the
    book is posted (short: a loss; over: a gain) with the reason, which a difference needs."""
    errors: dict = {}
    reason = _text(reason, 300)
    batches = {str(b.uid): b for b in Batch.objects.filter(store=store).select_related("account")}
    counted: dict[str, int] = {}
    for uid, value in counts.items():
        if str(uid) not in batches:
            errors.setdefault("counts", []).append(_("A batch of another store was counted."))
            continue
        text = str(value).strip()
        if not text.isdigit():
            errors[f"count_{uid}"] = [_("Enter the number counted (zero or more).")]
            continue
        if int(text) > MAX_QUANTITY:
            errors[f"count_{uid}"] = [_("The quantity is too large.")]
            continue
        counted[str(uid)] = int(text)
    if not counts:
        errors["counts"] = [_("Count at least one batch.")]
    if errors:
        raise ValidationFailed(details=errors)
    require_in_scope(actor, store.scope_path, "operations.manage")
    now = timezone.now()
    with transaction.atomic():
        Store.objects.select_for_update().get(pk=store.pk)
        fresh = {str(b.uid): b for b in Batch.objects.filter(store=store).select_related("account")}
        differs = any(int(fresh[u].account.balance) != n for u, n in counted.items())
        if differs and not reason:
            raise ValidationFailed(
                _("A difference from the book needs its reason."),
                details={"reason": [_("Give the reason for the difference.")]},
            )
        check = StockCheck.objects.create(
            store=store,
            checked_on=checked_on or timezone.localdate(),
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        for uid, number in sorted(counted.items()):
            batch = fresh[uid]
            book = int(batch.account.balance)
            line = StockCheckLine(check_record=check, batch=batch, book=book, counted=number)
            diff = number - book
            if diff:
                movement = StockMovement.objects.create(
                    kind=StockMovement.Kind.LOSS if diff < 0 else StockMovement.Kind.CHECK,
                    store=store,
                    category=batch.category,
                    quantity=abs(diff),
                    reason=_("Stock check: %s") % reason,
                    created_by=actor if getattr(actor, "pk", None) else None,
                    occurred_at=now,
                )
                other = _system(
                    "losses" if diff < 0 else "check_gains",
                    ledger.Kind.SINK if diff < 0 else ledger.Kind.ISSUER,
                )
                movement.transaction = _post(
                    movement, [(batch.account, diff), (other, -diff)], actor
                )
                movement.save(update_fields=["transaction"])
                line.movement = movement
            line.save()
        _audit(
            "operations.stock.check",
            actor,
            check,
            store,
            counts={u: n for u, n in counted.items()},
            reason=reason,
        )
    return check


# Dispatches ----------------------------------------------------------------------------------


def dispatch_create(
    *,
    actor,
    from_store: Store,
    to_store: Store,
    category: str,
    quantity,
    event=None,
    reason: str = "",
):
    """Send ``quantity`` of ``category`` from ``from_store`` to ``to_store`` (a transfer
    movement) and record the dispatch with the policy's arrival target in minutes and the
    straight-line distance. Refused like any transfer (nothing written)."""
    from gridgov.operations.models import Dispatch
    from gridgov.operations.selectors_supplies import distance_m

    target = supplies_policy().dispatch_minutes_max
    with transaction.atomic():
        moved = stock_move(
            actor=actor,
            store=from_store,
            kind=StockMovement.Kind.TRANSFER,
            category=category,
            quantity=quantity,
            reason=_text(reason, 300) or _("Supply dispatch"),
            to_store=to_store,
        )
        dispatch = Dispatch.objects.create(
            from_store=from_store,
            to_store=to_store,
            category=category,
            quantity=moved.movement.quantity,
            distance_m=round(
                distance_m(from_store.lon, from_store.lat, to_store.lon, to_store.lat)
            ),
            event=event,
            reason=_text(reason, 300),
            movement=moved.movement,
            target_minutes=target,
            dispatched_at=moved.movement.occurred_at,
            dispatched_by=actor if getattr(actor, "pk", None) else None,
        )
        _audit(
            "operations.dispatch.create",
            actor,
            dispatch,
            to_store,
            from_store=str(from_store.uid),
            category=category,
            quantity=dispatch.quantity,
            event=str(event.uid) if event is not None else None,
            target_minutes=target,
        )
    return dispatch


def dispatch_receive(*, actor, dispatch, version: int, received_at: datetime | None = None):
    """The receiving store confirms arrival; the target is met when it arrived within
    ``target_minutes`` of dispatch. A dispatch is received once (409 otherwise)."""
    from gridgov.operations.models import Dispatch

    require_in_scope(actor, dispatch.to_store.scope_path, "operations.manage")
    when = received_at or timezone.now()
    if when < dispatch.dispatched_at:
        raise ValidationFailed(details={"received_at": [_("It cannot arrive before it was sent.")]})
    with transaction.atomic():
        current = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
        if current.received_at is not None:
            raise Conflict(_("This dispatch was already received."), code="already_received")
        if current.version != version:
            raise Conflict()
        minutes = (when - current.dispatched_at).total_seconds() / 60
        current.received_at = when
        current.received_by = actor if getattr(actor, "pk", None) else None
        current.met_target = minutes <= current.target_minutes
        current.version += 1
        current.save(update_fields=["received_at", "received_by", "met_target", "version"])
        _audit(
            "operations.dispatch.receive",
            actor,
            current,
            current.to_store,
            minutes=int(minutes),
            met_target=current.met_target,
        )
    return current
