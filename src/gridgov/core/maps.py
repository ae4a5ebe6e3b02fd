"""The maps' base layer, read from the environment (docs/maps.md), and what map pages embed.

A base layer is one of:

- ``url``: a deployment's intranet tile service, an XYZ URL template or a WMTS one in a Web
  Mercator tile matrix set (e.g. a 天地图 government node's ``vec_w`` layer);
- ``file``: an offline raster tile file (PMTiles or MBTiles) that GridGov serves itself at
  ``/map/tiles/{z}/{x}/{y}`` (core/tiles.py);
- ``none``: neither; the map shows the labelled grid layer alone.

Each names its coordinate system. Stored coordinates are WGS-84; on a GCJ-02 base layer the
pages get them shifted (core/coords.py), here, on the server: the browser draws what it gets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry import shape

from gridgov.core import coords
from gridgov.core.tiles import TileFileError, open_tile_file

logger = logging.getLogger(__name__)

TILE_URL = "/map/tiles/{z}/{x}/{y}"
# WMTS RESTful templates name the tile by matrix, row and column; Leaflet by z, y and x.
_WMTS_NAMES = {"{tilematrix}": "{z}", "{tilerow}": "{y}", "{tilecol}": "{x}"}
_ALLOWED_PLACEHOLDERS = {"{z}", "{x}", "{y}", "{s}", "{r}"}


class MapConfigError(ValueError):
    """The base-layer settings cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BaseLayer:
    kind: str  # "url", "file" or "none"
    crs: str = coords.WGS84
    url: str = ""  # the template the browser loads tiles from
    labels_url: str = ""  # an annotation layer drawn over it (e.g. 天地图 cva_w)
    subdomains: str = ""
    name: str = ""  # shown in the attribution and the legend
    min_zoom: int = 0
    max_zoom: int = 18
    file: str = ""
    problems: tuple[str, ...] = field(default=())  # why a configured layer is not used

    @property
    def shifted(self) -> bool:
        return self.crs == coords.GCJ02


def _template(value: str, setting: str, problems: list[str]) -> str:
    template = value.strip()
    for wmts, xyz in _WMTS_NAMES.items():
        template = re.sub(re.escape(wmts), xyz, template, flags=re.IGNORECASE)
    parts = urlsplit(template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        problems.append(f"{setting} must be an http(s) URL template, not {value!r}")
        return ""
    placeholders = set(re.findall(r"\{[^{}]*\}", template))
    missing = {"{z}", "{x}", "{y}"} - placeholders
    if missing:
        problems.append(
            f"{setting} lacks {', '.join(sorted(missing))} (XYZ) or "
            "{TileMatrix}/{TileCol}/{TileRow} (WMTS)"
        )
    unknown = placeholders - _ALLOWED_PLACEHOLDERS
    if unknown:
        problems.append(
            f"{setting} has placeholders {', '.join(sorted(unknown))}: only {{z}} {{x}} {{y}} "
            "{s} {r} are filled in (write keys such as tk= into the URL itself)"
        )
    return template


def parse_base_layer(raw: Mapping[str, str]) -> BaseLayer:
    """The base layer from the settings' raw strings (keys as in ``settings.GRIDGOV_MAP``:
    ``TILES_URL``, ``TILES_FILE``, ``TILES_CRS``, ``TILES_LABELS_URL``, ``TILES_SUBDOMAINS``,
    ``TILES_NAME``, ``TILES_MAX_ZOOM``). Raises MapConfigError listing every problem."""
    problems: list[str] = []
    url = (raw.get("TILES_URL") or "").strip()
    path = (raw.get("TILES_FILE") or "").strip()
    crs = (raw.get("TILES_CRS") or coords.WGS84).strip().lower().replace("-", "")
    crs = {"wgs84": coords.WGS84, "cgcs2000": coords.CGCS2000, "gcj02": coords.GCJ02}.get(crs, crs)
    if crs not in coords.SYSTEMS:
        problems.append(f"GRIDGOV_MAP_TILES_CRS must be one of wgs84, cgcs2000, gcj02, not {crs!r}")
    if url and path:
        problems.append("set GRIDGOV_MAP_TILES_URL or GRIDGOV_MAP_TILES_FILE, not both")
    max_zoom_text = (raw.get("TILES_MAX_ZOOM") or "").strip()
    max_zoom = 18
    if max_zoom_text:
        if max_zoom_text.isdigit() and 1 <= int(max_zoom_text) <= 22:
            max_zoom = int(max_zoom_text)
        else:
            problems.append(f"GRIDGOV_MAP_TILES_MAX_ZOOM must be 1–22, not {max_zoom_text!r}")
    subdomains = (raw.get("TILES_SUBDOMAINS") or "").strip()
    labels = (raw.get("TILES_LABELS_URL") or "").strip()
    name = (raw.get("TILES_NAME") or "").strip()
    layer: BaseLayer
    if url:
        template = _template(url, "GRIDGOV_MAP_TILES_URL", problems)
        labels_template = (
            _template(labels, "GRIDGOV_MAP_TILES_LABELS_URL", problems) if labels else ""
        )
        if "{s}" in url + labels and not subdomains:
            problems.append(
                "the URL template has {s}: set GRIDGOV_MAP_TILES_SUBDOMAINS (e.g. 01234567)"
            )
        layer = BaseLayer(
            kind="url",
            crs=crs,
            url=template,
            labels_url=labels_template,
            subdomains=subdomains,
            name=name,
            max_zoom=max_zoom,
        )
    elif path:
        min_zoom, file_max = 0, max_zoom
        try:
            info = open_tile_file(path).info
            min_zoom, file_max = info.min_zoom, info.max_zoom
        except TileFileError as exc:
            problems.append(f"GRIDGOV_MAP_TILES_FILE: {exc}")
        layer = BaseLayer(
            kind="file",
            crs=crs,
            url=TILE_URL,
            name=name,
            min_zoom=min_zoom,
            max_zoom=max_zoom if max_zoom_text else file_max,
            file=path,
        )
    else:
        layer = BaseLayer(kind="none", crs=crs if crs in coords.SYSTEMS else coords.WGS84)
    if problems:
        raise MapConfigError(problems)
    return layer


def base_layer() -> BaseLayer:
    """The configured base layer; a broken configuration (reported by ``gridgov check``,
    core/checks.py) leaves the grid layer alone, with the reason kept for the legend."""
    try:
        return parse_base_layer(settings.GRIDGOV_MAP)
    except MapConfigError as exc:
        logger.warning("map base layer not used: %s", exc)
        return BaseLayer(kind="none", problems=tuple(exc.problems))


def csp_origins(raw: Mapping[str, str]) -> list[str]:
    """The origins an intranet tile service loads images from (for the CSP's img-src); a
    host label with ``{s}`` in it becomes ``*`` (``t{s}.example.gov.cn`` → ``*.example.gov.cn``)."""
    origins = set()
    for key in ("TILES_URL", "TILES_LABELS_URL"):
        parts = urlsplit((raw.get(key) or "").strip())
        if parts.scheme in {"http", "https"} and parts.netloc:
            host = ".".join("*" if "{" in label else label for label in parts.netloc.split("."))
            origins.add(f"{parts.scheme}://{host}")
    return sorted(origins)


# What map pages embed ------------------------------------------------------------


def legend_line(layer: BaseLayer) -> str:
    system = {
        coords.WGS84: "WGS-84",
        coords.CGCS2000: "CGCS2000",
        coords.GCJ02: "GCJ-02",
    }[layer.crs]
    if layer.kind == "url":
        what = layer.name or _("intranet tile service")
        return _("Base map: %(what)s (%(system)s)") % {"what": what, "system": system}
    if layer.kind == "file":
        what = layer.name or _("offline tile file")
        return _("Base map: %(what)s (%(system)s)") % {"what": what, "system": system}
    if layer.problems:
        return _("Base map: configuration error, see gridgov check; grid layer only")
    return _("Base map: none configured; grid layer only")


def map_config() -> dict:
    """What the browser needs to draw the base layer, plus the shared legend texts."""
    layer = base_layer()
    return {
        "tiles": layer.url or None,
        "labels": layer.labels_url or None,
        "subdomains": layer.subdomains,
        "minZoom": layer.min_zoom,
        "maxZoom": layer.max_zoom,
        "crs": layer.crs,
        "attribution": layer.name,
        "text": {
            "base": legend_line(layer),
            "legend": _("Legend"),
            "grid": _("Grid"),
            "building": _("Building"),
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
        },
    }


def display_point(lon: float | None, lat: float | None) -> list[float] | None:
    """A stored point as the base layer draws it ([lon, lat]), or None."""
    if lon is None or lat is None:
        return None
    x, y = coords.to_display(base_layer().crs)(lon, lat)
    return [round(x, 7), round(y, 7)]


def display_grids(collection: dict) -> dict:
    """Grid GeoJSON as the base layer draws it, each feature with the point its label sits
    on (inside the polygon, also for a concave one)."""
    convert = coords.to_display(base_layer().crs)
    features = []
    for feature in collection["features"]:
        geometry = feature.get("geometry")
        properties = dict(feature.get("properties") or {})
        if geometry:
            try:
                at = shape(geometry).representative_point()
                x, y = convert(at.x, at.y)
                properties["label_at"] = [round(x, 7), round(y, 7)]
            except (ValueError, TypeError, AttributeError):
                pass
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": coords.transform_geometry(geometry, convert),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def display_points(items: list[dict]) -> list[dict]:
    """Items with stored ``lon``/``lat`` (WGS-84), each given ``at``: where the map draws it."""
    convert = coords.to_display(base_layer().crs)
    placed = []
    for item in items:
        at = None
        if item.get("lon") is not None and item.get("lat") is not None:
            x, y = convert(item["lon"], item["lat"])
            at = [round(x, 7), round(y, 7)]
        placed.append({**item, "at": at})
    return placed


# Layers of the apps over the grid map -------------------------------------------------
#
# An app adds what it places on the grid map (DESIGN.md: "grids, buildings, events, needs,
# facilities and stores are layers") by registering a ``MapLayer``: the permission that
# shows it, and a function giving the actor's points (stored WGS-84 ``lon``/``lat``, a
# ``label`` for the tooltip, a ``colour`` from the layer's legend, and optionally a ``url``).
# The grid map draws every layer the actor may see, each one toggled on its own.


@dataclass(frozen=True)
class MapLayer:
    key: str
    label: object  # a (lazy) translated name
    permission: str
    points: object  # (actor) → list[dict]
    legend: object  # () → list[tuple[colour, label]]


MAP_LAYERS: dict[str, MapLayer] = {}


def register_layer(layer: MapLayer) -> MapLayer:
    MAP_LAYERS[layer.key] = layer
    return layer


def layers_for(actor) -> list[dict]:
    """The layers the actor may see, their points placed as the base layer draws them."""
    out = []
    for layer in MAP_LAYERS.values():
        if not actor.has_permission(layer.permission):
            continue
        out.append(
            {
                "key": layer.key,
                "label": str(layer.label),
                "points": display_points(layer.points(actor)),
                "legend": [{"colour": c, "label": str(label)} for c, label in layer.legend()],
            }
        )
    return out
