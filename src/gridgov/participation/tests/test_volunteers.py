"""Volunteers: registration (self and 代办), star levels at the band boundaries, sign-up
(full, twice), check-in by location (outside refused with the distance, resend
idempotent), check-out (before check-in refused, hours capped and rounded), approval (by
the organiser or the person served, twice refused, hours beyond the shift refused, the
signal sent), the personal-data gate, scope, and the KPIs on hand-computed fixtures."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.participation import selectors_volunteers as sel
from gridgov.participation import services_volunteers as services
from gridgov.participation.models import Shift, ShiftRecord, Team, Volunteer
from gridgov.participation.policies_volunteers import StarBand
from gridgov.participation.signals import hours_approved
from gridgov.people import services as people
from gridgov.residents.services import bind_account

PLACE = (121.405, 31.205)
# The KPIs of c1 in the fixture of test_kpis_on_hand_computed_fixtures: three residents
# (two in g1a, the person served in g1b), one volunteer active and one gone, one full-time
# worker (g1a), 1.5 approved hours.
EXPECTED = {
    "volunteers.registration_rate": 33.33,
    "volunteers.per_worker": 1.0,
    "volunteers.hours": 1.5,
    "volunteers.retention": 50.0,
}
NEAR = {"lon": "121.4060", "lat": "31.2050"}  # about 95 m east
FAR = {"lon": "121.4200", "lat": "31.2050"}  # about 1.4 km east


def _resident(actor, grid, name, number):
    household = people.household_create(
        actor=actor, grid=grid, number=number, address=f"{name}家", kind="family"
    )
    return people.resident_create(
        actor=actor,
        household=household,
        data={
            "name": name,
            "id_type": "none",
            "sex": "F",
            "birth_date": "1980-01-01",
            "phone": "13912345678",
            "relation": "head",
            "registration": "permanent",
        },
    )


def _bound(make_user, staff, role, unit, resident):
    user = make_user(role, unit)
    bind_account(staff, user=user, resident=resident)
    return user


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    vol_resident = _resident(staff, org_tree["g1a"], "李志愿", "V1")
    vol_user = _bound(make_user, staff, Role.VOLUNTEER, org_tree["c1"], vol_resident)
    served = _resident(staff, org_tree["g1b"], "王阿姨", "V2")
    served_user = _bound(make_user, staff, Role.RESIDENT, org_tree["g1b"], served)
    activity = services.activity_create(
        actor=staff,
        data={
            "org_unit": "310104003001",
            "title": "助老上门",
            "place": "社区活动室",
            "lon": PLACE[0],
            "lat": PLACE[1],
        },
    )
    start = timezone.now() + timedelta(minutes=10)
    shift = services.shift_create(
        actor=staff,
        activity=activity,
        data={
            "start": start,
            "end": start + timedelta(hours=2),
            "slots": 1,
            "recipient": served.uid,
        },
    )
    return {
        "staff": staff,
        "tree": org_tree,
        "make_user": make_user,
        "vol_user": vol_user,
        "vol_resident": vol_resident,
        "served_user": served_user,
        "activity": activity,
        "shift": shift,
    }


def _register(world):
    return services.register_volunteer(actor=world["vol_user"], data={"skills": ["care"]})


def _signed_up(world):
    _register(world)
    return services.sign_up(actor=world["vol_user"], shift=world["shift"])


def _checked_out(world, minutes=100):
    record = _signed_up(world)
    record = services.check_in(
        actor=world["vol_user"], record=record, data={**NEAR, "client_id": str(uuid.uuid4())}
    )
    ShiftRecord.objects.filter(pk=record.pk).update(
        checked_in_at=timezone.now() - timedelta(minutes=minutes)
    )
    record.refresh_from_db()
    return services.check_out(
        actor=world["vol_user"], record=record, data={**NEAR, "client_id": str(uuid.uuid4())}
    )


# Star levels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "rating", "stars"),
    [
        (0, None, 0),
        (Decimal("19.99"), None, 0),
        (20, None, 1),
        (Decimal("49.75"), 5, 1),
        (50, None, 2),
        (100, None, 3),
        (Decimal("299.99"), 5, 3),
        (300, None, 3),  # the top bands need a rating of 4 on average
        (300, 3.99, 3),
        (300, 4.0, 4),
        (600, 4.0, 5),
        (600, 3.5, 3),
    ],
)
def test_star_levels_at_the_band_boundaries(db, hours, rating, stars):
    assert sel.star_level(hours, rating) == stars


def test_star_bands_come_from_the_policy(db):
    bands = [StarBand(stars=1, min_hours=5)]
    assert sel.star_level(5, None, bands) == 1
    assert sel.star_level(4.99, None, bands) == 0


# Registration -------------------------------------------------------------------------------


def test_resident_registers_once_and_staff_register_on_behalf(world):
    volunteer = _register(world)
    assert volunteer.badge_number == "ZY000001"
    assert volunteer.on_behalf is False
    assert volunteer.district.code == "310104"
    with pytest.raises(Conflict) as twice:
        _register(world)
    assert twice.value.code == "already_registered"
    other = _resident(world["staff"], world["tree"]["g1a"], "赵二", "V3")
    team = Team.objects.create(community=world["tree"]["c1"], name="志愿服务队", kind="service")
    staffed = services.register_volunteer(
        actor=world["staff"],
        resident_uid=other.uid,
        data={
            "skills": ["it", "care"],
            "teams": [str(team.uid)],
            "service_area": ["310104003001002"],
            "confidentiality_signed_on": timezone.localdate().isoformat(),
        },
    )
    assert (staffed.on_behalf, staffed.badge_number) == (True, "ZY000002")
    assert sel.may_touch_personal_data(staffed) and not sel.may_touch_personal_data(volunteer)
    assert AuditRecord.objects.filter(action="participation.volunteer.register").count() == 2


def test_bad_profile_fields_are_refused_and_nothing_written(world):
    with pytest.raises(ValidationFailed) as bad:
        services.register_volunteer(
            actor=world["vol_user"], data={"skills": ["juggling"], "weekdays": [9]}
        )
    assert set(bad.value.details) == {"skills", "weekdays"}
    outsider_unit = world["tree"]["g2a"].code
    with pytest.raises(ValidationFailed) as area:
        services.register_volunteer(
            actor=world["staff"],
            resident_uid=world["vol_resident"].uid,
            data={"service_area": [outsider_unit]},
        )
    assert "service_area" in area.value.details
    assert not Volunteer.objects.exists()


def test_staff_cannot_register_a_resident_outside_their_scope(world):
    outside_staff = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    with pytest.raises(ValidationFailed) as refused:
        services.register_volunteer(
            actor=outside_staff, resident_uid=world["vol_resident"].uid, data={}
        )
    assert "resident" in refused.value.details
    assert not Volunteer.objects.exists()


# Sign-up ------------------------------------------------------------------------------------


def test_sign_up_twice_and_to_a_full_shift_are_refused(world):
    record = _signed_up(world)
    with pytest.raises(Conflict) as twice:
        services.sign_up(actor=world["vol_user"], shift=world["shift"])
    assert twice.value.code == "already_signed_up"
    other = _resident(world["staff"], world["tree"]["g1a"], "钱三", "V4")
    other_user = _bound(
        world["make_user"], world["staff"], Role.VOLUNTEER, world["tree"]["c1"], other
    )
    services.register_volunteer(actor=other_user, data={})
    with pytest.raises(Conflict) as full:
        services.sign_up(actor=other_user, shift=world["shift"])
    assert full.value.code == "shift_full"
    assert ShiftRecord.objects.count() == 1
    # A cancelled sign-up frees the slot and may be taken up again.
    services.cancel(actor=world["vol_user"], record=record)
    services.sign_up(actor=other_user, shift=world["shift"])
    with pytest.raises(Conflict):
        services.sign_up(actor=world["vol_user"], shift=world["shift"])


def test_personal_data_needs_the_confidentiality_agreement(world):
    volunteer = _register(world)
    world["activity"].touches_personal_data = True
    world["activity"].save()
    shift = Shift.objects.get(pk=world["shift"].pk)
    with pytest.raises(PermissionDenied) as refused:
        services.sign_up(actor=world["vol_user"], shift=shift)
    assert refused.value.code == "confidentiality_required"
    Volunteer.objects.filter(pk=volunteer.pk).update(
        confidentiality_signed_on=timezone.localdate() - timedelta(days=3)
    )
    services.sign_up(actor=world["vol_user"], shift=shift)


def test_a_shift_outside_the_volunteers_area_reads_as_missing(world):
    _register(world)
    far_staff = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    far = services.activity_create(
        actor=far_staff,
        data={"org_unit": "310105001001", "title": "华阳", "place": "x", "lon": 121.5, "lat": 31.2},
    )
    start = timezone.now() + timedelta(hours=1)
    shift = services.shift_create(
        actor=far_staff,
        activity=far,
        data={"start": start, "end": start + timedelta(hours=1), "slots": 3},
    )
    with pytest.raises(NotFound):
        services.sign_up(actor=world["vol_user"], shift=shift)


# Check-in and check-out ---------------------------------------------------------------------


def test_check_in_outside_the_place_is_refused_with_the_distance(world):
    record = _signed_up(world)
    with pytest.raises(ValidationFailed) as outside:
        services.check_in(
            actor=world["vol_user"], record=record, data={**FAR, "client_id": str(uuid.uuid4())}
        )
    assert outside.value.code == "outside_place"
    assert (
        "1" in outside.value.details["location"][0]
        and "300" in outside.value.details["location"][0]
    )
    record.refresh_from_db()
    assert record.state == ShiftRecord.State.SIGNED_UP and record.checked_in_at is None


def test_check_in_is_idempotent_by_client_id_and_check_out_needs_it(world):
    record = _signed_up(world)
    with pytest.raises(Conflict) as early:
        services.check_out(
            actor=world["vol_user"], record=record, data={**NEAR, "client_id": str(uuid.uuid4())}
        )
    assert early.value.code == "not_checked_in"
    client = str(uuid.uuid4())
    first = services.check_in(
        actor=world["vol_user"], record=record, data={**NEAR, "client_id": client}
    )
    again = services.check_in(
        actor=world["vol_user"], record=record, data={**NEAR, "client_id": client}
    )
    assert first.checked_in_at == again.checked_in_at
    assert 80 <= first.check_in_distance_m <= 110
    assert AuditRecord.objects.filter(action="participation.shift.check_in").count() == 1
    with pytest.raises(Conflict):
        services.check_in(
            actor=world["vol_user"], record=record, data={**NEAR, "client_id": str(uuid.uuid4())}
        )


def test_check_in_too_early_is_refused(world):
    _register(world)
    start = timezone.now() + timedelta(hours=3)
    shift = services.shift_create(
        actor=world["staff"],
        activity=world["activity"],
        data={"start": start, "end": start + timedelta(hours=1), "slots": 2},
    )
    record = services.sign_up(actor=world["vol_user"], shift=shift)
    with pytest.raises(ValidationFailed) as early:
        services.check_in(
            actor=world["vol_user"], record=record, data={**NEAR, "client_id": str(uuid.uuid4())}
        )
    assert "30" in early.value.details["shift"][0]


def test_check_out_rounds_down_and_caps_at_the_shift_plus_tolerance(world):
    record = _checked_out(world, minutes=100)
    assert record.hours == Decimal("1.50")  # 100 min → 90 min (15-minute steps)
    ShiftRecord.objects.all().delete()
    Volunteer.objects.all().delete()
    record = _checked_out(world, minutes=400)
    assert record.hours == Decimal("2.50")  # 2 h shift + 30 min tolerance


# Approval -----------------------------------------------------------------------------------


def test_organiser_approves_once_and_the_signal_is_sent(world):
    record = _checked_out(world)
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    hours_approved.connect(listener)
    try:
        with pytest.raises(ValidationFailed) as beyond:
            services.approve(actor=world["staff"], record=record, hours="2.75")
        assert "hours" in beyond.value.details
        assert not received
        services.approve(actor=world["staff"], record=record, hours="1.25", rating=5)
        with pytest.raises(Conflict) as twice:
            services.approve(actor=world["staff"], record=record)
        assert twice.value.code == "already_approved"
    finally:
        hours_approved.disconnect(listener)
    assert len(received) == 1
    assert received[0]["hours"] == Decimal("1.25")
    assert received[0]["resident"] == world["vol_resident"]
    assert received[0]["source"].pk == record.pk
    assert received[0]["approver"] == world["staff"]
    stars = sel.volunteer_stars(record.volunteer)
    assert (stars.hours, stars.rating) == (Decimal("1.25"), 5)


def test_the_person_served_approves_and_others_cannot(world):
    record = _checked_out(world)
    outsider = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    with pytest.raises(NotFound):
        services.approve(actor=outsider, record=record)
    with pytest.raises(NotFound):
        services.approve(actor=world["vol_user"], record=record)
    done = services.approve(actor=world["served_user"], record=record, rating=4)
    assert done.state == ShiftRecord.State.APPROVED and done.rating == 4
    with pytest.raises(Conflict):
        services.rate(actor=world["staff"], record=done, rating=3)


# KPIs ---------------------------------------------------------------------------------------


def test_kpis_on_hand_computed_fixtures(world):
    from gridgov.org.models import GridAssignment

    record = _checked_out(world, minutes=100)
    volunteer = record.volunteer
    services.approve(actor=world["staff"], record=record)  # 1.5 h
    left = _resident(world["staff"], world["tree"]["g1a"], "孙四", "V5")
    gone = services.register_volunteer(actor=world["staff"], resident_uid=left.uid, data={})
    services.update_volunteer(
        actor=world["staff"], volunteer=gone, data={"status": "left"}, version=gone.version
    )
    worker = world["make_user"](Role.GRID_WORKER, world["tree"]["g1a"])
    GridAssignment.objects.create(
        grid=world["tree"]["g1a"],
        user=worker,
        duty=GridAssignment.Duty.FULL_TIME,
        start_date=timezone.localdate() - timedelta(days=30),
    )
    now = timezone.now() + timedelta(seconds=1)
    g1a = world["tree"]["g1a"].path
    # g1a: residents 李志愿 and 孙四; one active volunteer, one who left; one worker.
    assert REGISTRY["volunteers.registration_rate"].snapshot("", now)[g1a] == [1, 2]
    assert REGISTRY["volunteers.per_worker"].snapshot("", now)[g1a] == [1, 1]
    assert REGISTRY["volunteers.retention"].snapshot("", now)[g1a] == [1, 2]
    kpi = REGISTRY["volunteers.hours"]
    period = period_containing("month", timezone.localdate())
    value = kpi.grouped(kpi.source(), period, None)[None]
    assert (value.denominator, value.value) == (1, EXPECTED["volunteers.hours"])
    c1 = world["tree"]["c1"].path
    for code in ("volunteers.registration_rate", "volunteers.per_worker", "volunteers.retention"):
        values = REGISTRY[code].snapshot_values(c1, period)
        assert values[None].value == EXPECTED[code], code
    assert volunteer.status == Volunteer.Status.ACTIVE


# Concurrency --------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_volunteers_racing_for_the_last_slot(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    activity = services.activity_create(
        actor=staff,
        data={"org_unit": "310104003001", "title": "巡防", "place": "x", "lon": 121.4, "lat": 31.2},
    )
    start = timezone.now() + timedelta(hours=1)
    shift = services.shift_create(
        actor=staff,
        activity=activity,
        data={"start": start, "end": start + timedelta(hours=1), "slots": 1},
    )
    users = []
    for i in range(2):
        resident = _resident(staff, org_tree["g1a"], "抢一抢二"[i * 2 : i * 2 + 2], f"R{i}")
        user = _bound(make_user, staff, Role.VOLUNTEER, org_tree["c1"], resident)
        services.register_volunteer(actor=user, data={})
        users.append(user)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(user):
        from django.db import connections

        try:
            barrier.wait()
            services.sign_up(actor=user, shift=Shift.objects.get(pk=shift.pk))
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "shift_full"]
    assert ShiftRecord.objects.filter(shift=shift).count() == 1


def test_approving_no_hours_is_refused_until_corrected(world):
    record = _checked_out(world, minutes=5)  # under the 15-minute step: 0 hours
    assert record.hours == Decimal("0.00")
    with pytest.raises(ValidationFailed) as none:
        services.approve(actor=world["staff"], record=record)
    assert "hours" in none.value.details
    record.refresh_from_db()
    assert record.state == ShiftRecord.State.CHECKED_OUT
    assert services.approve(actor=world["staff"], record=record, hours="0.5").hours == Decimal(
        "0.50"
    )


def test_the_participation_page_shows_the_volunteering_card(world, client, login_client):
    html = login_client(world["vol_user"], client).get("/participation/me/").content.decode()
    assert 'data-part="volunteers"' in html and "/participation/me/volunteer/" in html
    _register(world)
    html = client.get("/participation/me/").content.decode()
    assert "ZY000001" in html
