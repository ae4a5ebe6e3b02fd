"""The points and time-bank API under /api/v1/participation/: the resident's own balances,
statements, catalogue, redemptions and family transfers; staff's overview, a resident's
statement (masked name), catalogue, redemption orders with pick-up by code, hour
withdrawals, approved credits and corrections. Same services as the pages."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    page_slice,
)
from gridgov.core.errors import ValidationFailed
from gridgov.core.masking import mask_name
from gridgov.participation import selectors_points as read
from gridgov.participation import services_points as points
from gridgov.residents.selectors import require_resident

router = PermissionRouter(tags=["participation: points and time bank"])


class LineOut(Schema):
    transaction: int
    occurred_at: datetime
    action: str
    label: str
    amount: Decimal
    reason: str
    reversed: bool
    is_reversal: bool


def _lines(lines) -> list[dict]:
    return [
        {
            "transaction": x.transaction_id,
            "occurred_at": x.occurred_at,
            "action": x.action,
            "label": x.label,
            "amount": x.amount,
            "reason": x.reason,
            "reversed": x.reversed,
            "is_reversal": x.is_reversal,
        }
        for x in lines
    ]


class StatementOut(Schema):
    resident: UUID
    name_masked: str
    balance: Decimal
    lines: list[LineOut]


def _statement(resident, code: str) -> dict:
    return {
        "resident": resident.uid,
        "name_masked": mask_name(resident.name),
        "balance": read.balances(resident)[code],
        "lines": _lines(read.statement(resident, code)),
    }


class UnitOut(Schema):
    path: str
    name: str
    accounts: int
    points: Decimal
    hours: Decimal


class ItemOut(Schema):
    uid: UUID
    name: str
    description: str
    community: str
    resource: UUID
    resource_name: str
    price: int
    stock: int
    active: bool
    version: int

    @staticmethod
    def resolve_community(obj):
        return obj.org_unit.name

    @staticmethod
    def resolve_resource(obj):
        return obj.resource.uid

    @staticmethod
    def resolve_resource_name(obj):
        return obj.resource.name


class ItemPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ItemOut]


class ItemIn(Schema):
    """A catalogue item: ``org_unit`` the community's code, ``resource`` the uid of the
    resource of the three lists that supplies it; price in whole points; stock ≥ 0."""

    org_unit: line(20)
    resource: UUID
    name: line(60)
    description: line(300) = ""
    price: int
    stock: int


class ItemPatch(Schema):
    version: int
    name: line(60) | None = None
    description: line(300) | None = None
    price: int | None = None
    stock: int | None = None
    active: bool | None = None


class RedemptionOut(Schema):
    uid: UUID
    item: str
    resident_masked: str
    points: int
    state: str
    placed_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reason: str
    version: int

    @staticmethod
    def resolve_item(obj):
        return obj.item.name

    @staticmethod
    def resolve_resident_masked(obj):
        return mask_name(obj.resident.name)


class RedemptionPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[RedemptionOut]


class PlacedOut(RedemptionOut):
    code: str  # the pick-up code: shown this once, only its keyed hash is kept


class RedeemIn(Schema):
    item: UUID


class CodeIn(Schema):
    code: line(8)


class CancelIn(Schema):
    version: int
    reason: line(300)


class TransferIn(Schema):
    """``to_resident``: the uid of a member of the caller's household; ``hours`` up to two
    decimals; ``request_key``: any string the client keeps, so a resend writes nothing."""

    to_resident: UUID
    hours: Decimal
    request_key: line(60) = ""


class WithdrawIn(Schema):
    """Hours the person served paid for a completed service order with (once per order)."""

    order: UUID
    hours: Decimal
    resident: UUID | None = None


class CreditIn(Schema):
    """An act whose rule needs approval: ``source`` names its record as ``app.model:id``."""

    resident: UUID
    action: line(40)
    source: line(120)


class CorrectionIn(Schema):
    transaction: int
    reason: line(300)


class TxnOut(Schema):
    transaction: int | None
    points: Decimal
    note: str = ""


def _resident_pk(uid) -> int:
    from gridgov.people.models import Resident

    found = Resident.objects.filter(uid=uid).values_list("pk", flat=True).first()
    return found if found is not None else -1


# The resident's own ---------------------------------------------------------------------


@router.get("/participation/points/me", response=StatementOut)
@api_requires("participation.take_part")
def my_points(request):
    return _statement(require_resident(request.user), points.POINTS)


@router.get("/participation/timebank/me", response=StatementOut)
@api_requires("participation.take_part")
def my_hours(request):
    return _statement(require_resident(request.user), points.HOURS)


@router.get("/participation/catalogue/offered", response=list[ItemOut])
@api_requires("participation.take_part")
def offered(request):
    resident = require_resident(request.user)
    return list(
        points.items_for_resident(resident)
        .filter(stock__gt=0)
        .select_related("org_unit", "resource")
    )


@router.post("/participation/redemptions", response={201: PlacedOut})
@api_requires("participation.take_part")
def redeem(request, payload: RedeemIn):
    """Spend points on an item: 409 ``insufficient_balance`` or ``out_of_stock`` when the
    balance or stock does not cover it (nothing written)."""
    order, code = points.redeem(actor=request.user, item_uid=payload.item)
    order.code = code
    return Status(201, order)


@router.get("/participation/redemptions/mine", response=list[RedemptionOut])
@api_requires("participation.take_part")
def my_redemptions(request):
    return list(read.own_redemptions(require_resident(request.user))[:100])


@router.post("/participation/timebank/transfers", response={201: TxnOut})
@api_requires("participation.take_part")
def transfer(request, payload: TransferIn):
    txn = points.transfer_hours(
        actor=request.user,
        to_resident_id=_resident_pk(payload.to_resident),
        hours=payload.hours,
        request_key=payload.request_key,
    )
    return Status(201, {"transaction": txn.pk, "points": payload.hours})


# Staff ---------------------------------------------------------------------------------


@router.get("/participation/points", response=list[UnitOut])
@api_requires("participation.view")
def overview(request):
    """Per org unit of the caller's scope: residents with accounts, points and hours held."""
    return [
        {
            "path": row["path"],
            "name": row["name"],
            "accounts": row["accounts"],
            "points": row[points.POINTS],
            "hours": row[points.HOURS],
        }
        for row in read.overview(request.user)
    ]


@router.get("/participation/points/residents/{uid}", response=StatementOut)
@api_requires("participation.view")
def resident_points(request, uid: UUID):
    resident = read.resident_for_staff(request.user, _resident_pk(uid))
    return _statement(resident, points.POINTS)


@router.get("/participation/timebank/residents/{uid}", response=StatementOut)
@api_requires("participation.view")
def resident_hours(request, uid: UUID):
    resident = read.resident_for_staff(request.user, _resident_pk(uid))
    return _statement(resident, points.HOURS)


@router.post("/participation/points/credits", response={201: TxnOut})
@api_requires("participation.ledger")
def approve_credit(request, payload: CreditIn):
    """Credit an act whose earning rule needs staff approval (409 when it needs none)."""
    credit = points.approve_credit(
        actor=request.user,
        resident_id=_resident_pk(payload.resident),
        action=payload.action,
        source=payload.source,
    )
    txn = credit.transaction
    return Status(
        201, {"transaction": txn.pk if txn else None, "points": credit.points, "note": credit.note}
    )


class PendingOut(Schema):
    uid: UUID
    resident: UUID
    resident_masked: str
    action: str
    label: str
    units: Decimal
    occurred_at: datetime
    state: str
    points: int | None
    reason: str
    decided_at: datetime | None
    version: int

    @staticmethod
    def resolve_resident(obj):
        return obj.resident.uid

    @staticmethod
    def resolve_resident_masked(obj):
        return mask_name(obj.resident.name)

    @staticmethod
    def resolve_label(obj):
        return str(read.ACTION_LABELS.get(obj.action, obj.action))


class PendingPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[PendingOut]


class DecisionIn(Schema):
    decision: line(10)
    reason: line(300) = ""
    version: Version | None = None


@router.get("/participation/points/pending", response=PendingPage)
@api_requires("participation.ledger")
def pending_list(request, state: line(10) = "pending", offset: Offset = 0, limit: Limit = 50):
    """Acts whose earning rule needs approval (``state``: pending, approved, declined, or
    empty for all), in the caller's ledger scope."""
    qs = read.pending_credits(request.user, state=state)
    rows, limit, offset = page_slice(qs, offset, limit)
    return {"count": qs.count(), "offset": offset, "limit": limit, "items": list(rows)}


@router.post("/participation/points/pending/{uid}", response=PendingOut)
@api_requires("participation.ledger")
def pending_decide(request, uid: UUID, payload: DecisionIn):
    """``decision``: approve (credit as the rule gives, caps apply) or decline (with the
    reason); 409 once decided or with a stale version."""
    if payload.decision == "approve":
        points.pending_approve(actor=request.user, uid=uid, version=payload.version)
    elif payload.decision == "decline":
        points.pending_decline(
            actor=request.user, uid=uid, reason=payload.reason, version=payload.version
        )
    else:
        raise ValidationFailed(details={"decision": [_("Approve or decline.")]})
    return read.pending_credits(request.user, state="").get(uid=uid)


@router.post("/participation/points/corrections", response={201: TxnOut})
@api_requires("participation.ledger")
def correct(request, payload: CorrectionIn):
    """Reverse a transaction with a reason; approved by the caller, who must not have made
    the original (422 ``separation_of_duties``)."""
    back = points.correct(
        actor=request.user, transaction_id=payload.transaction, reason=payload.reason
    )
    return Status(201, {"transaction": back.pk, "points": 0})


@router.post("/participation/timebank/withdrawals", response={201: TxnOut})
@api_requires("participation.manage")
def withdraw(request, payload: WithdrawIn):
    txn = points.withdraw_hours(
        actor=request.user,
        order_uid=payload.order,
        hours=payload.hours,
        resident_id=_resident_pk(payload.resident) if payload.resident else None,
    )
    return Status(201, {"transaction": txn.pk, "points": payload.hours})


@router.get("/participation/catalogue", response=ItemPage)
@api_requires("participation.view")
def catalogue(request, offset: Offset = 0, limit: Limit = 50):
    qs = read.catalogue(request.user)
    items, limit, offset = page_slice(qs, offset, limit)
    return ItemPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/participation/catalogue", response={201: ItemOut})
@api_requires("participation.ledger")
def catalogue_create(request, payload: ItemIn):
    from gridgov.org.models import OrgUnit

    unit = OrgUnit.objects.filter(code=payload.org_unit).values_list("pk", flat=True).first()
    item = points.item_create(
        actor=request.user,
        org_unit_id=unit or -1,
        resource_uid=payload.resource,
        name=payload.name,
        description=payload.description,
        price=payload.price,
        stock=payload.stock,
    )
    return Status(201, item)


@router.patch("/participation/catalogue/{uid}", response=ItemOut)
@api_requires("participation.ledger")
def catalogue_update(request, uid: UUID, payload: ItemPatch):
    data = payload.model_dump(exclude_none=True)
    version = data.pop("version")
    return points.item_update(actor=request.user, uid=uid, version=version, **data)


@router.get("/participation/redemptions", response=RedemptionPage)
@api_requires("participation.view")
def redemptions(request, state: line(10) = "", offset: Offset = 0, limit: Limit = 50):
    qs = read.redemptions(request.user, state or None)
    items, limit, offset = page_slice(qs, offset, limit)
    return RedemptionPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/participation/redemptions/pickup", response=RedemptionOut)
@api_requires("participation.manage")
def pick_up(request, payload: CodeIn):
    """Hand the item over against the resident's 8-digit code (404 ``unknown_code``)."""
    return points.pick_up(actor=request.user, code=payload.code)


@router.post("/participation/redemptions/{uid}/cancel", response=RedemptionOut)
@api_requires("participation.manage")
def cancel(request, uid: UUID, payload: CancelIn):
    """Cancel a placed order with a reason; the points come back by a reversing entry."""
    return points.cancel_redemption(
        actor=request.user, uid=uid, reason=payload.reason, version=payload.version
    )
