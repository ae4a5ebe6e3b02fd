"""Operations' layers of the grid map (core/maps.py): smart devices coloured by status,
and the emergency-supply stores with the categories they hold (the resource map)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.maps import MapLayer, register_layer
from gridgov.operations.models import Device

LIMIT = 2000
STATUS_COLOURS = {
    Device.Status.ONLINE: "#198754",
    Device.Status.OFFLINE: "#6c757d",
    Device.Status.FAULT: "#dc3545",
    Device.Status.REPAIRING: "#fd7e14",
    Device.Status.DISABLED: "#adb5bd",
}


def device_points(actor) -> list[dict]:
    from gridgov.operations.selectors_devices import device_list

    rows = (
        device_list(actor=actor)
        .exclude(status=Device.Status.SCRAPPED)
        .values_list("uid", "source__code", "source__name", "source__lon", "source__lat", "status")
    )
    labels = dict(Device.Status.choices)
    return [
        {
            "lon": lon,
            "lat": lat,
            "label": f"{name} ({code}) · {labels[status]}",
            "colour": STATUS_COLOURS[status],
            "url": reverse("operations:device_detail", args=[uid]),
        }
        for uid, code, name, lon, lat, status in rows[:LIMIT]
    ]


def store_points(actor) -> list[dict]:
    from gridgov.operations.policies_supplies import supplies_policy
    from gridgov.operations.selectors_supplies import stock_by_category, store_list

    stores = list(store_list(actor=actor)[:LIMIT])
    stock = stock_by_category(stores)
    categories = supplies_policy().categories
    points = []
    for store in stores:
        held = stock.get(store.pk, {})
        summary = "、".join(
            f"{categories[c].label() if c in categories else c} {n}"
            for c, n in sorted(held.items())
        )
        points.append(
            {
                "lon": store.lon,
                "lat": store.lat,
                "label": f"{store.name} · {summary or '—'}",
                "colour": "#0d6efd" if held else "#adb5bd",
                "url": reverse("operations:store_detail", args=[store.uid]),
            }
        )
    return points


register_layer(
    MapLayer(
        key="operations-devices",
        label=_("Smart devices"),
        permission="operations.view",
        points=device_points,
        legend=lambda: [
            (STATUS_COLOURS[s], label) for s, label in Device.Status.choices if s in STATUS_COLOURS
        ],
    )
)
register_layer(
    MapLayer(
        key="operations-stores",
        label=_("Emergency supply stores"),
        permission="operations.view",
        points=store_points,
        legend=lambda: [("#0d6efd", _("stores with stock")), ("#adb5bd", _("empty stores"))],
    )
)


def uncovered_points(actor) -> list[dict]:
    """Buildings of the reader's area beyond the 15-minute circle's reach, and the
    facilities that make the circle."""
    from gridgov.operations.policies_facilities import facilities_policy
    from gridgov.operations.selectors_facilities import circle, facility_list

    policy = facilities_policy()
    kinds = [c for c, k in policy.kinds.items() if k.in_circle]
    centres = list(facility_list(actor=actor).filter(kind__in=kinds)[:LIMIT])
    if not centres:
        return []  # no circle yet: every building would be "beyond reach"
    points = []
    for prefix in actor.scope_paths("operations.view"):
        for b in circle(prefix).uncovered()[:LIMIT]:
            distance = "—" if b.nearest_m is None else f"{b.nearest_m:,.0f} m"
            points.append(
                {
                    "lon": b.lon,
                    "lat": b.lat,
                    "label": f"{_('beyond the 15-minute circle')} · {distance} · "
                    + str(_("%(n)s residents") % {"n": b.residents}),
                    "colour": "#dc3545",
                }
            )
    for f in centres:
        points.append(
            {
                "lon": f.lon,
                "lat": f.lat,
                "label": f.name,
                "colour": "#198754",
                "url": reverse("operations:facility_detail", args=[f.uid]),
            }
        )
    return points


register_layer(
    MapLayer(
        key="operations-circle",
        label=_("15-minute service circle"),
        permission="operations.view",
        points=uncovered_points,
        legend=lambda: [
            ("#198754", _("facilities of the circle")),
            ("#dc3545", _("buildings beyond its reach")),
        ],
    )
)
