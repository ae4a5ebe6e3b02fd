"""Small raster tile files made in a test: PMTiles (written with the ``pmtiles`` package) and
MBTiles (SQLite), with PNG tiles drawn by Pillow."""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

from PIL import Image, ImageDraw
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write


def png(colour: tuple[int, int, int], *, size: int = 256) -> bytes:
    """A tile that looks like a plain map: a light ground with a road across it."""
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    draw.line([(0, size // 2), (size, size // 2)], fill=(255, 255, 255), width=6)
    draw.line([(size // 3, 0), (size // 3, size)], fill=(250, 235, 200), width=4)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def tiles_covering(
    west: float, south: float, east: float, north: float, zooms: range
) -> list[tuple[int, int, int]]:
    """The (z, x, y) XYZ tiles of a lon/lat box at each zoom."""

    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 1 << z
        x = int((lon + 180.0) / 360.0 * n)
        rad = math.radians(lat)
        y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    out = []
    for z in zooms:
        x0, y0 = tile(west, north, z)
        x1, y1 = tile(east, south, z)
        out.extend((z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    return out


def write_pmtiles(
    path: Path, tiles: dict[tuple[int, int, int], bytes], *, tile_type=TileType.PNG
) -> Path:
    entries = sorted((zxy_to_tileid(z, x, y), data) for (z, x, y), data in tiles.items())
    with write(str(path)) as writer:
        for tile_id, data in entries:
            writer.write_tile(tile_id, data)
        writer.finalize(
            {
                "tile_type": tile_type,
                "tile_compression": Compression.NONE,
                "min_lon_e7": int(121.0 * 1e7),
                "min_lat_e7": int(31.0 * 1e7),
                "max_lon_e7": int(122.0 * 1e7),
                "max_lat_e7": int(32.0 * 1e7),
                "center_zoom": 14,
                "center_lon_e7": int(121.45 * 1e7),
                "center_lat_e7": int(31.2 * 1e7),
            },
            {"name": "test tiles"},
        )
    return path


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], *, fmt: str = "png"):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
        " tile_data blob)"
    )
    zooms = [z for z, _x, _y in tiles]
    db.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [
            ("name", "test tiles"),
            ("format", fmt),
            ("minzoom", str(min(zooms))),
            ("maxzoom", str(max(zooms))),
            ("bounds", "121.0,31.0,122.0,32.0"),
        ],
    )
    # MBTiles rows count from the south (TMS).
    db.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    db.commit()
    db.close()
    return path
