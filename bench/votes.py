"""Casting votes over HTTP: ``votes`` voters (bound resident accounts, one API token each)
cast their ballot on one topic's vote from ``concurrency`` client threads in a separate
process, against gunicorn; next to it, the same client sends the same number of plain
authenticated GETs (``/api/v1/me``) with the same tokens, in the same run.

    .venv/bin/python -m bench.run --size smoke|small|full --only votes

Run as ``python -m bench.votes`` it is the load generator (spec on stdin, JSON out)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"smoke": 40, "small": 2_000, "full": 10_000}


def build(voters: int):
    """A topic in c1 put to the vote, its electorate ``voters`` adults of g1a, each with a
    bound account and an API token. Returns (vote, tokens)."""
    from datetime import timedelta

    from django.utils import timezone

    from conftest import build_org_tree, new_user
    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.accounts.services import token_create
    from gridgov.participation import services_votes
    from gridgov.participation.models import Topic
    from gridgov.participation.workflow import move_topic
    from gridgov.people.models import Household, Resident
    from gridgov.residents.models import ResidentAccount

    tree = build_org_tree()
    grid = tree["g1a"]
    staff = new_user(Role.COMMUNITY_STAFF, tree["c1"], username="bench_votes_staff")
    homes = Household.objects.bulk_create(
        Household(grid=grid, scope_path=grid.path, number=f"V{i}", address="—", kind="family")
        for i in range(voters)
    )
    people = Resident.objects.bulk_create(
        Resident(
            household=h,
            scope_path=grid.path,
            name=f"投票{i}",
            sex="F",
            birth_date="1980-01-01",
            id_type="none",
            relation="head",
            registration="permanent",
        )
        for i, h in enumerate(homes)
    )
    users = User.objects.bulk_create(
        User(
            username=f"bench_voter_{i}",
            must_change_password=False,
            password_changed_at=timezone.now(),
        )
        for i in range(voters)
    )
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.RESIDENT, org_unit=grid) for u in users
    )
    ResidentAccount.objects.bulk_create(
        ResidentAccount(user=u, resident=p, method="in_person", bound_by_name="bench")
        for u, p in zip(users, people, strict=True)
    )
    tokens = [token_create(user=u, name="bench")[1] for u in users]
    topic = Topic.objects.create(
        org_unit=tree["c1"], title="基准", source="committee", created_by=staff
    )
    topic = move_topic(actor=staff, topic=topic, action="select", version=1)
    vote = services_votes.vote_create(
        actor=staff,
        topic=topic,
        data={
            "question": "基准",
            "options": ["同意", "不同意"],
            "closes_at": timezone.now() + timedelta(1),
        },
    )
    vote = services_votes.vote_open(actor=staff, vote=vote, version=vote.version)
    return vote, tokens


def bench_votes(database_url: str, size: str, *, workers: int = 2, concurrency: int = 8) -> dict:
    from bench.server import generate, gunicorn

    voters = SIZES[size]
    t0 = time.perf_counter()
    vote, tokens = build(voters)
    setup_s = time.perf_counter() - t0
    results = {}
    with gunicorn(database_url, workers=workers) as url:
        for kind in ("baseline", "votes"):
            results[kind] = generate(
                "bench.votes",
                {
                    "url": url,
                    "kind": kind,
                    "tokens": tokens,
                    "vote": str(vote.uid),
                    "version": vote.version,
                    "concurrency": concurrency,
                },
            )
    from gridgov.participation.models import Ballot, Turnout

    counted = (Turnout.objects.filter(vote=vote).count(), Ballot.objects.filter(vote=vote).count())
    if counted != (voters, voters):
        raise RuntimeError(f"{counted} stored for {voters} votes")
    return {"voters": voters, "setup_s": setup_s, **results}


def votes_lines(result: dict) -> list[str]:
    votes, base = result["votes"], result["baseline"]
    ratio = votes["rps"] / base["rps"] if base["rps"] else 0
    return [
        f"| casting votes over HTTP ({result['voters']:,} voters, one vote) | "
        f"{votes['rps']:,.0f} votes/s, p95 {votes['p95_ms']:.0f} ms | GET /api/v1/me "
        f"{base['rps']:,.0f} req/s, p95 {base['p95_ms']:.0f} ms | {ratio:.1%} | — |"
    ]


def _load(spec: dict) -> dict:
    from bench.server import drive

    def send(session, item):
        index, token = item
        headers = {"Authorization": f"Bearer {token}"}
        if spec["kind"] == "votes":
            response = session.post(
                f"{spec['url']}/api/v1/participation/votes/{spec['vote']}/ballots",
                json={"choice": index % 2, "version": spec["version"]},
                headers=headers,
                timeout=120,
            )
            return response.status_code, response.status_code == 201
        response = session.get(f"{spec['url']}/api/v1/me", headers=headers, timeout=120)
        return response.status_code, response.status_code == 200

    return drive(list(enumerate(spec["tokens"])), spec["concurrency"], send)


if __name__ == "__main__":
    print(json.dumps(_load(json.loads(sys.stdin.read()))))
