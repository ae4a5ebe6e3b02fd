"""Who a signed-in account is in the registry."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core.errors import PermissionDenied
from gridgov.people.models import Resident


def resident_for(user) -> Resident | None:
    """The active registry record the account is bound to, or None (anonymous, staff
    without a binding, or a resident whose record was archived)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    resident = (
        Resident.objects.active()
        .select_related("household")
        .filter(account__user_id=user.pk)
        .first()
    )
    return resident


def require_resident(user) -> Resident:
    """The bound resident, or a 403 that tells the person what to do."""
    resident = resident_for(user)
    if resident is None:
        raise PermissionDenied(
            _(
                "Your account is not linked to a resident of the registry yet. "
                "Ask your grid worker to confirm it in person."
            ),
            code="not_a_verified_resident",
        )
    return resident
