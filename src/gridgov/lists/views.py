"""Pages of the three lists (phone-friendly): needs (list, register, detail with its
timeline, actions, candidates and the manual match), resources (list, add, edit) and
service orders (list, detail with accept/refuse/start/complete/rate). The pages and the
API call the same services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.masking import mask_name, mask_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.lists import selectors, services
from gridgov.lists.models import Need, Resource, ServiceOrder
from gridgov.lists.views_projects import need_panel
from gridgov.lists.workflow import (
    NEED_MACHINE,
    NEED_MANUAL,
    ORDER_MACHINE,
    ORDER_MANUAL,
    PROVIDER_ACTIONS,
)
from gridgov.people.models import Household, TagCategory

PAGE = 100


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


@requires("lists.view")
def need_list(request):
    state = request.GET.get("state", "")
    category = request.GET.get("category", "")
    colour = request.GET.get("colour", "")
    qs = selectors.need_list(actor=request.user, state=state, category=category, colour=colour)
    return render(
        request,
        "lists/need_list.html",
        {
            "needs": list(qs[:PAGE]),
            "count": qs.count(),
            "states": Need.State.choices,
            "colours": [c for c in Need.Colour.choices if c[0]],
            "categories": selectors.categories(),
            "state": state,
            "category": category,
            "colour": colour,
            "can_register": request.user.has_permission("lists.register"),
            "can_dispatch": request.user.has_permission("lists.dispatch"),
        },
    )


def _event(request, code: str):
    """The grid event (by tracking code) the caller marks as a need, if one they see."""
    from gridgov.events.models import Event

    code = (code or "").strip()[:12]
    if not code:
        return None
    event = Event.objects.visible_to(request.user).filter(tracking_code=code).first()
    if event is None:
        raise ValidationFailed(
            details={"event": [_("No event with this tracking code in your area.")]}
        )
    return event


@requires("lists.register")
def need_create(request):
    errors = None
    posted = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        number = request.POST.get("household", "").strip()
        households = Household.objects.visible_to(request.user).filter(number=number)[:2]
        try:
            if len(households) != 1:
                raise ValidationFailed(
                    details={
                        "household": [
                            _("No household with this number in your area.")
                            if not households
                            else _(
                                "Several households have this number: register from the household."
                            )
                        ]
                    }
                )
            data = services.NeedInput(
                household=str(households[0].uid),
                category=request.POST.get("category", ""),
                text=request.POST.get("text", ""),
                kind=request.POST.get("kind", "service"),
                source=request.POST.get("source", "staff"),
                priority=request.POST.get("priority", "normal"),
            )
            event = _event(request, request.POST.get("event", ""))
            if event is not None:
                need, merged = services.need_from_event(
                    actor=request.user, event_uid=event.uid, data=data
                )
            else:
                need, merged = services.need_register(actor=request.user, data=data)
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            if merged:
                messages.info(
                    request, _("The household already had this need open: merged into it.")
                )
            else:
                messages.success(request, _("The need was registered."))
            return redirect("lists:need_detail", uid=need.uid)
    try:
        event = _event(request, request.POST.get("event") or request.GET.get("event", ""))
    except ValidationFailed as exc:
        event = None
        errors = {**(errors or {}), **exc.details}
    return render(
        request,
        "lists/need_form.html",
        {
            "event": event,
            "categories": selectors.categories(),
            "kinds": Need.Kind.choices,
            "sources": Need.Source.choices,
            "priorities": Need.Priority.choices,
            "posted": posted,
            "errors": errors,
        },
    )


def _colour_rule_text(need: Need, user) -> str:
    """The rule that set the colour, in words: the policy and its version, the list and the
    tag; a sensitive tag is named only to roles that see sensitive tags."""
    from gridgov.core.policies import REGISTRY
    from gridgov.people.privacy import actor_sees_sensitive_tags

    head, _sep, rest = need.colour_rule.partition(": ")
    key, _sep, version = head.partition(" v")
    title = str(REGISTRY[key].title) if key in REGISTRY else key
    lists = {
        "red_tags": _("Tags that make a need red"),
        "yellow_tags": _("Tags that make a need yellow"),
        "blue_tags": _("Tags that make a need blue"),
    }
    if rest.startswith("red_min_age"):
        which = f"{_('Age from which a need is red')} {rest.rsplit('≥', 1)[-1]}"
    elif ":" in rest:
        name, code = rest.split(":", 1)
        tag = TagCategory.objects.filter(code=code).first()
        shown = tag.name if tag else code
        if (
            tag is not None
            and tag.sensitivity == TagCategory.Sensitivity.SENSITIVE
            and not actor_sees_sensitive_tags(user)
        ):
            shown = _("a sensitive tag")
        which = f"{lists.get(name, name)}: {shown}"
    else:
        which = _("no special-population tag applies")
    return f"{title} v{version} · {which}"


def _timeline(need: Need) -> list[dict]:
    states = dict(Need.State.choices)
    labels = {a: t.label for a, t in NEED_MACHINE.transitions.items()}
    labels |= {"register": _("need registered"), "merge": _("duplicate need merged")}
    return [
        {
            "at": e.created_at,
            "action": labels.get(e.action, e.action),
            "state": states.get(e.to_state, ""),
            "actor": e.actor_name,
            "note": e.note,
        }
        for e in need.log.all()
    ]


def _propose_unit(user, need: Need):
    """The grid of the need, for the link to a matching proposal there."""
    from gridgov.lists.matching_services import scope_units

    return scope_units(user).filter(path=need.household.grid.path).first()


@requires("lists.view")
def need_detail(request, uid):
    need = selectors.need_get(actor=request.user, uid=uid)
    offered = [a for a in NEED_MACHINE.offered(request.user, need) if a in NEED_MANUAL]
    can_dispatch = NEED_MACHINE.refusal(request.user, need, "dispatch") is None
    return render(
        request,
        "lists/need_detail.html",
        {
            "need": need,
            "resident_name": mask_name(need.resident.name) if need.resident_id else "",
            "colour_rule": _colour_rule_text(need, request.user),
            "actions": [(a, NEED_MACHINE.transitions[a]) for a in offered],
            "routes": [r for r in Need.Route.choices if r[0]],
            "log": _timeline(need),
            "orders": need.orders.select_related("resource").order_by("-dispatched_at"),
            "candidates": selectors.candidates(need) if can_dispatch else [],
            "can_dispatch": can_dispatch,
            "propose_unit": _propose_unit(request.user, need) if can_dispatch else None,
            **need_panel(request.user, need),
        },
    )


@requires("lists.manage")
@require_POST
def need_action(request, uid):
    need = selectors.need_get(actor=request.user, uid=uid, action="manage")
    try:
        services.need_transition(
            actor=request.user,
            need=need,
            action=request.POST.get("action", ""),
            version=_version(request),
            reason=request.POST.get("reason", ""),
            route=request.POST.get("route", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("lists:need_detail", uid=need.uid)


@requires("lists.dispatch")
@require_POST
def need_dispatch(request, uid):
    """The manual match (人工协调): the chosen candidate gets a service order."""
    need = selectors.need_get(actor=request.user, uid=uid, action="dispatch")
    try:
        order = services.order_dispatch(
            actor=request.user,
            need=need,
            resource_uid=request.POST.get("resource", ""),
            version=_version(request),
            note=request.POST.get("note", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
        return redirect("lists:need_detail", uid=need.uid)
    messages.success(request, _("The service order was dispatched."))
    return redirect("lists:order_detail", uid=order.uid)


# Resources ---------------------------------------------------------------------------------


@requires("lists.view")
def resource_list(request):
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    qs = selectors.resource_list(actor=request.user, status=status, category=category)
    rows = [
        {"r": r, "left": selectors.capacity_left(r)}
        for r in qs.prefetch_related("categories")[:PAGE]
    ]
    return render(
        request,
        "lists/resource_list.html",
        {
            "rows": rows,
            "count": qs.count(),
            "statuses": Resource.Status.choices,
            "categories": selectors.categories(),
            "status": status,
            "category": category,
            "can_manage": request.user.has_permission("lists.manage"),
        },
    )


def _resource_data(request) -> dict:
    post = request.POST
    return {
        "name": post.get("name", ""),
        "resource_class": post.get("resource_class", ""),
        "provider_kind": post.get("provider_kind", ""),
        "provider_name": post.get("provider_name", ""),
        "categories": post.getlist("categories"),
        "owner": post.get("owner", ""),
        "capacity": post.get("capacity", ""),
        "capacity_unit": post.get("capacity_unit", ""),
        "capacity_period": post.get("capacity_period", ""),
        "area_paths": post.get("area_paths", ""),
        "lon": post.get("lon", ""),
        "lat": post.get("lat", ""),
        "radius_m": post.get("radius_m", ""),
        "cost_basis": post.get("cost_basis", ""),
        "eligible_tags": post.getlist("eligible_tags"),
        "min_age": post.get("min_age", ""),
        "max_age": post.get("max_age", ""),
        "contact_name": post.get("contact_name", ""),
        "contact_phone": post.get("contact_phone", ""),
        "status": post.get("status", ""),
        "last_verified": post.get("last_verified", ""),
    }


def _resource_form(request, resource: Resource | None, errors, posted) -> object:
    from gridgov.core.scoping import path_filter
    from gridgov.org.models import OrgUnit

    units = OrgUnit.objects.none()
    query = path_filter(request.user, "lists.manage")
    if query is not None:
        units = OrgUnit.objects.filter(query).exclude(level="grid").order_by("path")[:200]
    if resource is not None and not posted:
        posted = {
            "name": resource.name,
            "resource_class": resource.resource_class,
            "provider_kind": resource.provider_kind,
            "provider_name": resource.provider_name,
            "owner": resource.owner.code,
            "capacity": resource.capacity,
            "capacity_unit": resource.capacity_unit,
            "capacity_period": resource.capacity_period,
            "area_paths": " ".join(p.strip("/").split("/")[-1] for p in resource.area_paths),
            "lon": "" if resource.lon is None else resource.lon,
            "lat": "" if resource.lat is None else resource.lat,
            "radius_m": resource.radius_m or "",
            "cost_basis": resource.cost_basis,
            "min_age": "" if resource.min_age is None else resource.min_age,
            "max_age": "" if resource.max_age is None else resource.max_age,
            "contact_name": resource.contact_name,
            "status": resource.status,
            "last_verified": resource.last_verified.isoformat() if resource.last_verified else "",
        }
        chosen_categories = [c.code for c in resource.categories.all()]
        chosen_tags = resource.eligible_tags
    else:
        chosen_categories = request.POST.getlist("categories")
        chosen_tags = request.POST.getlist("eligible_tags")
    operators = []
    if resource is not None:
        operators = list(resource.operators.select_related("user").order_by("created_at"))
    return render(
        request,
        "lists/resource_form.html",
        {
            "resource": resource,
            "operators": operators,
            # Residents rate a service through a satisfaction survey run by its unit.
            "can_survey": resource is not None
            and path_in_scope(request.user, resource.owner.path, "participation.manage"),
            "posted": posted or {},
            "errors": errors,
            "units": units,
            "categories": selectors.categories(),
            "tags": TagCategory.objects.filter(is_active=True),
            "chosen_categories": chosen_categories,
            "chosen_tags": chosen_tags,
            "classes": Resource.Class.choices,
            "provider_kinds": Resource.ProviderKind.choices,
            "units_of_capacity": Resource.Unit.choices,
            "periods": Resource.Period.choices,
            "costs": Resource.Cost.choices,
            "statuses": Resource.Status.choices,
        },
    )


@requires("lists.manage")
def resource_create(request):
    errors = None
    if request.method == "POST":
        try:
            resource = services.resource_create(actor=request.user, data=_resource_data(request))
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The resource was added."))
            return redirect("lists:resource_edit", uid=resource.uid)
    return _resource_form(request, None, errors, request.POST if request.method == "POST" else {})


@requires("lists.manage")
def resource_edit(request, uid):
    resource = selectors.resource_get(actor=request.user, uid=uid, action="manage")
    errors = None
    if request.method == "POST":
        try:
            resource = services.resource_update(
                actor=request.user,
                resource=resource,
                data=_resource_data(request),
                version=_version(request),
            )
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("lists:resource_edit", uid=resource.uid)
    return _resource_form(
        request, resource, errors, request.POST if request.method == "POST" else {}
    )


@requires("lists.catalogue")
def category_list(request):
    """The need-category taxonomy: add a category, rename, reorder, retire or restore one."""
    from gridgov.lists.models import NeedCategory

    errors = None
    if request.method == "POST":
        try:
            services.category_save(
                actor=request.user,
                code=request.POST.get("code", ""),
                name=request.POST.get("name", ""),
                name_en=request.POST.get("name_en", ""),
                sort=request.POST.get("sort", ""),
                is_active=request.POST.get("is_active") == "1",
            )
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("lists:category_list")
    return render(
        request,
        "lists/category_list.html",
        {
            "categories": NeedCategory.objects.all(),
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=400 if errors else 200,
    )


# Service orders ----------------------------------------------------------------------------


@requires("lists.dispatch")
def order_list(request):
    state = request.GET.get("state", "")
    qs = selectors.order_list(actor=request.user, state=state)
    return render(
        request,
        "lists/order_list.html",
        {
            "orders": list(qs[:PAGE]),
            "count": qs.count(),
            "states": [
                ("overdue", _("overdue")),
                ("to_accept", _("to accept")),
                ("in_hand", _("accepted or in service")),
                *ServiceOrder.State.choices,
            ],
            "state": state,
        },
    )


@requires("lists.dispatch")
def order_detail(request, uid):
    order = selectors.order_get(actor=request.user, uid=uid, action="dispatch")
    offered = [a for a in ORDER_MACHINE.offered(request.user, order) if a in ORDER_MANUAL]
    return render(
        request,
        "lists/order_detail.html",
        {
            "order": order,
            "contact_name": mask_name(order.resource.contact_name)
            if order.resource.contact_name
            else "",
            "actions": [(a, ORDER_MACHINE.transitions[a]) for a in offered],
            "met_choices": ServiceOrder.Met.choices,
            "stars": range(1, 6),
        },
    )


@requires("lists.dispatch")
@require_POST
def order_action(request, uid):
    order = selectors.order_get(actor=request.user, uid=uid, action="dispatch")
    post = request.POST
    try:
        services.order_transition(
            actor=request.user,
            order=order,
            action=post.get("action", ""),
            version=_version(request),
            reason=post.get("reason", ""),
            hours=post.get("hours"),
            rating=services.Rating(
                post.get("resident_rating"), post.get("need_met", ""), post.get("outcome_rating")
            ),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("lists:order_detail", uid=order.uid)


# Resource operators (provider accounts) ----------------------------------------------------


@requires("lists.manage")
@require_POST
def resource_operators(request, uid):
    """Link a provider account to the resource (by user name) or unlink one."""
    resource = selectors.resource_get(actor=request.user, uid=uid, action="manage")
    try:
        if request.POST.get("remove"):
            services.operator_remove(
                actor=request.user, resource=resource, user_id=request.POST.get("remove")
            )
            messages.success(request, _("The account no longer operates the resource."))
        else:
            services.operator_add(
                actor=request.user, resource=resource, username=request.POST.get("username", "")
            )
            messages.success(request, _("The account now operates the resource."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect(f"{reverse('lists:resource_edit', args=[resource.uid])}#operators")


# The provider's pages (服务提供方) ------------------------------------------------------------


def _provider_row(order: ServiceOrder) -> dict:
    return {
        "order": order,
        "place": selectors.order_place(order),
        "number": selectors.mask_number(order.need.household.number),
        "text": mask_text(order.need.text),
    }


@requires("lists.serve")
def provider_home(request):
    """A provider account's home: its orders to accept, in hand and overdue, then the rest."""
    queues = selectors.provider_queues(actor=request.user)
    labels = {
        "to_accept": _("To accept"),
        "in_hand": _("In service"),
        "overdue": _("Overdue"),
    }
    sections = [
        {
            "key": key,
            "label": labels[key],
            "count": qs.count(),
            "rows": [_provider_row(o) for o in qs[:PAGE]],
        }
        for key, qs in queues.items()
    ]
    done = selectors.order_list(actor=request.user, action="serve").exclude(
        state__in=ServiceOrder.ACTIVE_STATES
    )
    return render(
        request,
        "lists/provider_home.html",
        {
            "sections": sections,
            "done": [_provider_row(o) for o in done[:20]],
            "resources": selectors.operated_resources(actor=request.user),
        },
    )


@requires("lists.serve")
def provider_order(request, uid):
    order = selectors.order_get(actor=request.user, uid=uid, action="serve")
    offered = [a for a in ORDER_MACHINE.offered(request.user, order) if a in PROVIDER_ACTIONS]
    return render(
        request,
        "lists/provider_order.html",
        {
            **_provider_row(order),
            "actions": [(a, ORDER_MACHINE.transitions[a]) for a in offered],
            "can_reveal": order.state
            in (ServiceOrder.State.ACCEPTED, ServiceOrder.State.IN_SERVICE),
        },
    )


@requires("lists.serve")
@require_POST
def provider_action(request, uid):
    order = selectors.order_get(actor=request.user, uid=uid, action="serve")
    action = request.POST.get("action", "")
    try:
        if action not in PROVIDER_ACTIONS:
            raise ValidationFailed(details={"action": [_("Unknown action.")]})
        services.order_transition(
            actor=request.user,
            order=order,
            action=action,
            version=_version(request),
            reason=request.POST.get("reason", ""),
            hours=request.POST.get("hours"),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("lists:provider_order", uid=order.uid)


@requires("lists.serve")
@require_POST
def provider_reveal_address(request, uid):
    """The household's full address, for the provider serving an accepted order (audited)."""
    order = selectors.order_get(actor=request.user, uid=uid, action="serve")
    try:
        address = services.order_reveal_address(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        )
    except GridGovError as exc:
        if request.headers.get("HX-Request"):
            return render(request, "lists/_reveal_error.html", {"message": error_text(exc)})
        messages.error(request, error_text(exc))
        return redirect("lists:provider_order", uid=order.uid)
    return render(request, "events/_revealed.html", {"value": address})
