"""The demo's resident accounts bound to the registry: ``demo_resident`` is an adult living
in grid 310104003001001 and ``demo_volunteer`` another adult of the same community, each
confirmed in person by the community's staff (``demo_community``). Until an account is
bound it can take part in nothing that needs one verified person. Idempotent."""

from __future__ import annotations

from datetime import date

from gridgov.accounts.models import User
from gridgov.org.models import OrgUnit
from gridgov.people.models import Resident
from gridgov.residents.models import ResidentAccount
from gridgov.residents.services import bind_account

STAFF = "demo_community"
BINDINGS = [("demo_resident", "310104003001001"), ("demo_volunteer", "310104003001")]


def _adult_in(path_prefix: str, taken: set[int]) -> Resident | None:
    today = date.today()
    adult_before = today.replace(year=today.year - 25)
    return (
        Resident.objects.active()
        .filter(
            scope_path__startswith=path_prefix,
            residence=Resident.Residence.PRESENT,
            birth_date__lte=adult_before,
            birth_date__gte=today.replace(year=today.year - 70),
            account__isnull=True,
        )
        .exclude(pk__in=taken)
        .order_by("scope_path", "pk")
        .first()
    )


def seed_resident_accounts() -> int:
    staff = User.objects.get(username=STAFF)
    bound = 0
    taken: set[int] = set()
    for username, path in BINDINGS:
        user = User.objects.get(username=username)
        if ResidentAccount.objects.filter(user=user).exists():
            continue
        resident = _adult_in(OrgUnit.objects.get(code=path).path, taken)
        if resident is None:
            continue
        taken.add(resident.pk)
        bind_account(staff, user=user, resident=resident)
        bound += 1
    return bound
