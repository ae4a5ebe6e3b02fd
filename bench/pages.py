"""Page weight of the phone views (grid workers use cheap phones on mobile data): the bytes
a page transfers (its HTML and the scripts and style sheets it loads) and its request count,
against the sign-in page measured in the same run.

Assets are fetched through the application as a phone's browser asks for them, so the
figure is what WhiteNoise really sends (Brotli for scripts and style sheets); the HTML is
counted gzip-compressed, as the reverse proxy in front sends it (docs/operations.md)."""

from __future__ import annotations

import gzip
import re

ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+href)="(/static/[^"]+)"')
# What a phone's browser sends over HTTPS.
ACCEPT_ENCODING = "gzip, deflate, br"


def _transferred(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _weight(client, html: bytes) -> tuple[int, int]:
    total, requests = len(gzip.compress(html)), 1
    for url in sorted(set(ASSET.findall(html.decode("utf-8", "replace")))):
        response = client.get(url, HTTP_ACCEPT_ENCODING=ACCEPT_ENCODING)
        assert response.status_code == 200, (url, response.status_code)
        total += _transferred(response)
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
        weights[label] = _weight(client, response.content)
    from django.test import Client

    anonymous = Client()
    baseline = _weight(anonymous, anonymous.get("/accounts/login/").content)
    largest = max(weights, key=lambda k: weights[k][0])
    workbenches = {}
    for role, user in _workbench_users(worker, grid_code).items():
        home = _client(user).get("/")
        assert home.status_code == 200, (role, home.status_code)
        workbenches[role] = _weight(client, home.content)
    return {"pages": weights, "largest": largest, "baseline": baseline, "workbenches": workbenches}


def _workbench_users(worker, grid_code: str) -> dict:
    """One user per staff role whose home is a workbench, scoped around the measured grid."""
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.org.models import OrgUnit

    grid = OrgUnit.objects.get(code=grid_code)
    community, street = grid.parent, grid.parent.parent
    scopes = {
        Role.GRID_WORKER: grid,
        Role.GRID_LEADER: community,
        Role.COMMUNITY_STAFF: community,
        Role.STREET_STAFF: street,
        Role.DISTRICT_STAFF: street.parent,
        Role.DEPARTMENT_HANDLER: street.parent,
    }
    users = {str(Role(Role.GRID_WORKER).label): worker}
    for role, unit in scopes.items():
        if role == Role.GRID_WORKER:
            continue
        user, created = User.objects.get_or_create(
            username=f"bench_wb_{role}",
            defaults={"must_change_password": False, "password_changed_at": timezone.now()},
        )
        if created:
            Membership.objects.create(user=user, role=role, org_unit=unit)
        users[str(Role(role).label)] = user
    return users


def page_weight_lines(result: dict) -> list[str]:
    label = result["largest"]
    size, requests = result["pages"][label]
    base_size, base_requests = result["baseline"]
    others = ", ".join(
        f"{k} {v[0] / 1024:.0f} KB" for k, v in result["pages"].items() if k != label
    )
    lines = [
        f"| page weight transferred, largest phone view: {label} ({others}) | "
        f"{size / 1024:.0f} KB, {requests} requests | sign-in page {base_size / 1024:.0f} KB, "
        f"{base_requests} requests | {size / max(base_size, 1):.2f}× | — |",
    ]
    for role, (size, requests) in result.get("workbenches", {}).items():
        lines.append(
            f"| page weight transferred, workbench (home) of {role} | "
            f"{size / 1024:.0f} KB, {requests} requests | sign-in page "
            f"{base_size / 1024:.0f} KB, {base_requests} requests | "
            f"{size / max(base_size, 1):.2f}× | — |"
        )
    return lines
