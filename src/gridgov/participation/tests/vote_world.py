"""Residents, households and bound accounts for the votes' tests (and the demo test)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from gridgov.people.models import Household, Resident
from gridgov.residents.models import ResidentAccount


def household(grid, number: str) -> Household:
    return Household.objects.create(
        grid=grid,
        scope_path=grid.path,
        number=number,
        address=f"{number} 号",
        kind=Household.Kind.FAMILY,
    )


def resident(home: Household, name: str, *, age: int = 40, **fields) -> Resident:
    born = timezone.localdate() - timedelta(days=365 * age + age // 4 + 2)
    return Resident.objects.create(
        household=home,
        scope_path=home.scope_path,
        name=name,
        sex=fields.pop("sex", "F"),
        birth_date=fields.pop("birth_date", born),
        id_type="none",
        relation=fields.pop("relation", "head"),
        registration="permanent",
        **fields,
    )


def bind(user, person: Resident) -> Resident:
    ResidentAccount.objects.create(
        user=user, resident=person, method=ResidentAccount.Method.IN_PERSON, bound_by_name="t"
    )
    return person


def turning(age: int, today: date | None = None) -> date:
    """The birth date of someone who turns ``age`` today."""
    today = today or timezone.localdate()
    return today.replace(year=today.year - age)
