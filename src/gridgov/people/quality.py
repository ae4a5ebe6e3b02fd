"""What makes a registry record complete and fresh (policy ``people.quality``): one place for
the resident list's "needs work" filters and the registry KPIs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from gridgov.core.policies import policy_get

# Each optional field's "filled" test: personal numbers are stored encrypted.
_FILLED = {
    "id_number": ~Q(id_number_encrypted=""),
    "phone": ~Q(phone_encrypted=""),
    "ethnicity": ~Q(ethnicity=""),
    "occupation": ~Q(occupation=""),
    "education": ~Q(education=""),
}


def complete_q() -> Q:
    """Residents whose required fields (policy) are all filled."""
    q = Q()
    for field in policy_get("people.quality").required_fields:
        q &= _FILLED[field]
    return q


def verification_cutoff(as_of: datetime | None = None) -> datetime:
    """A record last verified before this is stale."""
    days = policy_get("people.quality").verify_within_days
    return (as_of or timezone.now()) - timedelta(days=days)


def fresh_q(as_of: datetime | None = None) -> Q:
    return Q(verified_at__gte=verification_cutoff(as_of))


def tag_file_complete_q() -> Q:
    """A special-population tag with its file: where the information came from and since when."""
    return ~Q(source="") & Q(valid_from__isnull=False)
