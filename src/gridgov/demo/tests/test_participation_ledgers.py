"""The demo's points and time bank: a catalogue supplied by the community's resources,
credits from rated and volunteer-delivered orders dated within six months, redemptions
picked up and waiting, hours spent and transferred, one correction; the ledgers verify and a
second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.core import ledger
from gridgov.core.models import LedgerTransaction
from gridgov.demo.participation_ledgers import seed_points_ledgers
from gridgov.demo.seed import seed_demo
from gridgov.participation.models import CatalogueItem, Redemption

pytestmark = pytest.mark.django_db


def test_seed_points_ledgers(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    seed_demo()  # calls seed_points_ledgers()
    assert set(CatalogueItem.objects.values_list("name", flat=True)) == {
        "理发",
        "家政 1 小时",
        "米油",
        "文化演出票",
    }
    actions = set(LedgerTransaction.objects.values_list("action", flat=True))
    assert {"service_rated", "volunteer_hours", "deposit", "redeem", "reversal"} <= actions
    assert {"withdraw", "transfer"} <= actions
    states = set(Redemption.objects.values_list("state", flat=True))
    assert {"picked_up", "placed"} <= states
    oldest = LedgerTransaction.objects.order_by("occurred_at").first().occurred_at
    assert oldest >= timezone.now() - timedelta(days=183)
    assert ledger.verify().ok
    count = LedgerTransaction.objects.count()
    assert seed_points_ledgers() == 0
    assert LedgerTransaction.objects.count() == count
