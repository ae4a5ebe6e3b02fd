"""The demo's provider account (服务提供方): ``demo_provider`` (declared in ``DEMO_USERS``,
the service-provider role over 天平路街道) operates one demo resource of the street, so
it lands on that resource's service orders.

``seed_providers()`` runs after the demo's needs and resources are seeded. It links the
account to the active meals resource kept in the street with the most service orders (the
busiest active resource of the street otherwise); when the street has none it adds one
through the lists services. When the resource has no order yet and a need waits for
matching among its candidates, one order is dispatched to it, so the provider has something
to accept. Idempotent."""

from __future__ import annotations

from django.db.models import Count

from gridgov.accounts.models import User
from gridgov.lists import selectors, services
from gridgov.lists.models import Need, Resource, ResourceOperator, ServiceOrder
from gridgov.org.models import OrgUnit

PROVIDER = "demo_provider"
STREET = "310104003"
STAFF = "demo_street"  # holds lists.manage and lists.dispatch over the street


def _resource(street: OrgUnit, staff: User) -> Resource:
    pool = (
        Resource.objects.filter(status=Resource.Status.ACTIVE, scope_path__startswith=street.path)
        .annotate(n_orders=Count("orders", distinct=True))
        .order_by("-n_orders", "name", "id")
    )
    # The busiest meals resource (the provider has orders to see), else the busiest one.
    meals = pool.filter(pk__in=Resource.objects.filter(categories__code="meals").values("pk"))
    found = meals.filter(n_orders__gt=0).first() or pool.first()
    if found is not None:
        return found
    return services.resource_create(
        actor=staff,
        data={
            "name": "天平路长者助餐点",
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": "天平路助餐服务社",
            "categories": ["meals"],
            "owner": street.code,
            "capacity": 40,
            "capacity_period": "month",
            "area_paths": [street.code],
            "contact_name": "王助餐",
        },
    )


def _first_order(resource: Resource, staff: User) -> None:
    """One order for the provider to accept, when the resource has none yet."""
    if ServiceOrder.objects.filter(resource=resource).exists():
        return
    waiting = Need.objects.filter(
        state=Need.State.MATCHING,
        category__in=resource.categories.all(),
        scope_path__startswith=resource.scope_path,
    ).order_by("created_at")[:50]
    for need in waiting:
        if any(c.resource.pk == resource.pk for c in selectors.candidates(need)):
            services.order_dispatch(
                actor=staff, need=need, resource_uid=resource.uid, version=need.version
            )
            return


def seed_providers() -> Resource | None:
    """Link ``demo_provider`` to a demo resource (see the module's docstring); returns the
    resource, or None when the demo accounts are not there."""
    provider = User.objects.filter(username=PROVIDER).first()
    staff = User.objects.filter(username=STAFF).first()
    street = OrgUnit.objects.filter(code=STREET).first()
    if provider is None or staff is None or street is None:
        return None
    linked = ResourceOperator.objects.filter(user=provider).select_related("resource").first()
    resource = linked.resource if linked else _resource(street, staff)
    if linked is None:
        services.operator_add(actor=staff, resource=resource, username=provider.username)
    _first_order(resource, staff)
    return resource
