"""Offline base-map tiles served by GridGov itself from one file: a PMTiles archive (read with
the ``pmtiles`` package) or an MBTiles database (SQLite). Raster tiles only (PNG, JPEG,
WebP): the map draws images, not vector tiles.

A reader is opened once per file and kept (keyed by the file's path, size and modification
time, so a replaced file is re-opened); reads are memory-mapped (PMTiles) or read-only SQLite
queries (MBTiles), safe to share between a process's threads.
"""

from __future__ import annotations

import gzip
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pmtiles.reader import MmapSource
from pmtiles.reader import Reader as PMTilesReader
from pmtiles.tile import Compression, TileType

RASTER_TYPES = {
    TileType.PNG: "image/png",
    TileType.JPEG: "image/jpeg",
    TileType.WEBP: "image/webp",
}
_MBTILES_FORMATS = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}


class TileFileError(ValueError):
    """The file cannot serve as a raster base layer (missing, unreadable, vector tiles …)."""


@dataclass(frozen=True)
class TileFileInfo:
    content_type: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (as stored)


class _PMTiles:
    def __init__(self, path: Path):
        self._file = path.open("rb")
        try:
            self._reader = PMTilesReader(MmapSource(self._file))
            header = self._reader.header()
        except Exception as exc:  # not a PMTiles v3 archive
            self._file.close()
            raise TileFileError(f"{path}: not a PMTiles archive ({exc})") from exc
        if header["tile_type"] not in RASTER_TYPES:
            self._file.close()
            raise TileFileError(
                f"{path}: holds {header['tile_type'].name} tiles, not raster images"
            )
        self._gzip = header["tile_compression"] == Compression.GZIP
        bounds = (
            header["min_lon_e7"] / 1e7,
            header["min_lat_e7"] / 1e7,
            header["max_lon_e7"] / 1e7,
            header["max_lat_e7"] / 1e7,
        )
        self.info = TileFileInfo(
            content_type=RASTER_TYPES[header["tile_type"]],
            min_zoom=header["min_zoom"],
            max_zoom=header["max_zoom"],
            bounds=bounds if bounds[0] < bounds[2] and bounds[1] < bounds[3] else None,
        )

    def get(self, z: int, x: int, y: int) -> bytes | None:
        data = self._reader.get(z, x, y)
        if data is None:
            return None
        data = bytes(data)
        return gzip.decompress(data) if self._gzip else data


class _MBTiles:
    def __init__(self, path: Path):
        self._uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        self._local = threading.local()
        try:
            rows = dict(self._db().execute("SELECT name, value FROM metadata").fetchall())
            self._db().execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise TileFileError(f"{path}: not an MBTiles file ({exc})") from exc
        tile_format = rows.get("format", "png").lower()
        if tile_format not in _MBTILES_FORMATS:
            raise TileFileError(f"{path}: holds {tile_format} tiles, not raster images")
        zooms = self._db().execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        bounds = None
        try:
            west, south, east, north = (float(v) for v in rows.get("bounds", "").split(","))
            bounds = (west, south, east, north)
        except ValueError:
            pass
        self.info = TileFileInfo(
            content_type=_MBTILES_FORMATS[tile_format],
            min_zoom=int(rows.get("minzoom", zooms[0] or 0)),
            max_zoom=int(rows.get("maxzoom", zooms[1] or 18)),
            bounds=bounds,
        )

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def get(self, z: int, x: int, y: int) -> bytes | None:
        # MBTiles rows count from the south (TMS); the map asks from the north (XYZ).
        row = (
            self._db()
            .execute(
                "SELECT tile_data FROM tiles"
                " WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, (1 << z) - 1 - y),
            )
            .fetchone()
        )
        return bytes(row[0]) if row else None


def open_tile_file(path: str | Path):
    """A reader for the file (PMTiles by content, MBTiles otherwise); raises TileFileError."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise TileFileError(f"{path}: {exc.strerror}") from exc
    return _open(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _open(path: str, size: int, mtime_ns: int):
    with open(path, "rb") as f:
        magic = f.read(7)
    if magic == b"PMTiles":
        return _PMTiles(Path(path))
    return _MBTiles(Path(path))


def tile_get(path: str | Path, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """The tile's bytes and content type, or None where the file has no such tile."""
    if z < 0 or z > 30 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
        return None
    reader = open_tile_file(path)
    data = reader.get(z, x, y)
    return (data, reader.info.content_type) if data else None
