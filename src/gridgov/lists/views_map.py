"""The needs map (需求热力图 and 资源分布): open needs counted per grid and category, coloured as
a heat map over the grid map, and the resources that have a point, as points. Counts only:
no household, person or address is ever placed on the map or sent to it. Needs and
resources are read through ``visible_to`` of the reader (``lists.view``), so a community's
staff see their own community's counts and the resources they may read, nothing else."""

from __future__ import annotations

from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation

from gridgov.core.maps import display_grids, display_points
from gridgov.core.permissions import requires
from gridgov.lists import selectors
from gridgov.lists.models import Need, NeedCategory, Resource
from gridgov.org.selectors import grid_feature_collection, grid_list

MAX_RESOURCES = 2000


def _category_name(category: NeedCategory) -> str:
    english = (translation.get_language() or "").startswith("en")
    return (category.name_en or category.name) if english else category.name


def map_data(*, actor, category: str = "") -> dict:
    """{"category", "grids": {grid code: {"open": n, "by_category": {code: n}}},
    "categories": [{code, name, open}], "resources": [{uid, name, class, provider,
    categories, lon, lat}]} — one grouped query for the needs, one for the resources."""
    categories = {c.pk: c for c in NeedCategory.objects.all()}
    chosen = next((c for c in categories.values() if c.code == category), None)
    needs = Need.objects.visible_to(actor).filter(state__in=Need.OPEN_STATES)
    rows = needs.values("scope_path", "category_id").annotate(n=Count("pk")).order_by()
    grids: dict[str, dict] = {}
    totals: dict[int, int] = {}
    for row in rows:
        code = row["scope_path"].rstrip("/").rsplit("/", 1)[-1]
        cat = categories[row["category_id"]]
        totals[cat.pk] = totals.get(cat.pk, 0) + row["n"]
        if chosen is not None and cat.pk != chosen.pk:
            continue
        grid = grids.setdefault(code, {"open": 0, "by_category": {}})
        grid["open"] += row["n"]
        grid["by_category"][cat.code] = grid["by_category"].get(cat.code, 0) + row["n"]
    resources = Resource.objects.visible_to(actor).filter(
        status=Resource.Status.ACTIVE, lon__isnull=False, lat__isnull=False
    )
    if chosen is not None:
        resources = resources.filter(categories=chosen)
    resources = list(
        resources.distinct()
        .order_by("name")
        .values("pk", "uid", "name", "resource_class", "provider_name", "lon", "lat")[
            :MAX_RESOURCES
        ]
    )
    offered: dict[int, list[str]] = {}
    for pk, code in Resource.categories.through.objects.filter(
        resource_id__in=[r["pk"] for r in resources]
    ).values_list("resource_id", "needcategory__code"):
        offered.setdefault(pk, []).append(code)
    classes = dict(Resource.Class.choices)
    return {
        "category": chosen.code if chosen else "",
        "grids": grids,
        "categories": [
            {"code": c.code, "name": _category_name(c), "open": totals.get(c.pk, 0)}
            for c in categories.values()
            if c.is_active or totals.get(c.pk)
        ],
        "resources": [
            {
                "uid": str(r["uid"]),
                "name": r["name"],
                "class": r["resource_class"],
                "class_label": str(classes.get(r["resource_class"], "")),
                "provider": r["provider_name"],
                "categories": sorted(offered.get(r["pk"], [])),
                "lon": r["lon"],
                "lat": r["lat"],
            }
            for r in resources
        ],
    }


@requires("lists.view")
def need_map_data(request):
    """The map's data as JSON (``?category=``)."""
    return JsonResponse(map_data(actor=request.user, category=request.GET.get("category", "")[:20]))


@requires("lists.view")
def need_map(request):
    data = map_data(actor=request.user, category=request.GET.get("category", "")[:20])
    grids = display_grids(grid_feature_collection(grid_list(actor=request.user)))
    names = {f["properties"]["code"]: f["properties"].get("name", "") for f in grids["features"]}
    hottest = sorted(data["grids"].items(), key=lambda item: (-item[1]["open"], item[0]))
    categories = {c["code"]: c["name"] for c in data["categories"]}
    rows = [
        {
            "code": code,
            "name": names.get(code, code),
            "open": g["open"],
            "by_category": sorted(
                ((categories.get(k, k), n) for k, n in g["by_category"].items()),
                key=lambda kn: -kn[1],
            ),
        }
        for code, g in hottest
    ]
    return render(
        request,
        "lists/need_map.html",
        {
            "geojson": grids,
            "heat": {code: g["open"] for code, g in data["grids"].items()},
            "points": display_points(data["resources"]),
            "data": data,
            "rows": rows,
            "categories": selectors.categories(),
            "category": data["category"],
        },
    )
