"""The colour of a deadline at its edges: green until the last share of the time allowed,
yellow from its first moment, red from the deadline itself; none without a deadline."""

from datetime import UTC, datetime, timedelta

from gridgov.core.deadlines import deadline_colour

START = datetime(2026, 11, 2, 9, tzinfo=UTC)
DUE = START + timedelta(hours=8)  # the last quarter begins at 15:00


def test_the_edges_of_each_colour():
    def at(hours: float) -> str:
        return deadline_colour(START + timedelta(hours=hours), START, DUE, due_soon_share=0.25)

    assert at(0) == "success"
    assert at(5.99) == "success"
    assert at(6) == "warning"
    assert at(7.99) == "warning"
    assert at(8) == "danger"
    assert at(30) == "danger"


def test_without_a_start_only_overdue_shows_and_without_a_deadline_nothing():
    assert deadline_colour(DUE - timedelta(minutes=1), None, DUE, due_soon_share=0.25) == "success"
    assert deadline_colour(DUE, None, DUE, due_soon_share=0.25) == "danger"
    assert deadline_colour(DUE, START, None, due_soon_share=0.25) == "secondary"


def test_the_share_is_the_callers():
    now = START + timedelta(hours=4)  # half the time left
    assert deadline_colour(now, START, DUE, due_soon_share=0.25) == "success"
    assert deadline_colour(now, START, DUE, due_soon_share=0.5) == "warning"
