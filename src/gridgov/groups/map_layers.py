"""The compound risk index as a layer of the grid map (core/maps.py): each compound of the
actor's area at the mean position of its placed buildings, coloured by its level."""

from __future__ import annotations

from django.db.models import Avg
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.maps import MapLayer, register_layer

LIMIT = 300
COLOURS = {"low": "#198754", "medium": "#ffc107", "high": "#dc3545", "": "#adb5bd"}
LEVEL_LABELS = {
    "low": _("low (低)"),
    "medium": _("medium (中)"),
    "high": _("high (高)"),
    "": _("not measured"),
}


def risk_points(actor) -> list[dict]:
    from gridgov.groups.selectors_warnings import compound_risks, compounds_visible
    from gridgov.org.models import Building

    compounds = list(compounds_visible(actor=actor)[:LIMIT])
    placed = {
        row["compound"]: (row["lon"], row["lat"])
        for row in Building.objects.filter(compound__in=compounds, lon__isnull=False)
        .values("compound")
        .annotate(lon=Avg("lon"), lat=Avg("lat"))
        .order_by()
    }
    compounds = [c for c in compounds if c.pk in placed]
    risks = compound_risks(actor=actor, compounds=compounds)
    points = []
    for compound in compounds:
        risk = risks[compound.pk]
        index = "—" if risk.index is None else f"{risk.index:g}"
        points.append(
            {
                "lon": placed[compound.pk][0],
                "lat": placed[compound.pk][1],
                "label": f"{compound.name} · {index} · {LEVEL_LABELS[risk.level]}",
                "colour": COLOURS[risk.level],
                "url": reverse("groups:risk_detail", args=[compound.pk]),
            }
        )
    return points


register_layer(
    MapLayer(
        key="groups-risk",
        label=_("Compound risk index"),
        permission="groups.view",
        points=risk_points,
        legend=lambda: [(COLOURS[k], LEVEL_LABELS[k]) for k in ("low", "medium", "high", "")],
    )
)
