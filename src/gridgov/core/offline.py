"""The installable, offline-first shell of the phone pages (DESIGN.md, "Interfaces").

- ``/manifest.webmanifest`` makes the site installable on a phone's home screen.
- ``/sw.js`` is the service worker (Workbox, served from node_modules like every asset): it
  precaches the shell (style sheets, scripts, icon) and keeps the last copy of the pages apps
  register as offline pages (a grid worker's day: their tasks, their visits), network first.
  Nothing else is cached: no API answer, no other page.
- ``static/gridgov/outbox.js`` keeps what a worker submits while offline in IndexedDB (idb)
  and sends it when the connection returns (each record carries its client UUID, so a resend
  is answered with the stored result).

Cached pages hold only what the page showed (masked values). Signing out clears the caches
and the outbox (the browser is told with ``Clear-Site-Data``; the page warns first when
records are waiting); a session that ends by its absolute lifetime clears the caches and
keeps the outbox, which only its own user can send after signing in again.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _

from gridgov.core.permissions import public

# The shell every page needs, precached so an offline page renders styled and working.
SHELL_ASSETS = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "django_htmx/htmx-2.min.js",
    "vendor/idb/umd.js",
    "gridgov/app.css",
    "gridgov/outbox.js",
    "gridgov/favicon.svg",
]
WORKBOX_MODULES = ["core", "routing", "strategies", "precaching"]

# URL prefixes of pages kept for offline use (registered by the apps that own them).
_OFFLINE_PAGES: list[str] = ["/"]  # the workbench: where the installed app opens


def register_offline_page(prefix: str) -> None:
    """Keep the last copy of pages under ``prefix`` for offline use (network first); "/" is
    the home page alone."""
    if prefix not in _OFFLINE_PAGES:
        _OFFLINE_PAGES.append(prefix)


def offline_pages() -> list[str]:
    return list(_OFFLINE_PAGES)


def _precache_list() -> list[dict[str, str]]:
    # Fingerprinted names change with their content, so the URL is its own revision.
    return [{"url": static(path), "revision": None} for path in SHELL_ASSETS]


@public
def service_worker(request):
    modules = [static(f"vendor/workbox-{m}/workbox-{m}.prod.js") for m in WORKBOX_MODULES]
    config = {"precache": _precache_list(), "offlinePages": offline_pages()}
    body = SERVICE_WORKER % {
        "imports": json.dumps(modules),
        "config": json.dumps(config, ensure_ascii=False),
    }
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on every navigation; never serve a stale one.
    response["Cache-Control"] = "no-cache"
    response["ETag"] = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    return response


@public
def manifest(request):
    data = {
        "name": _("GridGov community grid governance"),
        "short_name": _("GridGov"),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d47a1",
        "lang": request.LANGUAGE_CODE,
        "icons": [{"src": static("gridgov/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


SERVICE_WORKER = """'use strict';
// GridGov service worker: precached shell, network-first offline pages (core/offline.py).
importScripts(...%(imports)s);
const CONFIG = %(config)s;
const PAGES = 'gridgov-pages';
workbox.core.clientsClaim();
self.skipWaiting();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(CONFIG.precache);
workbox.routing.registerRoute(
  ({request, url}) =>
    (request.mode === 'navigate' || request.headers.get('X-Offline-Prefetch') === '1') &&
    url.origin === self.location.origin &&
    CONFIG.offlinePages.some((prefix) =>
      prefix === '/' ? url.pathname === '/' : url.pathname.startsWith(prefix)),
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: 6,
    // A page fetched ahead serves the later navigation to it (same user, same language).
    matchOptions: {ignoreVary: true},
    plugins: [{
      // Only a page really shown to a signed-in user is kept (not a redirect to sign-in).
      cacheWillUpdate: async ({response}) =>
        response && response.status === 200 && !response.redirected ? response : null,
    }],
  })
);
self.addEventListener('message', (event) => {
  if (event.data === 'clear-pages') event.waitUntil(caches.delete(PAGES));
});
"""
