"""District outlines for the demo and the synthetic districts, and laying units inside them.

The outlines come from the province map files of ECharts 4 (npm package ``echarts4``, an
alias of ``echarts@4.9.0``): one feature per division, ``id`` = its code, coordinates in
WGS-84 degrees, compressed as ECharts' "UTF8Encoding". The files are read from
``node_modules`` when a district is seeded; nothing of them is copied into the repository.
The four municipalities, Hong Kong and Macau carry their districts; the other provinces
only their cities, so a district there has no outline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from shapely import prepared
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

PACKAGE = "echarts4"
PROVINCE_DIR = Path("map") / "json" / "province"
# First two digits of a division code → the province file's name.
PROVINCE_FILES = {
    "11": "beijing",
    "12": "tianjin",
    "13": "hebei",
    "14": "shanxi",
    "15": "neimenggu",
    "21": "liaoning",
    "22": "jilin",
    "23": "heilongjiang",
    "31": "shanghai",
    "32": "jiangsu",
    "33": "zhejiang",
    "34": "anhui",
    "35": "fujian",
    "36": "jiangxi",
    "37": "shandong",
    "41": "henan",
    "42": "hubei",
    "43": "hunan",
    "44": "guangdong",
    "45": "guangxi",
    "46": "hainan",
    "50": "chongqing",
    "51": "sichuan",
    "52": "guizhou",
    "53": "yunnan",
    "54": "xizang",
    "61": "shanxi1",
    "62": "gansu",
    "63": "qinghai",
    "64": "ningxia",
    "65": "xinjiang",
    "71": "taiwan",
    "81": "xianggang",
    "82": "aomen",
}


class OutlineDataMissing(RuntimeError):
    """The province map files are not installed."""


def province_file(code: str, node_modules: Path | None = None) -> Path:
    """The province file of a division code; raises OutlineDataMissing when the package is
    not installed (``npm ci``, which ``./dev start`` runs)."""
    root = (node_modules or settings.PROJECT_ROOT / "node_modules") / PACKAGE
    name = PROVINCE_FILES.get(code[:2])
    if name is None:
        raise ValueError(f"{code[:2]} is not a province code")
    path = root / PROVINCE_DIR / f"{name}.json"
    if not path.is_file():
        raise OutlineDataMissing(
            f"{path} is missing: the district outlines come from the npm package {PACKAGE} "
            "(echarts@4.9.0). Install the front-end packages with `npm ci` (./dev start does it)."
        )
    return path


def _decode_ring(encoded: str, offset: Sequence[int], scale: float) -> list[list[float]]:
    # ECharts 4 src/coord/geo/parseGeoJson.js decodePolygon: pairs of UTF-16 code units, each
    # minus 64, zigzag-decoded, a delta from the previous point (the first from the offset).
    units = encoded.encode("utf-16-le")
    codes = [int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2)]
    x, y = offset
    ring = []
    for i in range(0, len(codes) - 1, 2):
        dx, dy = codes[i] - 64, codes[i + 1] - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        ring.append([x / scale, y / scale])
    return ring


def decode(collection: dict) -> dict:
    """A plain GeoJSON FeatureCollection from an ECharts map file (unchanged when it is not
    encoded); the input is left as it was."""
    if not collection.get("UTF8Encoding"):
        return collection
    scale = collection.get("UTF8Scale") or 1024
    features = []
    for feature in collection["features"]:
        geometry = feature.get("geometry") or {}
        kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
        offsets = geometry.get("encodeOffsets") or []
        if kind == "Polygon":
            decoded = [_decode_ring(r, o, scale) for r, o in zip(coordinates, offsets, strict=True)]
        elif kind == "MultiPolygon":
            decoded = [
                [_decode_ring(r, o, scale) for r, o in zip(polygon, polygon_offsets, strict=True)]
                for polygon, polygon_offsets in zip(coordinates, offsets, strict=True)
            ]
        else:
            decoded = coordinates
        features.append(
            {
                "type": "Feature",
                "id": feature.get("id"),
                "properties": feature.get("properties") or {},
                "geometry": {"type": kind, "coordinates": decoded},
            }
        )
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=8)
def _province(path: Path) -> dict:
    return decode(json.loads(path.read_text(encoding="utf-8")))


def district_outline(code: str, node_modules: Path | None = None) -> BaseGeometry | None:
    """The outline of a district (6-digit code) as a shapely (Multi)Polygon, or None when
    its province file does not carry it (or there is no such province)."""
    if code[:2] not in PROVINCE_FILES:
        return None
    collection = _province(province_file(code, node_modules))
    for feature in collection["features"]:
        if str(feature.get("id")) == code and feature["geometry"]["coordinates"]:
            outline = shape(feature["geometry"])
            return outline if outline.is_valid else outline.buffer(0)
    return None


def as_geojson(geometry: BaseGeometry) -> dict:
    """A GeoJSON geometry with plain lists (as it is stored and compared)."""
    return json.loads(json.dumps(mapping(geometry)))


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the areas of an intersection (no stray lines or points where edges touch)."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts: list[Polygon] = []
    for part in getattr(geometry, "geoms", []):
        if isinstance(part, Polygon):
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    parts = [p for p in parts if p.area > 0]
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def strips(area: BaseGeometry, count: int, *, across: bool | None = None) -> list[BaseGeometry]:
    """``count`` pieces of ``area`` that tile it: cuts perpendicular to its longer side
    (or across its width when ``across`` says so), west→east or south→north."""
    x0, y0, x1, y1 = area.bounds
    if across is None:
        across = (x1 - x0) >= (y1 - y0)
    pieces = []
    for i in range(count):
        if across:
            a, b = x0 + (x1 - x0) * i / count, x0 + (x1 - x0) * (i + 1) / count
            cut = box(a, y0, b, y1)
        else:
            a, b = y0 + (y1 - y0) * i / count, y0 + (y1 - y0) * (i + 1) / count
            cut = box(x0, a, x1, b)
        pieces.append(polygonal(area.intersection(cut)))
    return pieces


def points_inside(area: BaseGeometry, count: int) -> list[tuple[float, float]]:
    """``count`` points spread over ``area``, each inside it: west→east slices of it, a
    point in the lower half of one, the upper half of the next (in the whole slice when
    that half is a sliver of it, in the whole area when the slice misses it)."""
    x0, y0, x1, y1 = area.bounds
    if isinstance(area, Polygon) and area.area == (x1 - x0) * (y1 - y0):  # a whole cell
        return [
            (
                round(x0 + (x1 - x0) * (i + 0.5) / count, 6),
                round(y0 + (y1 - y0) * (0.3 if i % 2 == 0 else 0.7), 6),
            )
            for i in range(count)
        ]
    points = []
    for i, piece in enumerate(strips(area, count, across=True)):
        if piece.is_empty:
            piece = area
        else:
            px0, py0, px1, py1 = piece.bounds
            middle = (py0 + py1) / 2
            half = polygonal(
                piece.intersection(
                    box(px0, py0, px1, middle) if i % 2 == 0 else box(px0, middle, px1, py1)
                )
            )
            piece = half if half.area >= piece.area / 4 else piece
        point = piece.representative_point()
        points.append((round(point.x, 6), round(point.y, 6)))
    return points


def cells(outline: BaseGeometry, count: int) -> list[BaseGeometry]:
    """At least ``count`` (and about as many) square cells covering the outline, each
    clipped to it, in an order where consecutive cells are neighbours: bands of two rows,
    south→north, each walked column by column (alternately west→east and east→west), so
    that a run of eight cells is a block of about 4 × 2."""
    x0, y0, x1, y1 = outline.bounds
    if count < 1 or outline.area <= 0:
        return []
    inside = prepared.prep(outline)
    # A cell of the outline's area / count, shrunk until enough cells keep most of their area.
    size = (outline.area / count) ** 0.5
    while True:
        found = list(_lattice(outline, inside, x0, y0, x1, y1, size))
        if len(found) >= count:
            return found
        size *= 0.97


def _lattice(outline, inside, x0, y0, x1, y1, size) -> Iterator[BaseGeometry]:
    columns, rows = int((x1 - x0) / size) + 1, int((y1 - y0) / size) + 1
    for band in range(0, rows, 2):
        eastward = band // 2 % 2 == 0
        for step, column in enumerate(range(columns) if eastward else range(columns - 1, -1, -1)):
            pair = [r for r in (band, band + 1) if r < rows]
            for row in pair if step % 2 == 0 else reversed(pair):
                cell = box(
                    x0 + column * size,
                    y0 + row * size,
                    x0 + (column + 1) * size,
                    y0 + (row + 1) * size,
                )
                if inside.contains(cell):
                    yield cell
                elif inside.intersects(cell):
                    clipped = polygonal(outline.intersection(cell))
                    # Slivers at the edge are left out: a grid is a place, not a sliver.
                    if clipped.area >= 0.4 * cell.area:
                        yield clipped
