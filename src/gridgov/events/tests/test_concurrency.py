"""Two people act on the same event at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gridgov.core.errors import Conflict
from gridgov.events.models import Event, EventAction, State
from gridgov.events.services import transition


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
def test_simultaneous_verifications_one_wins(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name, action, note):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            transition(actor=crew["worker2"], event=event, action=action, note=note)
            outcomes[name] = "ok"
        except Conflict as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("pass", "verify_pass", "")),
        threading.Thread(target=act, args=("fail", "verify_fail", "没修好")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(v).__name__ for v in outcomes.values()) == ["Conflict", "str"]
    loser = next(v for v in outcomes.values() if isinstance(v, Conflict))
    assert loser.status == 409 and loser.details["state"] in (State.CLOSED, State.HANDLING)
    final = Event.objects.get(pk=event.pk)
    assert final.state in (State.CLOSED, State.HANDLING)
    assert EventAction.objects.filter(event=event, action__startswith="verify_").count() == 1


@pytest.mark.django_db
def test_a_stale_form_is_a_conflict_on_every_database(crew, report, advance):
    """The version check: someone submits a form read before another person's change."""
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle")
    seen_version = event.version
    transition(actor=crew["worker2"], event=event, action="verify_pass", version=seen_version)
    with pytest.raises(Conflict) as caught:
        transition(
            actor=crew["worker2"], event=event, action="verify_fail", note="x", version=seen_version
        )
    assert caught.value.details["state"] == State.CLOSED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections: PostgreSQL")
def test_two_scans_at_once_escalate_each_event_once(crew, report, advance):
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.core.models import Notification
    from gridgov.events.scan import scan

    events = [advance(report(title=f"超期{i}"), "accept", "classify", "dispatch") for i in range(6)]
    Event.objects.filter(pk__in=[e.pk for e in events]).update(
        handle_due=timezone.now() - timedelta(hours=1)
    )
    barrier = threading.Barrier(2)
    counts = []

    def run():
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            counts.append(scan().escalated)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == 6
    assert EventAction.objects.filter(action="overdue_escalate").count() == 6
    assert Notification.objects.filter(kind="overdue", recipient=crew["worker"]).count() == 6
