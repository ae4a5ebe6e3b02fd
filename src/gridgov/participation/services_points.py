"""Points 积分 and the time bank 时间银行: two ledgers of the shared double-entry ledger
(``core/ledger.py``). Points are credited from a source record by the earning rules of
the ``participation.points`` policy (one credit per source record), spent on the
redemption catalogue; hours are deposited from approved volunteer shifts and
volunteer-delivered service orders, spent on a service, transferred within a household.
Every transaction writes one audit record."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import ledger
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.models import LedgerAccount, LedgerEntry, LedgerTransaction
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.participation.models import CatalogueItem, PendingCredit, Redemption
from gridgov.people.models import Resident
from gridgov.residents.selectors import require_resident

POINTS = "points"
HOURS = "timebank"
PLACES = {POINTS: 0, HOURS: 2}
RESIDENT = "people.resident"
SYSTEM = "system"
EARNING_ACTIONS = (
    "vote_cast",
    "proposal_adopted",
    "volunteer_hours",
    "survey_answered",
    "service_rated",
    "group_suggestion_adopted",
)


# Accounts ------------------------------------------------------------------------------


def holder(code: str, resident: Resident) -> LedgerAccount:
    """The resident's account in the ledger ``code`` (opened on first use)."""
    return ledger.account(
        code,
        RESIDENT,
        resident.pk,
        ledger.Kind.HOLDER,
        scope_path=resident.scope_path,
        places=PLACES[code],
    )


def system(code: str, name: str, kind: str) -> LedgerAccount:
    return ledger.account(code, SYSTEM, name, kind, places=PLACES[code])


def source_key(source) -> str:
    """``app_label.model:pk`` of the record that justifies an entry; none is refused."""
    if source is None or getattr(source, "pk", None) is None:
        raise ValidationFailed(
            _("Every ledger entry needs the record that justifies it."),
            details={"source": [_("Name the record that justifies this entry.")]},
        )
    return f"{source._meta.label_lower}:{source.pk}"


def resident_in_scope(actor, resident_id, permission: str) -> Resident:
    """An active resident under a unit where the actor holds ``permission`` (404 else)."""
    try:
        resident = Resident.objects.active().filter(pk=int(resident_id)).first()
    except (TypeError, ValueError):
        resident = None
    if resident is None or not path_in_scope(actor, resident.scope_path, permission):
        raise NotFound()
    return resident


def _name(actor) -> str:
    if actor is None:
        return ""
    if getattr(actor, "pk", None):
        return actor.get_full_name() or actor.get_username()
    return getattr(actor, "name", "")


def _audit(audit_action: str, actor, txn: LedgerTransaction, resident: Resident, **changes):
    audit_record(
        audit_action,
        actor=actor,
        target=txn,
        org_unit_path=resident.scope_path,
        changes={
            "ledger": txn.ledger.code,
            "resident": resident.pk,
            "source": txn.source_key,
            "entries": {str(e.account_id): str(e.amount) for e in txn.entries.all()},
            **changes,
        },
    )


# Earning --------------------------------------------------------------------------------


def _period_start(moment: datetime, monthly: bool) -> datetime:
    local = timezone.localtime(moment)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.replace(day=1) if monthly else start


def _earned(acct: LedgerAccount, action: str, since: datetime, until: datetime) -> int:
    total = LedgerEntry.objects.filter(
        account=acct,
        amount__gt=0,
        transaction__action=action,
        transaction__occurred_at__gte=since,
        transaction__occurred_at__lt=until,
        transaction__reversed_by__isnull=True,
    ).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


@dataclass
class Credit:
    """What a credit did: the transaction (None when a cap left nothing to credit, or the
    rule waits for staff approval), whether it was written now, the points, and why not."""

    transaction: LedgerTransaction | None
    created: bool
    points: int
    note: str = ""


def credit_points(
    *,
    resident: Resident,
    action: str,
    source,
    units: Decimal | int = 1,
    occurred_at: datetime | None = None,
    actor=None,
    approver=None,
) -> Credit:
    """Credit ``resident`` for ``action`` proved by ``source`` (``units``: hours for
    volunteering). A source already credited for that action returns the first credit and
    writes nothing (idempotent). Daily and monthly caps clip the credit; a rule that needs
    approval is credited only through ``approve_credit``."""
    rules = policy_in_force("participation.points").value.earning
    if action not in rules:
        raise ValidationFailed(details={"action": [_("Not an action that earns points.")]})
    rule = rules[action]
    key = source_key(source)
    if rule.needs_approval and approver is None:
        _record_pending(resident, action, key, units, occurred_at or timezone.now())
        return Credit(None, False, 0, "needs_approval")
    occurred_at = occurred_at or timezone.now()
    points = int((Decimal(rule.points) * Decimal(str(units))).quantize(0, ROUND_HALF_UP))
    with transaction.atomic():
        acct = holder(POINTS, resident)
        # The holder's row lock serialises credits of one resident, so caps hold.
        LedgerAccount.objects.select_for_update().get(pk=acct.pk)
        done = LedgerTransaction.objects.filter(
            ledger__code=POINTS, action=action, source_key=key
        ).first()
        if done is not None:
            return Credit(done, False, int(done.entries.get(account=acct).amount))
        capped = points
        for cap, monthly in ((rule.daily_cap, False), (rule.monthly_cap, True)):
            if cap is None:
                continue
            since = _period_start(occurred_at, monthly)
            until = since + (relativedelta(months=1) if monthly else timedelta(days=1))
            capped = min(capped, cap - _earned(acct, action, since, until))
        if capped <= 0:
            return Credit(None, False, 0, "cap_reached")
        expires = (
            occurred_at + relativedelta(months=rule.expiry_months) if (rule.expiry_months) else None
        )
        posted = ledger.post(
            POINTS,
            [(system(POINTS, "issuer", ledger.Kind.ISSUER), -capped), (acct, capped)],
            action=action,
            source_key=key,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_by_name=_name(actor) or "points",
            approver=approver,
            occurred_at=occurred_at,
            expires_at=expires,
        )
        _audit(
            "participation.points.credit",
            actor or SystemActor("points"),
            posted.transaction,
            resident,
            action=action,
            points=capped,
            capped=capped < points,
        )
    return Credit(posted.transaction, True, capped, "capped" if capped < points else "")


def _source_record(reference: str):
    """The record named ``app_label.model:pk`` (a credit approved by staff names it)."""
    from django.apps import apps

    try:
        label, pk = reference.rsplit(":", 1)
        model = apps.get_model(label)
        return model.objects.get(pk=pk)
    except (ValueError, LookupError, Exception):  # noqa: BLE001 - any bad reference
        raise ValidationFailed(
            details={"source": [_("No such record; name it as app.model:id.")]}
        ) from None


def approve_credit(*, actor, resident_id: int, action: str, source: str) -> Credit:
    """Staff (``participation.ledger`` in the resident's scope) credit an act whose rule
    needs approval, naming its source record (an act waiting in the queue is marked done)."""
    resident = resident_in_scope(actor, resident_id, "participation.ledger")
    rules = policy_in_force("participation.points").value.earning
    if action not in rules:
        raise ValidationFailed(details={"action": [_("Not an action that earns points.")]})
    if not rules[action].needs_approval:
        raise Conflict(
            _("This action is credited automatically; it needs no approval."),
            code="no_approval_needed",
        )
    record = _source_record(source)
    with transaction.atomic():
        waiting = (
            PendingCredit.objects.select_for_update()
            .filter(action=action, source=source_key(record), resident=resident)
            .first()
        )
        if waiting is not None and waiting.state == PendingCredit.State.DECLINED:
            raise Conflict(_("This act was declined: %s") % waiting.reason, code="declined")
        credit = credit_points(
            resident=resident,
            action=action,
            source=record,
            units=waiting.units if waiting is not None else 1,
            occurred_at=waiting.occurred_at if waiting is not None else None,
            actor=actor,
            approver=actor,
        )
        if waiting is not None and waiting.state == PendingCredit.State.PENDING:
            _close_pending(waiting, actor, PendingCredit.State.APPROVED, points=credit.points)
    return credit


# Acts waiting for approval --------------------------------------------------------------


def _record_pending(resident: Resident, action: str, key: str, units, occurred_at) -> None:
    """Keep the act for the staff's approval queue (once per action and source record)."""
    with transaction.atomic():
        pending, created = PendingCredit.objects.get_or_create(
            action=action,
            source=key,
            defaults={
                "resident": resident,
                "scope_path": resident.scope_path,
                "units": Decimal(str(units)),
                "occurred_at": occurred_at,
            },
        )
        if created:
            audit_record(
                "participation.points.await_approval",
                actor=SystemActor("points"),
                target=pending,
                changes={"action": action, "source": key, "units": str(pending.units)},
            )


def _close_pending(pending: PendingCredit, actor, state: str, *, points=None, reason=""):
    pending.state = state
    pending.decided_at = timezone.now()
    pending.decided_by = actor
    pending.points = points
    pending.reason = reason
    pending.version += 1
    pending.save()
    approved = state == PendingCredit.State.APPROVED
    audit_record(
        "participation.points.approve" if approved else "participation.points.decline",
        actor=actor,
        target=pending,
        changes={"action": pending.action, "points": points, "reason": reason},
    )


def _pending_locked(actor, uid, version: int | None) -> PendingCredit:
    pending = access_object(actor, PendingCredit.objects.select_for_update(), "ledger", uid=uid)
    if pending.state != PendingCredit.State.PENDING:
        raise Conflict(_("This act has already been decided."), code="already_decided")
    if version is not None and version != pending.version:
        raise Conflict(
            _("Someone changed this meanwhile; reload and try again."), code="stale_version"
        )
    return pending


def pending_approve(*, actor, uid, version: int | None = None) -> Credit:
    """Credit a waiting act as its earning rule says (caps apply); the approver is named
    on the ledger transaction."""
    with transaction.atomic():
        pending = _pending_locked(actor, uid, version)
        credit = credit_points(
            resident=pending.resident,
            action=pending.action,
            source=_source_record(pending.source),
            units=pending.units,
            occurred_at=pending.occurred_at,
            actor=actor,
            approver=actor,
        )
        _close_pending(pending, actor, PendingCredit.State.APPROVED, points=credit.points)
    return credit


def pending_decline(*, actor, uid, reason: str, version: int | None = None) -> PendingCredit:
    """Decline a waiting act with the reason (it is never credited)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"reason": [_("Give the reason.")]})
    if len(reason) > 300:
        raise ValidationFailed(details={"reason": [_("At most 300 characters.")]})
    with transaction.atomic():
        pending = _pending_locked(actor, uid, version)
        _close_pending(pending, actor, PendingCredit.State.DECLINED, reason=reason)
    return pending


# The catalogue ------------------------------------------------------------------------


def _item_fields(data: dict, errors: dict) -> dict:
    out = {}
    if "name" in data:
        name = (data.get("name") or "").strip()
        if not name or len(name) > 60:
            errors["name"] = [_("Give a name of at most 60 characters.")]
        out["name"] = name
    if "description" in data:
        out["description"] = (data.get("description") or "").strip()[:300]
    for field, label in (("price", _("price")), ("stock", _("stock"))):
        if field not in data:
            continue
        raw = data.get(field)
        try:
            value = Decimal(str(raw))
            if value != value.to_integral_value() or value < (1 if field == "price" else 0):
                raise ValueError
            out[field] = int(value)
        except (ValueError, ArithmeticError):
            errors[field] = [
                _("The %(field)s must be a whole number of at least %(min)d.")
                % {"field": label, "min": 1 if field == "price" else 0}
            ]
    if "active" in data:
        out["active"] = bool(data.get("active"))
    return out


def item_create(*, actor, org_unit_id: int, resource_uid, **data) -> CatalogueItem:
    from gridgov.lists.models import Resource
    from gridgov.org.models import OrgUnit

    errors: dict[str, list[str]] = {}
    unit = OrgUnit.objects.filter(pk=org_unit_id).first()
    if unit is None:
        errors["org_unit"] = [_("Choose the community.")]
    elif not path_in_scope(actor, unit.path, "participation.ledger"):
        raise NotFound()
    resource = Resource.objects.filter(uid=resource_uid).first() if resource_uid else None
    if resource is None or resource.status != Resource.Status.ACTIVE:
        errors["resource"] = [_("Choose an active resource of the three lists.")]
    for needed in ("name", "price", "stock"):
        data.setdefault(needed, None)
    fields = _item_fields(data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        item = CatalogueItem.objects.create(
            org_unit=unit, scope_path=unit.path, resource=resource, **fields
        )
        audit_record(
            "participation.catalogue.create",
            actor=actor,
            target=item,
            changes={**fields, "resource": str(resource.uid)},
        )
    return item


def item_update(*, actor, uid, version: int, **data) -> CatalogueItem:
    item = access_object(actor, CatalogueItem.objects.all(), "ledger", uid=uid)
    errors: dict[str, list[str]] = {}
    fields = _item_fields(data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = CatalogueItem.objects.select_for_update().get(pk=item.pk)
        if current.version != version:
            raise Conflict()
        for field, value in fields.items():
            setattr(current, field, value)
        current.version += 1
        current.save()
        audit_record("participation.catalogue.update", actor=actor, target=current, changes=fields)
    return current


# Redemption ---------------------------------------------------------------------------


def code_digest(code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"pickup:{code.strip()}".encode(), hashlib.sha256).hexdigest()


def items_for_resident(resident: Resident):
    """Items a resident may redeem: offered by their community or an org unit above it."""
    paths = [resident.scope_path[: i + 1] for i, c in enumerate(resident.scope_path) if c == "/"]
    return CatalogueItem.objects.filter(active=True, scope_path__in=paths)


def redeem(*, actor, item_uid) -> tuple[Redemption, str]:
    """The resident spends points on an item: the balance and the stock must cover it (409,
    nothing written, otherwise). Returns the order and its pick-up code, shown once."""
    resident = require_resident(actor)
    item = items_for_resident(resident).filter(uid=item_uid).first()
    if item is None:
        raise NotFound()
    pickup_days = policy_in_force("participation.points").value.pickup_days
    with transaction.atomic():
        locked = CatalogueItem.objects.select_for_update().get(pk=item.pk)
        if not locked.active:
            raise Conflict(_("This item is no longer offered."), code="not_offered")
        if locked.stock < 1:
            raise Conflict(
                _("This item is out of stock."),
                code="out_of_stock",
                details={"stock": [_("Out of stock.")]},
            )
        now = timezone.now()
        order_uid = uuid.uuid4()
        posted = ledger.post(
            POINTS,
            [
                (holder(POINTS, resident), -locked.price),
                (system(POINTS, "redemptions", ledger.Kind.SINK), locked.price),
            ],
            action="redeem",
            source_key=f"participation.redemption:{order_uid}",
            created_by=actor,
            occurred_at=now,
        )
        locked.stock -= 1
        locked.save(update_fields=["stock"])
        code = f"{secrets.randbelow(10**8):08d}"
        while Redemption.objects.filter(
            state=Redemption.State.PLACED, code_digest=code_digest(code)
        ).exists():
            code = f"{secrets.randbelow(10**8):08d}"
        order = Redemption.objects.create(
            uid=order_uid,
            item=locked,
            resident=resident,
            scope_path=locked.scope_path,
            points=locked.price,
            code_digest=code_digest(code),
            placed_at=now,
            expires_at=now + timedelta(days=pickup_days),
            transaction=posted.transaction,
        )
        _audit(
            "participation.points.redeem",
            actor,
            posted.transaction,
            resident,
            item=str(locked.uid),
            points=locked.price,
        )
    return order, code


def pick_up(*, actor, code: str) -> Redemption:
    """Staff (``participation.manage`` where the item is offered) hand the item over
    against the resident's code."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) != 8:
        raise ValidationFailed(details={"code": [_("The pick-up code is 8 digits.")]})
    found = (
        Redemption.objects.visible_to(actor, "manage")
        .filter(code_digest=code_digest(code), state=Redemption.State.PLACED)
        .first()
    )
    if found is None:
        raise NotFound(_("No redemption awaits pick-up with this code."), code="unknown_code")
    with transaction.atomic():
        order = Redemption.objects.select_for_update().get(pk=found.pk)
        if order.state != Redemption.State.PLACED:
            raise Conflict(_("This redemption is no longer awaiting pick-up."), code="closed")
        order.state = Redemption.State.PICKED_UP
        order.closed_at = timezone.now()
        order.closed_by = actor
        order.version += 1
        order.save()
        audit_record(
            "participation.points.pickup",
            actor=actor,
            target=order,
            changes={"item": str(order.item.uid), "points": order.points},
        )
    return order


def _give_back(order: Redemption, *, state: str, reason: str, approver, rule: str = ""):
    back = ledger.reverse(
        order.transaction,
        reason=reason,
        approver=approver,
        action="refund",
        by_rule=rule,
    )
    CatalogueItem.objects.select_for_update().filter(pk=order.item_id).update(stock=F("stock") + 1)
    order.state = state
    order.reason = reason
    order.closed_at = timezone.now()
    order.closed_by = approver
    order.version += 1
    order.save()
    return back


def cancel_redemption(*, actor, uid, reason: str, version: int) -> Redemption:
    """Staff cancel a placed order (the resident changed their mind, the item is gone): the
    points come back by a reversing entry, the stock is restored."""
    order = access_object(actor, Redemption.objects.all(), "manage", uid=uid)
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": [_("Give the reason for cancelling.")]})
    with transaction.atomic():
        current = Redemption.objects.select_for_update().get(pk=order.pk)
        if current.version != version:
            raise Conflict()
        if current.state != Redemption.State.PLACED:
            raise Conflict(_("This redemption is no longer awaiting pick-up."), code="closed")
        back = _give_back(
            current, state=Redemption.State.CANCELLED, reason=reason.strip(), approver=actor
        )
        _audit(
            "participation.points.cancel",
            actor,
            back,
            current.resident,
            redemption=str(current.uid),
            reason=reason.strip(),
        )
    return current


def expire(now: datetime | None = None) -> dict[str, int]:
    """The daily run: uncollected redemptions past their date expire (points back), and
    points older than their rule's expiry lapse, oldest first (what a resident spent came
    out of their oldest points). One audit record per transaction."""
    now = now or timezone.now()
    actor = SystemActor("points-expiry")
    counts = {"redemptions": 0, "accounts": 0}
    due = Redemption.objects.filter(state=Redemption.State.PLACED, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            order = Redemption.objects.select_for_update().get(pk=pk)
            if order.state != Redemption.State.PLACED:
                continue
            back = _give_back(
                order,
                state=Redemption.State.EXPIRED,
                reason=_("not collected in time"),
                approver=None,
                rule="participation.points.pickup_days",
            )
            _audit(
                "participation.points.expire",
                actor,
                back,
                order.resident,
                redemption=str(order.uid),
            )
            counts["redemptions"] += 1
    sink = system(POINTS, "expired", ledger.Kind.SINK)
    holders = LedgerAccount.objects.filter(
        ledger__code=POINTS, owner_type=RESIDENT, kind=ledger.Kind.HOLDER, balance__gt=0
    )
    day = timezone.localtime(now).date().isoformat()
    for acct_pk in holders.values_list("pk", flat=True):
        with transaction.atomic():
            acct = LedgerAccount.objects.select_for_update().get(pk=acct_pk)
            # What is still good: credits not yet lapsed (and not reversed), refunds, transfers.
            fresh = LedgerEntry.objects.filter(account=acct, amount__gt=0).filter(
                Q(transaction__expires_at__isnull=True) | Q(transaction__expires_at__gt=now),
                transaction__reversed_by__isnull=True,
            ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            lapsed = acct.balance - fresh
            if lapsed <= 0:
                continue
            posted = ledger.post(
                POINTS,
                [(acct, -lapsed), (sink, lapsed)],
                action="expire",
                source_key=f"core.ledgeraccount:{acct.pk}:{day}",
                created_by_name="points-expiry",
                occurred_at=now,
            )
            if posted.created:
                resident = Resident.objects.get(pk=acct.owner_id)
                _audit(
                    "participation.points.expire",
                    actor,
                    posted.transaction,
                    resident,
                    points=int(lapsed),
                )
                counts["accounts"] += 1
    return counts


# Corrections ---------------------------------------------------------------------------


def correct(*, actor, transaction_id: int, reason: str) -> LedgerTransaction:
    """Reverse a credit, deposit, withdrawal or transfer (``participation.ledger`` in the
    resident's scope): a new mirroring transaction with the reason, approved by the actor,
    who must not be who made the original. A redemption is cancelled instead."""
    txn = LedgerTransaction.objects.filter(
        pk=transaction_id, ledger__code__in=(POINTS, HOURS)
    ).first()
    accounts = (
        list(LedgerAccount.objects.filter(entries__transaction=txn, owner_type=RESIDENT))
        if txn
        else []
    )
    if txn is None or not accounts:
        raise NotFound()
    if not all(path_in_scope(actor, a.scope_path, "participation.ledger") for a in accounts):
        raise NotFound()
    if txn.action in ("redeem", "refund", "expire", "reversal"):
        raise Conflict(
            _("This entry is corrected by cancelling the redemption, not by a reversal."),
            code="not_reversible",
        )
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A correction needs its reason."),
            details={"reason": [_("Give the reason for the correction.")]},
        )
    with transaction.atomic():
        back = ledger.reverse(txn, reason=reason.strip(), approver=actor)
        resident = Resident.objects.get(pk=accounts[0].owner_id)
        _audit(
            "participation.ledger.reverse",
            actor,
            back,
            resident,
            reverses=txn.pk,
            reason=reason.strip(),
        )
    return back


# The time bank ------------------------------------------------------------------------


def _hours(value, field: str = "hours") -> Decimal:
    book = ledger.ledger(HOURS, PLACES[HOURS])
    amount = ledger.quantize(book, value, field)
    if amount <= 0:
        raise ValidationFailed(details={field: [_("Give a positive number of hours.")]})
    return amount


def deposit_hours(
    *, resident: Resident, source, hours, actor=None, occurred_at=None, action="deposit"
) -> LedgerTransaction | None:
    """Deposit the hours given (× the policy's rate) for ``source``; once per source."""
    rate = Decimal(str(policy_in_force("participation.timebank").value.hours_per_hour))
    key = source_key(source)
    amount = (Decimal(str(hours)) * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    amount = _hours(amount)
    with transaction.atomic():
        posted = ledger.post(
            HOURS,
            [
                (system(HOURS, "deposits", ledger.Kind.ISSUER), -amount),
                (holder(HOURS, resident), amount),
            ],
            action=action,
            source_key=key,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_by_name=_name(actor) or "timebank",
            occurred_at=occurred_at or timezone.now(),
        )
        if posted.created:
            _audit(
                "participation.timebank.deposit",
                actor or SystemActor("timebank"),
                posted.transaction,
                resident,
                hours=str(amount),
            )
    return posted.transaction


def withdraw_hours(*, actor, order_uid, hours, resident_id: int | None = None) -> LedgerTransaction:
    """Staff (``participation.manage`` where the service was given) record that the person
    served paid for a completed service order with time-bank hours (once per order)."""
    from gridgov.lists.models import ServiceOrder

    order = ServiceOrder.objects.select_related("need").filter(uid=order_uid).first()
    if order is None:
        raise NotFound()
    if not path_in_scope(actor, order.scope_path, "participation.manage"):
        raise NotFound()
    if order.state not in (ServiceOrder.State.COMPLETED, ServiceOrder.State.RATED):
        raise Conflict(_("Hours are spent on a completed service only."), code="not_completed")
    need = order.need
    members = Resident.objects.active().filter(household_id=need.household_id)
    resident = members.filter(pk=resident_id or need.resident_id).first()
    errors: dict[str, list[str]] = {}
    if resident is None:
        errors["resident"] = [_("Choose the person served (a member of the household).")]
    try:
        amount = _hours(hours)
    except ValidationFailed as exc:
        errors.update(exc.details)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        posted = ledger.post(
            HOURS,
            [
                (holder(HOURS, resident), -amount),
                (system(HOURS, "services", ledger.Kind.SINK), amount),
            ],
            action="withdraw",
            source_key=source_key(order),
            created_by=actor,
        )
        if not posted.created:
            raise Conflict(
                _("Hours have already been spent on this service order."), code="already_spent"
            )
        _audit(
            "participation.timebank.withdraw",
            actor,
            posted.transaction,
            resident,
            order=str(order.uid),
            hours=str(amount),
        )
    return posted.transaction


def order_rater(order) -> Resident | None:
    """Who rated a service order: the person served, or (a need of the whole household)
    the household's head — whom the rating link is sent to."""
    need = order.need
    members = Resident.objects.active().filter(household_id=need.household_id)
    if need.resident_id:
        return members.filter(pk=need.resident_id).first()
    return members.filter(relation="head").order_by("pk").first()


def order_volunteer(order) -> Resident | None:
    """Who gave a service order's hours, for the time bank: a resource of the volunteer
    class (志愿) or a volunteer team / resident's skill, operated by exactly one account
    bound to a resident. A team with several operators names no one person: its members'
    hours come through approved volunteer shifts instead."""
    from gridgov.lists.models import Resource

    resource = order.resource
    volunteer = resource.resource_class == Resource.Class.VOLUNTEER or resource.provider_kind in (
        Resource.ProviderKind.VOLUNTEER_TEAM,
        Resource.ProviderKind.RESIDENT_SKILL,
    )
    if not volunteer:
        return None
    bound = list(
        Resident.objects.active().filter(account__user__operated_resources__resource=resource)[:2]
    )
    return bound[0] if len(bound) == 1 else None


def family_members(resident: Resident):
    return (
        Resident.objects.active().filter(household_id=resident.household_id).exclude(pk=resident.pk)
    )


def transfer_hours(
    *, actor, to_resident_id: int, hours, request_key: str = ""
) -> LedgerTransaction:
    """A resident gives hours to a member of their registry household (when the policy
    allows). ``request_key`` makes a resent request write nothing twice."""
    resident = require_resident(actor)
    if not policy_in_force("participation.timebank").value.family_transfer:
        raise Conflict(_("Transfers between family members are switched off."), code="transfer_off")
    to = family_members(resident).filter(pk=to_resident_id).first()
    if to is None:
        # Anyone outside one's household is nobody to the resident: 404, like out of scope.
        raise NotFound(
            _("Choose a member of your household."),
            code="not_family",
            details={"to_resident": [_("Choose a member of your household.")]},
        )
    errors: dict[str, list[str]] = {}
    try:
        amount = _hours(hours)
    except ValidationFailed as exc:
        errors.update(exc.details)
    if errors:
        raise ValidationFailed(details=errors)
    key = f"transfer:{resident.pk}:{(request_key or uuid.uuid4().hex)[:60]}"
    with transaction.atomic():
        posted = ledger.post(
            HOURS,
            [(holder(HOURS, resident), -amount), (holder(HOURS, to), amount)],
            action="transfer",
            source_key=key,
            created_by=actor,
        )
        if posted.created:
            _audit(
                "participation.timebank.transfer",
                actor,
                posted.transaction,
                resident,
                to_resident=to.pk,
                hours=str(amount),
            )
    return posted.transaction
