"""Coordinate systems of the maps. Every coordinate GridGov stores is WGS-84 (CGCS2000 differs
from it by centimetres, far below what a grid map shows); a base layer drawn in GCJ-02 (the
offset system that maps published in mainland China must use) gets the stored points shifted
for display, and a point picked on such a map shifted back before it is stored.

The shift is the published GCJ-02 formula (Krasovsky ellipsoid); outside mainland China it is
zero. The inverse has no closed form: a fixed-point iteration of the forward shift converges
to well under a centimetre in a few steps. ``static/gridgov/coords.js`` is the browser's copy
of these two functions (the picker converts a tap and a GPS fix); tests hold both to the
same points.
"""

from __future__ import annotations

import math
from collections.abc import Callable

WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
SYSTEMS = (WGS84, CGCS2000, GCJ02)

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the formula uses
_EE = 0.00669342162296594323  # its first eccentricity squared


def outside_china(lon: float, lat: float) -> bool:
    """Outside the rectangle where GCJ-02 applies (the formula leaves such points alone)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2 / 3
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += common
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    root = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * root) * math.pi)
    dlon = (dlon * 180.0) / (_A / root * math.cos(rad) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if outside_china(lon, lat):
        return lon, lat
    dlon, dlat = _shift(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 shift lands on (lon, lat), to about 1 mm."""
    if outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if abs(elon) < 1e-9 and abs(elat) < 1e-9:
            break
    return wlon, wlat


def to_display(system: str) -> Callable[[float, float], tuple[float, float]]:
    """Stored (WGS-84) → the base layer's system."""
    return wgs84_to_gcj02 if system == GCJ02 else _same


def from_display(system: str) -> Callable[[float, float], tuple[float, float]]:
    """The base layer's system → stored (WGS-84)."""
    return gcj02_to_wgs84 if system == GCJ02 else _same


def _same(lon: float, lat: float) -> tuple[float, float]:
    return lon, lat


def transform_geometry(geometry: dict | None, convert) -> dict | None:
    """A GeoJSON geometry with every position passed through ``convert``."""
    if not geometry:
        return geometry

    def walk(coords):
        if coords and isinstance(coords[0], int | float):
            x, y = convert(coords[0], coords[1])
            return [round(x, 7), round(y, 7)]
        return [walk(c) for c in coords]

    if geometry.get("type") == "GeometryCollection":
        return {
            **geometry,
            "geometries": [transform_geometry(g, convert) for g in geometry["geometries"]],
        }
    return {**geometry, "coordinates": walk(geometry.get("coordinates", []))}
