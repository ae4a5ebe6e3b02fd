"""The demo's bookable rooms and equipment: three per community, bookings in every state
over the past and next two weeks, never two holding the same slot; seeding twice adds none."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.demo.lists_bookings import seed_bookings
from gridgov.lists import booking_selectors as selectors
from gridgov.lists.models import BookableSpace, Booking


def test_seed_bookings(org_tree):
    made = seed_bookings()
    assert made > 50
    assert BookableSpace.objects.count() == 6  # two communities × three
    states = set(Booking.objects.values_list("state", flat=True))
    assert states >= {"requested", "approved", "rejected", "cancelled", "completed", "no_show"}
    now = timezone.now()
    assert Booking.objects.filter(end_at__lt=now).exists()
    assert Booking.objects.filter(start_at__gt=now).exists()
    for space in BookableSpace.objects.all():
        held = list(
            Booking.objects.filter(space=space, state__in=Booking.BLOCKING_STATES).order_by(
                "start_at"
            )
        )
        for before, after in zip(held, held[1:], strict=False):
            assert before.end_at <= after.start_at
    # the past week lies in this month or the last
    rows = selectors.booking_utilisation(month=timezone.localdate()) + (
        selectors.booking_utilisation(month=timezone.localdate() - timedelta(days=7))
    )
    assert any(r.used_hours > 0 for r in rows)
    assert seed_bookings() == 0
