"""Pages of points 积分 and the time bank 时间银行. Staff: the ledger overview per unit, a
resident's statement (masked name) with corrections and hour withdrawals, the redemption
catalogue, redemption orders with pick-up by code. The resident (phone first, under
/participation/me/): balances and statement, the catalogue and redeeming (the pick-up code
shown once), the time bank and transfers to family members. Thin: the services decide."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.masking import mask_name
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_filter
from gridgov.participation import selectors_points as read
from gridgov.participation import services_points as points
from gridgov.participation.models import Redemption
from gridgov.residents.selectors import require_resident

PAGE = 200


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _resident_pk(uid) -> int:
    from gridgov.people.models import Resident

    try:
        found = Resident.objects.filter(uid=uid).values_list("pk", flat=True).first()
    except (ValueError, TypeError):
        found = None
    return found if found is not None else -1


# Staff -------------------------------------------------------------------------------


@requires("participation.view")
def points_overview(request):
    user = request.user
    rows = [
        {"resident": r, "name": mask_name(r.name), "points": p, "hours": h}
        for r, p, h in read.holders(user)
    ]
    ledger = user.has_permission("participation.ledger")
    return render(
        request,
        "participation/points_overview.html",
        {
            "units": read.overview(user),
            "rows": rows,
            "perms_ledger": ledger,
            "waiting": read.pending_credits(user).count() if ledger else 0,
        },
    )


@requires("participation.view")
def points_statement(request, uid):
    user = request.user
    resident = read.resident_for_staff(user, _resident_pk(uid))
    return render(
        request,
        "participation/points_statement.html",
        {
            "resident": resident,
            "name": mask_name(resident.name),
            "balances": read.balances(resident),
            "points_lines": read.statement(resident, points.POINTS),
            "hour_lines": read.statement(resident, points.HOURS),
            "can_correct": path_filter(user, "participation.ledger", "scope_path") is not None
            and user.has_permission("participation.ledger"),
            "can_withdraw": user.has_permission("participation.manage"),
        },
    )


def _act(action: str):
    return read.ACTION_LABELS.get(action, action)


@requires("participation.ledger")
def points_approvals(request):
    """Acts whose earning rule needs approval (the policy says which), waiting for staff;
    the last decided ones below."""

    def shown(row):
        return {"row": row, "name": mask_name(row.resident.name), "act": _act(row.action)}

    waiting = [shown(row) for row in read.pending_credits(request.user)[:PAGE]]
    decided = [
        shown(row)
        for row in read.pending_credits(request.user, state="").exclude(state="pending")[:20]
    ]
    return render(
        request,
        "participation/points_approvals.html",
        {"waiting": waiting, "decided": decided},
    )


@requires("participation.ledger")
@require_POST
def points_approval_decide(request, uid):
    try:
        if request.POST.get("decision") == "approve":
            credit = points.pending_approve(actor=request.user, uid=uid, version=_version(request))
            messages.success(request, _("Credited: %(points)d points.") % {"points": credit.points})
        elif request.POST.get("decision") == "decline":
            points.pending_decline(
                actor=request.user,
                uid=uid,
                reason=request.POST.get("reason", ""),
                version=_version(request),
            )
            messages.success(request, _("Declined; the resident earns nothing for it."))
        else:
            raise ValidationFailed(details={"decision": [_("Approve or decline.")]})
    except NotFound:
        raise  # outside the actor's scope: the same 404 as a missing act
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:points_approvals")


@requires("participation.ledger")
@require_POST
def points_correct(request, uid):
    resident = read.resident_for_staff(request.user, _resident_pk(uid))
    raw = request.POST.get("transaction", "")
    try:
        points.correct(
            actor=request.user,
            transaction_id=int(raw) if raw.isdigit() else -1,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("The entry was reversed."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:points_statement", resident.uid)


@requires("participation.manage")
@require_POST
def hours_withdraw(request, uid):
    resident = read.resident_for_staff(request.user, _resident_pk(uid))
    try:
        points.withdraw_hours(
            actor=request.user,
            order_uid=(request.POST.get("order") or "").strip() or None,
            hours=request.POST.get("hours", ""),
            resident_id=resident.pk,
        )
        messages.success(request, _("The hours were spent on the service."))
    except (GridGovError, ValueError) as exc:
        messages.error(
            request, error_text(exc) if isinstance(exc, GridGovError) else _("Not found.")
        )
    return redirect("participation:points_statement", resident.uid)


@requires("participation.view")
def catalogue(request):
    user = request.user
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        if not user.has_permission("participation.ledger"):
            from gridgov.core.errors import PermissionDenied

            raise PermissionDenied()
        from gridgov.lists.models import Resource
        from gridgov.org.models import OrgUnit

        unit = OrgUnit.objects.filter(code=request.POST.get("org_unit", "")).first()
        resource = Resource.objects.filter(pk=_int(request.POST.get("resource"))).first()
        try:
            points.item_create(
                actor=user,
                org_unit_id=unit.pk if unit else -1,
                resource_uid=resource.uid if resource else None,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                price=request.POST.get("price", ""),
                stock=request.POST.get("stock", ""),
            )
            messages.success(request, _("The item was added to the catalogue."))
            return redirect("participation:catalogue")
        except ValidationFailed as exc:
            errors, error, status = exc.details or {}, error_text(exc), 400
        except GridGovError as exc:
            error, status = error_text(exc), exc.status
    keeps = user.has_permission("participation.ledger")
    units, resources = [], []
    if keeps:
        from gridgov.lists.models import Resource
        from gridgov.org.models import OrgUnit

        within = path_filter(user, "participation.ledger", "path")
        units = list(OrgUnit.objects.filter(within, level="community")) if within else []
        resources = list(Resource.objects.visible_to(user, "view").filter(status="active")[:PAGE])
    return render(
        request,
        "participation/catalogue.html",
        {
            "items": list(read.catalogue(user)[:PAGE]),
            "keeps": keeps,
            "units": units,
            "resources": resources,
            "errors": errors,
            "error": error,
            "form": request.POST if request.method == "POST" else {},
        },
        status=status,
    )


def _int(raw) -> int:
    return int(raw) if raw and str(raw).isdigit() else -1


@requires("participation.ledger")
@require_POST
def catalogue_item(request, uid):
    data = {k: request.POST.get(k) for k in ("price", "stock") if request.POST.get(k)}
    data["active"] = request.POST.get("active") == "on"
    try:
        points.item_update(actor=request.user, uid=uid, version=_version(request), **data)
        messages.success(request, _("The item was saved."))
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
    return redirect("participation:catalogue")


@requires("participation.view")
def redemption_list(request):
    state = request.GET.get("state", Redemption.State.PLACED)
    if state not in Redemption.State.values:
        state = ""
    rows = read.redemptions(request.user, state or None)
    return render(
        request,
        "participation/redemption_list.html",
        {
            "rows": [(r, mask_name(r.resident.name)) for r in rows[:PAGE]],
            "state": state,
            "states": Redemption.State.choices,
            "can_hand_over": request.user.has_permission("participation.manage"),
        },
    )


@requires("participation.manage")
@require_POST
def redemption_pickup(request):
    try:
        order = points.pick_up(actor=request.user, code=request.POST.get("code", ""))
        messages.success(
            request,
            _("Hand over: %(item)s to %(name)s.")
            % {"item": order.item.name, "name": mask_name(order.resident.name)},
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:redemption_list")


@requires("participation.manage")
@require_POST
def redemption_cancel(request, uid):
    try:
        points.cancel_redemption(
            actor=request.user,
            uid=uid,
            reason=request.POST.get("reason", ""),
            version=_version(request),
        )
        messages.success(request, _("The redemption was cancelled and the points given back."))
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
    return redirect("participation:redemption_list")


# The resident's own ------------------------------------------------------------------


@requires("participation.take_part")
def my_points(request):
    resident = require_resident(request.user)
    return render(
        request,
        "participation/my_points.html",
        {
            "balances": read.balances(resident),
            "lines": read.statement(resident, points.POINTS, limit=50),
            "orders": list(read.own_redemptions(resident)[:20]),
        },
    )


@requires("participation.take_part")
def my_catalogue(request):
    resident = require_resident(request.user)
    items = points.items_for_resident(resident).select_related("resource", "org_unit")
    return render(
        request,
        "participation/my_catalogue.html",
        {"items": list(items[:PAGE]), "balance": read.balances(resident)[points.POINTS]},
    )


@requires("participation.take_part")
@require_POST
def my_redeem(request, uid):
    resident = require_resident(request.user)
    try:
        order, code = points.redeem(actor=request.user, item_uid=uid)
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
        return redirect("participation:my_catalogue")
    response = render(
        request,
        "participation/my_redeemed.html",
        {"order": order, "code": code, "balance": read.balances(resident)[points.POINTS]},
        status=201,
    )
    response["Cache-Control"] = "no-store"
    return response


@requires("participation.take_part")
def my_timebank(request):
    resident = require_resident(request.user)
    error = ""
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            points.transfer_hours(
                actor=request.user,
                to_resident_id=_resident_pk(request.POST.get("to_resident", "")),
                hours=request.POST.get("hours", ""),
                request_key=request.POST.get("request_key", ""),
            )
            messages.success(request, _("The hours were transferred."))
            return redirect("participation:my_timebank")
        except ValidationFailed as exc:
            errors, error, status = exc.details or {}, error_text(exc), 400
        except GridGovError as exc:
            error, status = error_text(exc), exc.status
    import uuid

    from gridgov.core.policies import policy_in_force

    return render(
        request,
        "participation/my_timebank.html",
        {
            "balance": read.balances(resident)[points.HOURS],
            "lines": read.statement(resident, points.HOURS, limit=50),
            "family": [(m, mask_name(m.name)) for m in points.family_members(resident)],
            "transfer_on": policy_in_force("participation.timebank").value.family_transfer,
            "request_key": uuid.uuid4().hex,
            "error": error,
            "errors": errors,
        },
        status=status,
    )
