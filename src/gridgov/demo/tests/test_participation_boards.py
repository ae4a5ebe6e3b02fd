"""The demo's bylaws and boards after ``seed_demo``: every community has its 社区公约, red
and black entries over the past three months with and without consent, the service board
of the last finished month published from the demo's ratings; the resident's board names
no household without its consent; seeding again adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.demo.participation_boards import seed_participation_boards
from gridgov.demo.seed import seed_demo
from gridgov.participation.boards_selectors import public_board
from gridgov.participation.models import Bylaw, ComplianceEntry, ServiceBoardEntry
from gridgov.participation.service_board import previous_month_label

pytestmark = pytest.mark.django_db


def test_demo_boards(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    seed_demo()
    assert Bylaw.objects.count() == 4
    entries = ComplianceEntry.objects.all()
    assert entries.filter(colour="red").exists() and entries.filter(colour="black").exists()
    assert entries.filter(consent_on__isnull=False).exists()
    assert entries.filter(household__isnull=False, consent_on__isnull=True).exists()
    assert entries.filter(household__isnull=True).exists()
    oldest = min(entries.values_list("occurred_on", flat=True))
    assert (timezone.localdate() - oldest).days > 45
    assert not entries.filter(colour="black", evidence="").exists()
    last = previous_month_label()
    published = ServiceBoardEntry.objects.filter(period=last)
    assert published.exclude(band="insufficient").count() >= 4  # workers with enough ratings
    assert published.filter(band="red").exists()
    # The public board of each community: the unconsented households appear as a building.
    for entry in entries.filter(household__isnull=False, consent_on__isnull=True)[:10]:
        board = public_board(entry.community, entry.period)
        shown = " ".join(line.who for line in board.red + board.black)
        assert entry.household.number not in shown
        assert f"{entry.household.room.unit_number}-{entry.household.room.number}" not in shown
    assert seed_participation_boards() == 0
