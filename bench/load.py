"""A load generator in its own process: N threads send requests for S seconds and report
throughput, latency percentiles and errors as JSON; or (kind "sequence") one client sends a
given list of requests one after another. Reads its spec from stdin."""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import uuid

import requests


def sequence(spec: dict) -> dict:
    """One client sending the given requests one after another, as a phone does: latency
    of each request and the records stored (a sync answers each record on its own)."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {spec['token']}"}
    latencies, errors, records_ok, failures = [], 0, 0, []
    started = time.perf_counter()
    for item in spec["requests"]:
        begun = time.perf_counter()
        try:
            response = session.post(
                spec["url"] + item["path"], json=item["body"], headers=headers, timeout=120
            )
        except requests.RequestException as exc:
            response, failure = None, str(exc)
        latencies.append((time.perf_counter() - begun) * 1000)
        if response is not None and response.status_code in (200, 201):
            if item["path"].endswith("/sync"):
                results = response.json()["results"]
                stored = sum(r["status"] == 201 for r in results)
                failure = "" if stored == item["records"] else str(results)[:500]
            else:
                stored = int(response.status_code == 201)
                failure = "" if stored else "already stored"
            records_ok += stored
        elif response is not None:
            failure = f"{response.status_code} {response.text[:500]}"
        if failure:
            errors += 1
            failures.append(failure)
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]

    return {
        "requests": len(latencies),
        "records_ok": records_ok,
        "seconds": elapsed,
        "records_per_s": records_ok / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "errors": errors,
        "failures": failures[:3],
    }


def main() -> int:
    spec = json.loads(sys.stdin.read())
    if spec["kind"] == "sequence":
        print(json.dumps(sequence(spec)))
        return 0
    deadline = time.perf_counter() + spec["seconds"]
    latencies: list[float] = []
    errors = [0]
    refused: dict[str, int] = {}  # status code (or exception) of the failed requests
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {spec['token']}"}

    def worker(n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        mine, failed, why = [], 0, {}
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                if spec["kind"] == "events":
                    x0, y0, x1, y1 = rng.choice(spec["boxes"])
                    response = session.post(
                        spec["url"] + "/api/v1/events",
                        json={
                            "title": rng.choice(["楼道堆物", "路灯不亮", "占道经营", "噪音扰民"]),
                            "lon": rng.uniform(x0, x1),
                            "lat": rng.uniform(y0, y1),
                            "channel": "hotline",
                            "client_id": str(uuid.uuid4()),
                        },
                        headers=headers,
                        timeout=30,
                    )
                    ok = response.status_code == 201
                else:
                    response = session.get(spec["url"] + "/api/v1/me", headers=headers, timeout=30)
                    ok = response.status_code == 200
            except requests.RequestException as exc:
                ok, response = False, None
                why[type(exc).__name__] = why.get(type(exc).__name__, 0) + 1
            mine.append((time.perf_counter() - started) * 1000)
            failed += not ok
            if not ok and response is not None:
                why[str(response.status_code)] = why.get(str(response.status_code), 0) + 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed
            for key, n in why.items():
                refused[key] = refused.get(key, 0) + n

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(spec["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * (len(latencies) - 1)))]

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "rps": len(latencies) / elapsed,
                "p50": pct(50),
                "p95": pct(95),
                "p99": pct(99),
                "errors": errors[0],
                "refused": refused,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
