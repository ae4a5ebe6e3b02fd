"""Compounds and buildings for the inventory's tests (the shared org tree has none)."""

from __future__ import annotations


def compounds_of(org_tree) -> dict:
    """In c1: 幸福家园 with building 1 in g1a and building 2 in g1b, 和平里 with building 1
    in g1a; in c2: 华阳小区 with building 1 in g2a."""
    from gridgov.org.models import Building, Compound

    out = {}
    for key, community, name, kind, buildings in [
        ("happy", "c1", "幸福家园", "commercial", [("1", "g1a"), ("2", "g1b")]),
        ("peace", "c1", "和平里", "old", [("1", "g1a")]),
        ("other", "c2", "华阳小区", "commercial", [("1", "g2a")]),
    ]:
        compound = Compound.objects.create(
            community=org_tree[community], name=name, kind=kind, household_count=300
        )
        out[key] = compound
        for number, grid in buildings:
            out[f"{key}_{number}"] = Building.objects.create(
                compound=compound, grid=org_tree[grid], number=number
            )
    return out


def group_data(places: dict, **extra) -> dict:
    data = {
        "name": "幸福家园3栋服务群",
        "platform": "wechat",
        "function": "service",
        "manager": "committee",
        "compounds": [places["happy"].pk],
        "buildings": [places["happy_1"].pk],
    }
    data.update(extra)
    return data
