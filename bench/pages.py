"""Page weight of the phone views (grid workers use cheap phones on mobile data): the bytes
a page transfers gzip-compressed (its HTML and the scripts and style sheets it loads) and
its request count, against the sign-in page measured in the same run."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+href)="(/static/[^"]+)"')


def _weight(html: bytes) -> tuple[int, int]:
    from django.contrib.staticfiles import finders

    total, requests = len(gzip.compress(html)), 1
    for url in sorted(set(ASSET.findall(html.decode("utf-8", "replace")))):
        path = finders.find(url.removeprefix("/static/").split("?")[0])
        if path:
            total += len(gzip.compress(Path(path).read_bytes()))
            requests += 1
    return total, requests


def bench_page_weight(grid_code: str) -> dict:
    from django.utils import timezone

    from bench.kpis import _client
    from gridgov.accounts.models import User
    from gridgov.events.models import Event

    worker = User.objects.get(username=f"bench_gw_{grid_code}")
    worker.password_changed_at = timezone.now()  # no forced password change in the way
    worker.save(update_fields=["password_changed_at"])
    event = Event.objects.filter(grid__code=grid_code).order_by("-pk").first()
    client = _client(worker)
    pages = {
        "my tasks": "/events/mine/",
        "report form": "/events/new/",
        "event detail": f"/events/{event.uid}/",
        "public report (H5)": "/events/report/",
    }
    weights = {}
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        weights[label] = _weight(response.content)
    from django.test import Client

    baseline = _weight(Client().get("/accounts/login/").content)
    largest = max(weights, key=lambda k: weights[k][0])
    return {"pages": weights, "largest": largest, "baseline": baseline}


def page_weight_lines(result: dict) -> list[str]:
    label = result["largest"]
    size, requests = result["pages"][label]
    base_size, base_requests = result["baseline"]
    others = ", ".join(
        f"{k} {v[0] / 1024:.0f} KB" for k, v in result["pages"].items() if k != label
    )
    return [
        f"| page weight, largest phone view: {label} ({others}) | {size / 1024:.0f} KB "
        f"gzip, {requests} requests | sign-in page {base_size / 1024:.0f} KB, "
        f"{base_requests} requests | {size / max(base_size, 1):.2f}× | — |",
    ]
