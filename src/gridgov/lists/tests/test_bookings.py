"""Bookable resources: the booking state machine (legal and illegal moves), overlap refusal,
the race for one slot, bad input (zh-Hans and English, nothing written), the clock's sweep,
scoping, and utilisation on a hand-built month."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.lists import booking_selectors as selectors
from gridgov.lists import booking_services as services
from gridgov.lists import services as list_services
from gridgov.lists.models import BookableSpace, Booking

ALL_WEEK = {str(d): [["08:00", "20:00"]] for d in range(7)}


@pytest.fixture
def world(org_tree, make_user):
    keeper = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    return {"tree": org_tree, "keeper": keeper, "worker": worker, "make_user": make_user}


def _space(world, *, needs_approval=True, schedule=None, slot=60, people=20, name="活动室"):
    resource = list_services.resource_create(
        actor=world["keeper"],
        data={
            "name": name,
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": "社区居委会",
            "categories": ["culture"],
            "owner": world["tree"]["c1"].code,
            "capacity": 100,
            "area_paths": [world["tree"]["c1"].code],
        },
    )
    return services.space_save(
        actor=world["keeper"],
        resource=resource,
        data={
            "kind": "room",
            "schedule": schedule or ALL_WEEK,
            "slot_minutes": slot,
            "capacity_people": people,
            "needs_approval": needs_approval,
        },
    )


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _book(world, space, start, *, actor=None, slots=1, **extra):
    data = {
        "resource": space.resource.uid,
        "start": start,
        "slots": slots,
        "purpose": "合唱排练",
        "attendees": 12,
        "applicant_name": "李合唱",
        "applicant_phone": "13911112222",
        "group_name": "夕阳红合唱团",
        **extra,
    }
    return services.booking_create(
        actor=actor or world["worker"], data=services.BookingInput(**data)
    )


def _shift(booking: Booking, start: datetime, end: datetime) -> Booking:
    """Move a booking's times (the clock cannot be stopped, so the booking moves)."""
    Booking.objects.filter(pk=booking.pk).update(start_at=start, end_at=end)
    booking.refresh_from_db()
    return booking


def _act(world, booking, action, actor=None, reason=""):
    booking.refresh_from_db()
    return services.booking_transition(
        actor=actor or world["keeper"],
        booking=booking,
        action=action,
        version=booking.version,
        reason=reason,
    )


def test_booking_is_stored_masked_and_encrypted_and_audited(world):
    space = _space(world)
    booking = _book(world, space, _at(1, 9), slots=2)
    assert booking.state == Booking.State.REQUESTED
    assert booking.end_at - booking.start_at == timedelta(hours=2)
    assert booking.applicant_name_masked == "李**"
    assert booking.applicant_phone_masked == "139****2222"
    assert "李合唱" not in booking.applicant_name_encrypted
    assert booking.scope_path == world["tree"]["c1"].path
    assert booking.requester_path == world["tree"]["g1a"].path
    assert AuditRecord.objects.filter(action="lists.booking.create").count() == 1


def test_state_machine_legal_moves(world):
    space = _space(world)
    # requested → approved → checked in → completed
    booking = _book(world, space, _at(1, 9))
    booking = _act(world, booking, "approve")
    assert booking.state == Booking.State.APPROVED and booking.decided_at
    _shift(booking, timezone.now() - timedelta(minutes=10), timezone.now() + timedelta(minutes=50))
    booking = _act(world, booking, "check_in")
    assert booking.state == Booking.State.CHECKED_IN and booking.checked_in_at
    booking = _act(world, booking, "complete")
    assert booking.state == Booking.State.COMPLETED and booking.closed_at
    # requested → rejected (with a reason)
    other = _book(world, space, _at(2, 9))
    other = _act(world, other, "reject", reason="场地维修")
    assert other.state == Booking.State.REJECTED and other.reason == "场地维修"
    # requested → cancelled by the one who booked it; approved → cancelled
    mine = _book(world, space, _at(3, 9))
    mine = _act(world, mine, "cancel", actor=world["worker"], reason="活动延期")
    assert mine.state == Booking.State.CANCELLED
    later = _act(world, _book(world, space, _at(4, 9)), "approve")
    later = _act(world, later, "cancel", actor=world["worker"], reason="改期")
    assert later.state == Booking.State.CANCELLED
    # approved → no-show, once the end and the grace time have passed
    absent = _act(world, _book(world, space, _at(5, 9)), "approve")
    _shift(absent, timezone.now() - timedelta(hours=2), timezone.now() - timedelta(minutes=16))
    absent = _act(world, absent, "no_show")
    assert absent.state == Booking.State.NO_SHOW


def test_state_machine_illegal_moves(world):
    space = _space(world)
    booking = _book(world, space, _at(1, 9))
    # complete and check in before approval; no-show of a request
    for action in ("complete", "check_in", "no_show"):
        with pytest.raises(Conflict) as caught:
            _act(world, booking, action)
        assert caught.value.code == "illegal_transition"
    # the one who booked may not approve (the keeper's permission)
    with pytest.raises(PermissionDenied):
        _act(world, booking, "approve", actor=world["worker"])
    # reject and cancel need a reason
    with pytest.raises(ValidationFailed) as caught:
        _act(world, booking, "reject")
    assert "reason" in caught.value.details
    booking = _act(world, booking, "approve")
    # check-in is not open a day ahead; a no-show not before the end and the grace time
    with pytest.raises(Conflict) as caught:
        _act(world, booking, "check_in")
    assert caught.value.code == "checkin_closed"
    _shift(booking, timezone.now() - timedelta(hours=1), timezone.now() - timedelta(minutes=5))
    with pytest.raises(Conflict) as caught:
        _act(world, booking, "no_show")
    assert caught.value.code == "too_early"
    # a slot that has begun can no longer be cancelled
    with pytest.raises(Conflict) as caught:
        _act(world, booking, "cancel", actor=world["worker"], reason="晚了")
    assert caught.value.code == "slot_started"
    booking = _act(world, booking, "check_in")  # late, but within the grace time
    booking = _act(world, booking, "complete")
    for action in ("approve", "cancel", "check_in", "complete"):
        with pytest.raises(Conflict):
            _act(world, booking, action, reason="x")
    # a stale version is a 409 too
    fresh = _book(world, space, _at(2, 9))
    with pytest.raises(Conflict):
        services.booking_transition(
            actor=world["keeper"], booking=fresh, action="approve", version=fresh.version + 1
        )
    with pytest.raises(ValidationFailed):
        services.booking_transition(
            actor=world["keeper"], booking=fresh, action="teleport", version=fresh.version
        )


def test_without_approval_it_is_booked_at_once(world):
    space = _space(world, needs_approval=False)
    booking = _book(world, space, _at(1, 10))
    assert booking.state == Booking.State.APPROVED
    assert booking.decided_by_name == "system:auto-approve"


def test_overlapping_bookings_are_refused(world):
    space = _space(world)
    first = _book(world, space, _at(1, 9), slots=2)  # 09:00–11:00, requested
    for start, slots in ((_at(1, 10), 1), (_at(1, 8), 2), (_at(1, 9), 1), (_at(1, 8), 4)):
        with pytest.raises(Conflict) as caught:
            _book(world, space, start, slots=slots)
        assert caught.value.code == "slot_taken" and caught.value.status == 409
    # touching is not overlapping; another resource is another calendar
    assert _book(world, space, _at(1, 11)).state == Booking.State.REQUESTED
    assert _book(world, space, _at(1, 8)).state == Booking.State.REQUESTED
    other = _space(world, name="会议室")
    assert _book(world, other, _at(1, 9), slots=2)
    # an approved booking blocks too; a cancelled or rejected one frees the slot
    first = _act(world, first, "approve")
    with pytest.raises(Conflict):
        _book(world, space, _at(1, 10))
    _act(world, first, "cancel", actor=world["worker"], reason="取消")
    assert _book(world, space, _at(1, 10)).state == Booking.State.REQUESTED
    assert Booking.objects.filter(space=space).count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraint")
def test_the_database_refuses_an_overlap_written_past_the_service(world):
    space = _space(world)
    booking = _book(world, space, _at(1, 9), slots=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            space=space,
            scope_path=booking.scope_path,
            requester_path=booking.requester_path,
            start_at=_at(1, 10),
            end_at=_at(1, 12),
            purpose="绕过",
        )
    # a cancelled booking may overlap (it no longer holds the slot)
    Booking.objects.create(
        space=space,
        scope_path=booking.scope_path,
        requester_path=booking.requester_path,
        start_at=_at(1, 10),
        end_at=_at(1, 12),
        purpose="已取消",
        state=Booking.State.CANCELLED,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
def test_two_bookings_racing_for_one_slot_one_wins(org_tree, make_user):
    world = {
        "tree": org_tree,
        "keeper": make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"]),
    }
    other = make_user(Role.GRID_WORKER, org_tree["g1b"])
    space = _space(world)
    start = _at(1, 9)
    for _round in range(3):
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def book(name, actor, slots, start=start, barrier=barrier, outcomes=outcomes):
            from django.db import connections

            try:
                barrier.wait(timeout=10)
                outcomes[name] = _book(world, space, start, actor=actor, slots=slots)
            except Conflict as exc:
                outcomes[name] = exc
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=book, args=("a", world["worker"], 2)),
            threading.Thread(target=book, args=("b", other, 1)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        losers = [v for v in outcomes.values() if isinstance(v, Conflict)]
        winners = [v for v in outcomes.values() if isinstance(v, Booking)]
        assert len(losers) == 1 and len(winners) == 1, outcomes
        assert losers[0].status == 409 and losers[0].code == "slot_taken"
        assert Booking.objects.filter(space=space, state="requested").count() == 1
        # free the slot for the next round
        Booking.objects.filter(space=space).update(state=Booking.State.CANCELLED)
    assert AuditRecord.objects.filter(action="lists.booking.create").count() == 3


def _refused(world, space, **data) -> dict:
    before = (Booking.objects.count(), AuditRecord.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        _book(world, space, **data)
    assert (Booking.objects.count(), AuditRecord.objects.count()) == before
    return caught.value.details


def test_bad_input_is_refused_clearly_and_nothing_is_written(world):
    space = _space(world, schedule={str(d): [["09:00", "12:00"]] for d in range(7)}, people=10)
    assert "start" in _refused(world, space, start=_at(-1, 9))  # the past
    details = _refused(world, space, start=_at(1, 10), end=_at(1, 9))
    assert details["end"] == ["The end must be after the start."]
    details = _refused(world, space, start=_at(1, 13))
    assert "Outside the opening hours" in details["start"][0]
    details = _refused(world, space, start=_at(1, 11), slots=2)  # runs past closing
    assert "Outside the opening hours" in details["start"][0]
    details = _refused(world, space, start=_at(1, 9, 30))
    assert "whole slots of 60 minutes" in details["start"][0]
    details = _refused(world, space, start=_at(61, 9))
    assert "60 days ahead" in details["start"][0]
    details = _refused(world, space, start="明天上午")
    assert "start" in details
    details = _refused(world, space, start=_at(1, 9), attendees=11)
    assert details["attendees"] == ["It holds at most 10 people."]
    details = _refused(world, space, start=_at(1, 9), purpose="", applicant_name="")
    assert set(details) >= {"purpose", "applicant_name"}
    details = _refused(world, space, start=_at(1, 9), applicant_phone="123")
    assert "applicant_phone" in details
    with translation.override("zh-hans"):
        details = _refused(world, space, start=_at(1, 13))
        assert "开放时间" in details["start"][0]
        details = _refused(world, space, start=_at(1, 10), end=_at(1, 9))
        assert details["end"] == ["结束时间必须晚于开始时间。"]
    # a resource closed for booking
    BookableSpace.objects.filter(pk=space.pk).update(is_open=False)
    details = _refused(world, space, start=_at(1, 9))
    assert "resource" in details


def test_one_booking_takes_at_most_the_policy_slots(world):
    space = _space(world)
    details = _refused(world, space, start=_at(1, 8), slots=9)
    assert details["end"] == ["One booking takes at most 8 slots."]
    assert _book(world, space, _at(1, 8), slots=8)


def test_bookable_settings_are_checked(world):
    space = _space(world)
    for data, key in [
        ({"schedule": {"0": "09:00-08:00"}}, "schedule_0"),
        ({"schedule": {"0": "08:00-12:00, 11:00-13:00"}}, "schedule_0"),
        ({"schedule": {"0": "早上"}}, "schedule_0"),
        ({"schedule": {"0": "20:00-24:00"}}, "schedule_0"),
        ({"schedule": {"9": "08:00-09:00"}}, "schedule"),
        ({"schedule": {}}, "schedule"),
        ({"slot_minutes": 50}, "slot_minutes"),
        ({"capacity_people": 0}, "capacity_people"),
        ({"kind": "boat"}, "kind"),
    ]:
        payload = {
            "kind": "room",
            "schedule": ALL_WEEK,
            "slot_minutes": 60,
            "capacity_people": 5,
            **data,
        }
        with pytest.raises(ValidationFailed) as caught:
            services.space_save(
                actor=world["keeper"], resource=space.resource, data=payload, version=space.version
            )
        assert key in caught.value.details, (data, caught.value.details)
    changed = services.space_save(
        actor=world["keeper"],
        resource=space.resource,
        data={
            "kind": "equipment",
            "schedule": {"5": "09:00-12:00"},
            "slot_minutes": 30,
            "capacity_people": 3,
        },
        version=space.version,
    )
    assert changed.schedule == {"5": [["09:00", "12:00"]]} and changed.version == 2
    with pytest.raises(Conflict):  # a stale version
        services.space_save(
            actor=world["keeper"],
            resource=space.resource,
            data={"schedule": ALL_WEEK, "slot_minutes": 60, "capacity_people": 5},
            version=1,
        )
    with pytest.raises(PermissionDenied):  # a grid worker does not keep resources
        services.space_save(
            actor=world["worker"],
            resource=space.resource,
            data={"schedule": ALL_WEEK, "slot_minutes": 60, "capacity_people": 5},
        )


def test_the_clock_marks_no_shows_completes_and_lapses(world):
    space = _space(world)
    now = timezone.now()
    absent = _act(world, _book(world, space, _at(1, 9)), "approve")
    _shift(absent, now - timedelta(hours=5), now - timedelta(hours=4))
    within_grace = _act(world, _book(world, space, _at(1, 10)), "approve")
    _shift(within_grace, now - timedelta(minutes=50), now - timedelta(minutes=5))
    present = _act(world, _book(world, space, _at(1, 11)), "approve")
    _shift(present, now + timedelta(minutes=10), now + timedelta(minutes=70))
    present = _act(world, present, "check_in")
    _shift(present, now - timedelta(hours=3), now - timedelta(hours=2, minutes=30))
    lapsed = _book(world, space, _at(1, 12))
    _shift(lapsed, now - timedelta(minutes=1), now + timedelta(minutes=59))
    counts = services.bookings_sweep()
    assert counts == {"no_show": 1, "complete": 1, "reject": 1}
    states = {b.pk: b.state for b in Booking.objects.all()}
    assert states[absent.pk] == Booking.State.NO_SHOW
    assert states[within_grace.pk] == Booking.State.APPROVED
    assert states[present.pk] == Booking.State.COMPLETED
    assert states[lapsed.pk] == Booking.State.REJECTED
    assert Booking.objects.get(pk=lapsed.pk).reason == "not_decided_in_time"
    assert services.bookings_sweep() == {"no_show": 0, "complete": 0, "reject": 0}
    # the job that runs it
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("lists_timeouts", stdout=out)
    assert "bookings moved by the clock: {'no_show': 0" in out.getvalue()


def test_scoping_of_bookings_and_the_calendar(world):
    tree, make_user = world["tree"], world["make_user"]
    space = _space(world)
    booking = _book(world, space, _at(1, 9))
    neighbour = make_user(Role.GRID_WORKER, tree["g1b"])
    outsider = make_user(Role.COMMUNITY_STAFF, tree["c2"])
    street = make_user(Role.STREET_STAFF, tree["s1"])
    # the one who booked, the keeper and the street above see it
    for actor in (world["worker"], world["keeper"], street):
        assert selectors.booking_get(actor=actor, uid=booking.uid).pk == booking.pk
    # another grid of the community sees the slot taken, not the booking
    with pytest.raises(NotFound):
        selectors.booking_get(actor=neighbour, uid=booking.uid)
    calendar = selectors.week_calendar(
        actor=neighbour, space=space, first=timezone.localdate() + timedelta(days=1), days=1
    )
    slot = next(s for s in calendar[0].slots if s.start == booking.start_at)
    assert slot.status == "pending" and not slot.visible
    # another district sees neither the resource nor the booking
    with pytest.raises(NotFound):
        selectors.space_get(actor=outsider, uid=space.resource.uid)
    with pytest.raises(NotFound):
        selectors.booking_get(actor=outsider, uid=booking.uid)
    with pytest.raises(NotFound):
        _book(world, space, _at(2, 9), actor=outsider)
    # the neighbour cannot cancel it: not theirs, not their unit
    with pytest.raises(PermissionDenied):
        services.booking_transition(
            actor=neighbour, booking=booking, action="cancel", version=1, reason="x"
        )


def test_utilisation_on_a_hand_built_month(world):
    # June 2026: Monday the 1st; open Monday to Friday 09:00–12:00 in one-hour slots:
    # 22 weekdays × 3 h = 66 open hours.
    space = _space(world, schedule={str(d): [["09:00", "12:00"]] for d in range(5)})

    def at(day: date, hour: int) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour)))

    def made(day, start, end, state):
        Booking.objects.create(
            space=space,
            scope_path=space.resource.scope_path,
            requester_path=space.resource.scope_path,
            start_at=at(day, start) if isinstance(start, int) else start,
            end_at=at(day, end) if isinstance(end, int) else end,
            purpose="手工",
            state=state,
        )

    S = Booking.State
    made(date(2026, 6, 2), 9, 11, S.COMPLETED)  # 2 h used
    made(date(2026, 6, 3), 9, 10, S.CHECKED_IN)  # 1 h used
    made(date(2026, 6, 4), 9, 10, S.NO_SHOW)  # 1 h no-show
    made(date(2026, 6, 5), 9, 10, S.APPROVED)  # 1 h booked, not (yet) used
    made(date(2026, 6, 8), 9, 11, S.CANCELLED)  # not counted
    made(date(2026, 6, 9), 9, 10, S.REJECTED)  # not counted
    made(date(2026, 6, 10), 9, 10, S.REQUESTED)  # not counted: not approved
    # crossing into July: only the hour inside June counts
    made(None, at(date(2026, 6, 30), 23), at(date(2026, 7, 1), 1), S.COMPLETED)
    made(date(2026, 5, 29), 9, 12, S.COMPLETED)  # another month
    row = selectors.booking_utilisation(month=date(2026, 6, 17), space=space)[0]
    assert row.month == date(2026, 6, 1)
    assert row.open_hours == 66
    assert row.used_hours == 4
    assert row.booked_hours == 5
    assert (row.no_shows, row.no_show_hours) == (1, 1)
    assert row.bookings == 5
    assert row.utilisation == round(4 / 66, 4)
    assert row.idle == round(1 - 4 / 66, 4)
    may = selectors.booking_utilisation(month=date(2026, 5, 1), space=space)[0]
    assert may.used_hours == 3 and may.open_hours == 21 * 3
    # every resource the actor sees, or all of them for a job
    other = _space(world, name="器材", schedule={"6": [["10:00", "12:00"]]})
    rows = selectors.booking_utilisation(month=date(2026, 6, 1), actor=world["worker"])
    assert {r.space.pk for r in rows} == {space.pk, other.pk}
    assert next(r for r in rows if r.space.pk == other.pk).open_hours == 8  # 4 Sundays × 2 h
    assert len(selectors.booking_utilisation(month=date(2026, 6, 1))) == 2
