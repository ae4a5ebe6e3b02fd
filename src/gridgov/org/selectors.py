"""Reads of the org hierarchy and grids, always scoped."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Q, QuerySet
from shapely import STRtree
from shapely.geometry import Point, shape

from gridgov.org.models import Building, Compound, Grid, GridAssignment, OrgUnit


def org_unit_list(
    *, actor, level: str | None = None, parent: OrgUnit | None = None, search: str = ""
) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.visible_to(actor).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__startswith=search))
    return qs


def org_unit_get(*, actor, code: str, action: str = "view") -> OrgUnit:
    from gridgov.core.scoping import access_object

    return access_object(actor, OrgUnit.objects.select_related("parent"), action, code=code)


def org_unit_roots(*, actor) -> list[OrgUnit]:
    """The highest visible units: the tops of the actor's scopes."""
    paths = actor.scope_paths("org.view") if actor.is_authenticated else []
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def org_unit_children_with_counts(*, actor, unit: OrgUnit) -> list[OrgUnit]:
    """Visible children, each annotated with how many units and grids lie beneath it."""
    children = list(org_unit_list(actor=actor, parent=unit).order_by("code"))
    if not children:
        return children
    visible = OrgUnit.objects.visible_to(actor)
    for child in children:
        below = visible.filter(path__startswith=child.path).exclude(pk=child.pk)
        counts = below.aggregate(
            units=Count("pk"), grids=Count("pk", filter=Q(level=OrgUnit.Level.GRID))
        )
        child.descendant_count = counts["units"]
        child.grid_count = counts["grids"]
    return children


def org_unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """Ancestors for the breadcrumb (names only; visiting them is still scoped)."""
    codes = unit.ancestor_codes
    by_code = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def grid_list(*, actor, under: OrgUnit | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.visible_to(actor).select_related("unit", "unit__parent")
    if under is not None:
        qs = qs.filter(unit__path__startswith=under.path)
    return qs.order_by("unit__code")


def grid_feature_collection(grids) -> dict:
    """GeoJSON for the map: one feature per grid with its code, name and households. A
    queryset is read as plain rows: a district map has a thousand grids."""
    if isinstance(grids, QuerySet):
        rows = grids.values_list(
            "unit__code", "unit__name", "unit__parent__name", "household_count", "boundary"
        )
    else:
        rows = [
            (g.unit.code, g.unit.name, g.unit.parent.name, g.household_count, g.boundary)
            for g in grids
        ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": name,
                    "community": community,
                    "households": households,
                },
                "geometry": boundary,
            }
            for code, name, community, households, boundary in rows
        ],
    }


def building_points(buildings: QuerySet[Building], *, limit: int = 3000) -> list[dict]:
    """The placed buildings of a (scoped) queryset for the map's building layer: name, grid
    code and stored WGS-84 position. Buildings without a position are left out."""
    rows = (
        buildings.filter(lon__isnull=False, lat__isnull=False)
        .order_by("grid__code", "compound__name", "number")
        .values_list("pk", "compound__name", "number", "grid__code", "lon", "lat")[:limit]
    )
    return [
        {"id": pk, "label": f"{compound} {number}", "grid": grid, "lon": lon, "lat": lat}
        for pk, compound, number, grid, lon, lat in rows
    ]


def grid_assignments_current(*, actor, grid_unit: OrgUnit) -> QuerySet[GridAssignment]:
    return (
        GridAssignment.objects.visible_to(actor)
        .filter(grid=grid_unit, end_date__isnull=True)
        .select_related("user")
        .order_by("duty", "start_date")
    )


def compound_list(*, actor, community: OrgUnit | None = None) -> QuerySet[Compound]:
    qs = Compound.objects.visible_to(actor).select_related("community")
    if community is not None:
        qs = qs.filter(community=community)
    return qs.order_by("name")


# Point → grid ------------------------------------------------------------------


@dataclass(frozen=True)
class _GridIndex:
    tree: STRtree
    codes: tuple[str, ...]
    polygons: tuple


@lru_cache(maxsize=4)
def _grid_index(fingerprint: tuple) -> _GridIndex:
    # The cache key is the grids' fingerprint, so any edit rebuilds the index.
    rows = list(Grid.objects.select_related("unit").filter(unit__is_active=True))
    polygons = tuple(shape(g.boundary) for g in rows)
    return _GridIndex(STRtree(polygons), tuple(g.unit.code for g in rows), polygons)


def _grid_fingerprint() -> tuple:
    from django.db.models import Max

    agg = Grid.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def grid_at_point(*, lon: float, lat: float, actor=None) -> OrgUnit | None:
    """The grid containing a point (for event routing), scoped to the actor if given."""
    index = _grid_index(_grid_fingerprint())
    point = Point(lon, lat)
    candidates = index.tree.query(point, predicate="intersects")
    codes = sorted(index.codes[i] for i in candidates)
    if not codes:
        return None
    qs = OrgUnit.objects.filter(code__in=codes)
    if actor is not None:
        qs = qs.visible_to(actor)
    return qs.order_by("code").first()


def grid_nearest_point(*, lon: float, lat: float) -> OrgUnit | None:
    """The grid nearest to a point outside every grid."""
    index = _grid_index(_grid_fingerprint())
    if not index.codes:
        return None
    position = index.tree.nearest(Point(lon, lat))
    if position is None:
        return None
    return OrgUnit.objects.select_related("parent").filter(code=index.codes[position]).first()
