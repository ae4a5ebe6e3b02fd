"""Builders of the emergency-supply tests: stores at the three tiers and residents."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.operations import services_supplies as services
from gridgov.people.models import Household, Resident


def make_store(actor, unit, tier="community", name=None, lon=121.40, lat=31.20):
    return services.store_create(
        actor=actor,
        data={
            "name": name or f"{unit.name}储备点",
            "tier": tier,
            "org_unit": unit.code,
            "lon": lon,
            "lat": lat,
            "keeper_name": "王五",
            "keeper_phone": "13812345678",
            "address": "储备路1号",
        },
    )


def receive(actor, store, category, quantity, *, expires_in=365, produced_ago=10):
    today = timezone.localdate()
    return services.batch_receive(
        actor=actor,
        store=store,
        category=category,
        quantity=quantity,
        produced_on=today - timedelta(days=produced_ago),
        expires_on=today + timedelta(days=expires_in),
    )


def residents(grid, n: int) -> None:
    """``n`` active residents in one household of ``grid``."""
    home = Household.objects.create(
        grid=grid, scope_path=grid.path, number=f"S{n}", address="1号", kind=Household.Kind.FAMILY
    )
    born = timezone.localdate() - timedelta(days=365 * 40)
    Resident.objects.bulk_create(
        [
            Resident(
                household=home,
                scope_path=grid.path,
                name=f"居民{i}",
                sex="F",
                birth_date=born,
                id_type="none",
                relation="other",
                registration="permanent",
            )
            for i in range(n)
        ]
    )
