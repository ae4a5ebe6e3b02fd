"""Static assets: which files of the npm packages are served, when to collect them, and what
a download costs.

Pages load fingerprinted files (``app.3f2a….css``) that WhiteNoise serves Brotli- or
gzip-compressed with a one-year immutable cache; ``collectstatic`` makes them. Collecting
compresses every file, so it runs only when the source files changed
(:func:`collectstatic_if_changed`, called by ``gridgov start`` and the test set-up).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

# Written into STATIC_ROOT after a collection: a digest of the sources it was made from.
SOURCES_STAMP = "staticfiles.sources.sha256"


class VendorFinder(BaseFinder):
    """The files of npm packages that pages load, named one by one in
    ``settings.GRIDGOV_VENDOR_ASSETS`` (``{url prefix: (package directory, [files])}``):
    a package's other builds and source maps (tens of MB) are neither served nor collected."""

    def __init__(self, app_names=None, *args, **kwargs):
        self.packages: dict[str, tuple[FileSystemStorage, list[str]]] = {}
        for prefix, (root, files) in settings.GRIDGOV_VENDOR_ASSETS.items():
            storage = FileSystemStorage(location=str(root))
            storage.prefix = prefix
            self.packages[prefix] = (storage, list(files))
        super().__init__(*args, **kwargs)

    def check(self, **kwargs):
        return [
            Error(
                f"{storage.path(name)} is missing",
                hint="Install the front-end packages: npm ci (./dev start does it).",
                id="gridgov.E101",
            )
            for storage, files in self.packages.values()
            for name in files
            if not storage.exists(name)
        ]

    def find(self, path, find_all=False):
        matches = []
        for prefix, (storage, files) in self.packages.items():
            name = path.removeprefix(prefix + "/")
            if name != path and name in files and storage.exists(name):
                if not find_all:
                    return storage.path(name)
                matches.append(storage.path(name))
        return matches

    def list(self, ignore_patterns):
        for storage, files in self.packages.values():
            for name in files:
                if storage.exists(name):
                    yield name, storage


def sources_digest() -> str:
    """A digest of every source file the finders offer (name, size, modification time) and
    of the storage that processes them."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            prefixed = os.path.join(getattr(storage, "prefix", None) or "", path)
            entries.append(f"{prefixed}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collectstatic_if_changed() -> bool:
    """Collect (fingerprint and compress) the static files unless STATIC_ROOT already holds
    a collection of the current sources. Returns whether it collected."""
    from django.core.management import call_command

    stamp = Path(settings.STATIC_ROOT) / SOURCES_STAMP
    current = sources_digest()
    if stamp.exists() and stamp.read_text().strip() == current:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(current + "\n")
    return True


def transfer_size(name: str, accept_encoding: str) -> int:
    """The bytes a client sending ``accept_encoding`` receives for the static file ``name``:
    the Brotli or gzip file WhiteNoise would choose, else the file itself."""
    try:
        path = staticfiles_storage.path(staticfiles_storage.stored_name(name))
    except ValueError:  # not collected (a development server serving from the finders)
        path = finders.find(name)
    accepted = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
    return _transfer_size(str(path), "br" in accepted, "gzip" in accepted)


@lru_cache(maxsize=64)
def _transfer_size(path: str, brotli: bool, gzip: bool) -> int:
    # Cached per file name; a changed file gets a new (fingerprinted) name and entry.
    for wanted, suffix in ((brotli, ".br"), (gzip, ".gz")):
        if wanted and os.path.exists(path + suffix):
            return os.path.getsize(path + suffix)
    return os.path.getsize(path)
