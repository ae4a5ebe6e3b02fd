"""Device heartbeats over HTTP: ``devices`` registered devices (full: 10,000), already
online as in steady state, each send one signed heartbeat through the webhook
(``/events/hooks/device/{code}/``: signature, timestamp, nonce, status) from ``concurrency``
client threads in a separate process, against gunicorn; next to it, the same client sends
the same number of plain authenticated GETs (``/api/v1/me``), in the same run.

    .venv/bin/python -m bench.run --size smoke|small|full --only heartbeats

Run as ``python -m bench.heartbeats`` it is the load generator (spec on stdin, JSON out)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import time
import uuid

SIZES = {"smoke": 200, "small": 2_000, "full": 10_000}


def build(devices: int):
    """Registered devices in one grid, online; returns ([(code, secret)], staff token)."""
    from datetime import date, timedelta

    from django.utils import timezone

    from bench.server import lift_api_rate_limits
    from conftest import build_org_tree, new_user
    from gridgov.accounts.roles import Role
    from gridgov.accounts.services import token_create
    from gridgov.core.crypto import encrypt_field
    from gridgov.events.models import Category, DeviceSource
    from gridgov.operations.models import Device

    tree = build_org_tree()
    grid = tree["g1a"]
    staff = new_user(Role.COMMUNITY_STAFF, tree["c1"], username="bench_devices_staff")
    category = Category.objects.get(code="52001")
    credentials = [(f"hb-{i:05d}", secrets.token_urlsafe(32)) for i in range(devices)]
    sources = DeviceSource.objects.bulk_create(
        DeviceSource(
            code=code,
            name=code,
            category=category,
            lon=121.405,
            lat=31.205,
            secret_encrypted=encrypt_field(secret, associated_data=f"device:{code}"),
        )
        for code, secret in credentials
    )
    now = timezone.now()
    Device.objects.bulk_create(
        Device(
            source=source,
            kind="smoke",
            grid=grid,
            scope_path=grid.path,
            installer="bench",
            installed_on=date(2025, 1, 1),
            replace_due_on=date(2028, 1, 1),
            keeper_name="bench",
            sampling_minutes=5,
            status=Device.Status.ONLINE,
            status_changed_at=now,
            first_seen_at=now,
            last_seen_at=now,
            offline_after=now + timedelta(minutes=15),
        )
        for source in sources
    )
    _, token = token_create(user=staff, name="bench")
    lift_api_rate_limits(tree["d1"])  # the baseline's GETs are one token's
    return credentials, token


def bench_heartbeats(database_url: str, size: str, *, workers: int = 2, concurrency: int = 8):
    from django.db.models import Min

    from bench.server import affinity_note, generate, gunicorn
    from gridgov.events.models import DeviceNonce
    from gridgov.operations.models import Device

    devices = SIZES[size]
    t0 = time.perf_counter()
    credentials, token = build(devices)
    setup_s = time.perf_counter() - t0
    results = {}
    with gunicorn(database_url, workers=workers) as url:
        for kind in ("baseline", "heartbeats"):
            results[kind] = generate(
                "bench.heartbeats",
                {
                    "url": url,
                    "kind": kind,
                    "token": token,
                    "devices": credentials,
                    "concurrency": concurrency,
                },
            )
    # Every heartbeat was stored: each device heard from during the run, each nonce kept.
    heard = Device.objects.aggregate(first=Min("last_seen_at"))["first"]
    nonces = DeviceNonce.objects.count()
    if nonces != devices or heard is None or heard.timestamp() < results["heartbeats"]["began"]:
        raise RuntimeError(f"{nonces} nonces for {devices} heartbeats; oldest heartbeat {heard}")
    return {"devices": devices, "setup_s": setup_s, "cpus": affinity_note(), **results}


def heartbeat_lines(result: dict) -> list[str]:
    beats, base = result["heartbeats"], result["baseline"]
    ratio = beats["rps"] / base["rps"] if base["rps"] else 0
    return [
        f"| device heartbeats over HTTP ({result['devices']:,} devices, one signed heartbeat "
        f"each; {result['cpus']}) | {beats['rps']:,.0f} heartbeats/s, p95 "
        f"{beats['p95_ms']:.0f} ms | GET /api/v1/me {base['rps']:,.0f} req/s, p95 "
        f"{base['p95_ms']:.0f} ms | {ratio:.1%} | — |"
    ]


def _load(spec: dict) -> dict:
    from bench.server import drive

    body = json.dumps({"type": "heartbeat"}).encode()
    me = {"Authorization": f"Bearer {spec['token']}"}

    def heartbeat(session, device):
        code, secret = device
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex
        signature = hmac.new(
            secret.encode(), f"{stamp}.{nonce}.".encode() + body, hashlib.sha256
        ).hexdigest()
        response = session.post(
            f"{spec['url']}/events/hooks/device/{code}/",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-GridGov-Timestamp": stamp,
                "X-GridGov-Nonce": nonce,
                "X-GridGov-Signature": signature,
            },
            timeout=120,
        )
        return response.status_code, response.status_code == 200

    def baseline(session, device):
        response = session.get(f"{spec['url']}/api/v1/me", headers=me, timeout=120)
        return response.status_code, response.status_code == 200

    send = heartbeat if spec["kind"] == "heartbeats" else baseline
    return drive(spec["devices"], spec["concurrency"], send)


if __name__ == "__main__":
    print(json.dumps(_load(json.loads(sys.stdin.read()))))
