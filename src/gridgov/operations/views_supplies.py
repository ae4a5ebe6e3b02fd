"""Pages of emergency supplies (phone-first): the supplies board of a street or district
(each community's coverage, shortages and expiry warnings, the stores), a store with its
stock by category and batch, the stock-check form, receiving and moving stock, and a new
store. They call the same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.operations import selectors_supplies as selectors
from gridgov.operations import services_supplies as services
from gridgov.operations.models import StockMovement, Store
from gridgov.operations.policies_supplies import supplies_policy

PAGE = 200


@requires("operations.view")
def supply_board(request):
    user = request.user
    policy = supplies_policy()
    covers = selectors.community_coverage(actor=user)
    stores = list(selectors.store_list(actor=user)[:PAGE])
    stock = selectors.stock_by_category(stores)
    for s in stores:
        s.held = stock.get(s.pk, {})
        s.category_count = len(s.held)
    return render(
        request,
        "operations/supply_board.html",
        {
            "covers": covers,
            "stores": stores,
            "policy": policy,
            "meeting": sum(1 for c in covers if c.meets_rule),
            "near_expiry": selectors.near_expiry(actor=user).count(),
            "can_manage": user.has_permission("operations.manage"),
        },
    )


def _store_context(request, store: Store, **extra) -> dict:
    user = request.user
    manages = path_in_scope(user, store.scope_path, "operations.manage")
    categories = supplies_policy().categories
    movements = list(selectors.movement_list(store=store)[:30])
    for m in movements:
        m.category_name = categories[m.category].label() if m.category in categories else m.category
    return {
        "store": store,
        "rows": selectors.store_stock_rows(store=store),
        "movements": movements,
        "checks": list(selectors.check_list(store=store)[:5]),
        "manages": manages,
        "policy": supplies_policy(),
        "kinds": [
            (k, label)
            for k, label in StockMovement.Kind.choices
            if k in ("out", "transfer", "loss", "disposal")
        ],
        "targets": list(selectors.store_list(actor=user).exclude(pk=store.pk)[:PAGE])
        if manages
        else [],
        "errors": {},
        "posted": {},
        **extra,
    }


@requires("operations.view")
def store_detail(request, uid):
    store = selectors.store_get(actor=request.user, uid=uid)
    return render(request, "operations/store_detail.html", _store_context(request, store))


def _failed(request, store, exc: GridGovError, form: str):
    errors = (
        exc.details if isinstance(exc, ValidationFailed) and isinstance(exc.details, dict) else {}
    )
    messages.error(request, error_text(exc))
    context = _store_context(request, store, errors=errors, posted=request.POST, form=form)
    return render(request, "operations/store_detail.html", context, status=exc.status)


@require_POST
@requires("operations.manage")
def store_check(request, uid):
    store = selectors.store_get(actor=request.user, uid=uid, action="manage")
    counts = {
        key.removeprefix("count_"): value
        for key, value in request.POST.items()
        if key.startswith("count_") and value.strip() != ""
    }
    try:
        services.stock_check_record(
            actor=request.user, store=store, counts=counts, reason=request.POST.get("reason", "")
        )
    except GridGovError as exc:
        return _failed(request, store, exc, "check")
    messages.success(request, _("Stock check recorded."))
    return redirect("operations:store_detail", store.uid)


@require_POST
@requires("operations.manage")
def store_receive(request, uid):
    store = selectors.store_get(actor=request.user, uid=uid, action="manage")
    try:
        services.batch_receive(
            actor=request.user,
            store=store,
            category=request.POST.get("category", ""),
            quantity=request.POST.get("quantity", ""),
            produced_on=request.POST.get("produced_on", ""),
            expires_on=request.POST.get("expires_on", ""),
            source=request.POST.get("source", ""),
        )
    except GridGovError as exc:
        return _failed(request, store, exc, "receive")
    messages.success(request, _("Batch received."))
    return redirect("operations:store_detail", store.uid)


@require_POST
@requires("operations.manage")
def store_move(request, uid):
    store = selectors.store_get(actor=request.user, uid=uid, action="manage")
    try:
        target = request.POST.get("to_store", "").strip()
        to_store = selectors.store_get(actor=request.user, uid=target) if target else None
        services.stock_move(
            actor=request.user,
            store=store,
            kind=request.POST.get("kind", ""),
            category=request.POST.get("category", ""),
            quantity=request.POST.get("quantity", ""),
            reason=request.POST.get("reason", ""),
            to_store=to_store,
        )
    except GridGovError as exc:
        return _failed(request, store, exc, "move")
    messages.success(request, _("Stock movement recorded."))
    return redirect("operations:store_detail", store.uid)


@requires("operations.manage")
def store_create(request):
    errors, posted = {}, {}
    if request.method == "POST":
        posted = request.POST
        try:
            store = services.store_create(actor=request.user, data=request.POST.dict())
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc, Store))
        else:
            messages.success(request, _("Store added."))
            return redirect("operations:store_detail", store.uid)
    return render(
        request,
        "operations/store_form.html",
        {"errors": errors, "posted": posted, "tiers": Store.Tier.choices},
        status=422 if errors else 200,
    )


@requires("operations.view")
def transfer_suggest(request):
    """Nearest stores with stock for a store's shortage (``store``) or an emergency event
    (``event``), with a dispatch form for each store the reader may send from."""
    from gridgov.events.selectors import event_get

    user = request.user
    policy = supplies_policy()
    category = request.GET.get("category", "")
    if category not in policy.categories:
        category = next(iter(policy.categories))
    event = None
    if request.GET.get("event"):
        event = event_get(actor=user, uid=request.GET["event"])
        to_store = selectors.event_destination(actor=user, event=event)
    else:
        to_store = selectors.store_get(actor=user, uid=request.GET.get("store", ""))
    quantity_raw = request.GET.get("quantity", "")
    quantity = int(quantity_raw) if quantity_raw.isdigit() and int(quantity_raw) > 0 else None
    suggestions = []
    if to_store is not None:
        if quantity is None:
            quantity = selectors.shortfall(actor=user, store=to_store, category=category) or 1
        lon, lat = (
            (event.lon, event.lat)
            if event is not None and event.lon is not None
            else (to_store.lon, to_store.lat)
        )
        suggestions = selectors.transfer_suggestions(
            actor=user, lon=lon, lat=lat, category=category, quantity=quantity, exclude=to_store
        )
    return render(
        request,
        "operations/transfer_suggest.html",
        {
            "to_store": to_store,
            "event": event,
            "category": category,
            "cat": policy.categories[category],
            "categories": policy.categories,
            "quantity": quantity,
            "suggestions": suggestions,
            "target": policy.dispatch_minutes_max,
        },
    )


@require_POST
@requires("operations.manage")
def dispatch_create(request):
    from gridgov.events.selectors import event_get

    user = request.user
    try:
        from_store = selectors.store_get(
            actor=user, uid=request.POST.get("from_store", ""), action="manage"
        )
        to_store = selectors.store_get(actor=user, uid=request.POST.get("to_store", ""))
        event_uid = request.POST.get("event", "").strip()
        event = event_get(actor=user, uid=event_uid) if event_uid else None
        dispatch = services.dispatch_create(
            actor=user,
            from_store=from_store,
            to_store=to_store,
            category=request.POST.get("category", ""),
            quantity=request.POST.get("quantity", ""),
            event=event,
            reason=request.POST.get("reason", ""),
        )
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
        return redirect("operations:dispatch_list")
    messages.success(
        request,
        _("Dispatched: %(quantity)s to %(store)s; target %(minutes)s minutes.")
        % {
            "quantity": dispatch.quantity,
            "store": to_store.name,
            "minutes": dispatch.target_minutes,
        },
    )
    return redirect("operations:dispatch_list")


@requires("operations.view")
def dispatch_list(request):
    user = request.user
    rows = list(selectors.dispatch_list(actor=user)[:PAGE])
    for d in rows:
        d.can_receive = d.received_at is None and path_in_scope(
            user, d.to_store.scope_path, "operations.manage"
        )
        d.category_name = (
            supplies_policy().categories[d.category].label()
            if d.category in supplies_policy().categories
            else d.category
        )
    return render(request, "operations/dispatch_list.html", {"rows": rows})


@require_POST
@requires("operations.manage")
def dispatch_receive(request, uid):
    dispatch = selectors.dispatch_get(actor=request.user, uid=uid)
    version = request.POST.get("version", "")
    try:
        services.dispatch_receive(
            actor=request.user,
            dispatch=dispatch,
            version=int(version) if version.isdigit() else -1,
        )
    except GridGovError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Arrival recorded."))
    return redirect("operations:dispatch_list")
