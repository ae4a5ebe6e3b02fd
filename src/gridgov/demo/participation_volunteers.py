"""Demo volunteers: in every community the teams 志愿服务队 and 社区智囊团, residents of
the registry registered as volunteers (staff on their behalf, 代办; ``demo_volunteer``
by themselves), some with a confidentiality agreement and a few paused or gone; activities
over the past six months (a daily 平安巡防 patrol, a weekly 助老上门 home visit touching
personal data, a monthly 环境整治 clean-up) whose shifts were checked in and out and
approved by the community's staff through the services (each approval sends
``hours_approved``, so the ledgers credit it), with ratings; the last few days' hours
still waiting for approval; and shifts of the coming week with open slots. Volunteers'
hours differ widely, so every star level shows. ``demo_volunteer`` has signed up for a
shift tomorrow morning and can sign up for one tomorrow afternoon. Idempotent."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.audit.services import audit_record
from gridgov.demo.visits import _office
from gridgov.org.models import Grid, OrgUnit
from gridgov.participation import services_volunteers as services
from gridgov.participation.models import Activity, Shift, ShiftRecord, Skill, Volunteer
from gridgov.people.models import Resident
from gridgov.residents.selectors import resident_for

PER_COMMUNITY = 9
# Approved hours aimed at, by the volunteer's place in their community: every star level.
TARGET_HOURS = [620, 320, 120, 60, 30, 22, 12, 4, 0]
ACTIVITIES = [
    # title, place, shift hours, every n days, touches personal data, slots
    ("平安巡防", "社区警务室门口", 4, 1, False, 12),
    ("助老上门探访", "社区党群服务站", 2, 7, True, 4),
    ("环境整治·垃圾分类引导", "小区垃圾箱房", 3, 30, False, 20),
]
SKILLS = [s for s in Skill.values if s != "other"]


def _aware(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _place(community: OrgUnit) -> tuple[float, float]:
    grid = Grid.objects.filter(unit__parent=community).order_by("unit__code").first()
    if grid is None or grid.min_lon is None:
        return 121.44, 31.20
    return (grid.min_lon + grid.max_lon) / 2, (grid.min_lat + grid.max_lat) / 2


def _candidates(community: OrgUnit, taken: set[int]) -> list[Resident]:
    today = timezone.localdate()
    return list(
        Resident.objects.active()
        .filter(
            scope_path__startswith=community.path,
            residence=Resident.Residence.PRESENT,
            birth_date__lte=today.replace(year=today.year - 20),
            birth_date__gte=today.replace(year=today.year - 72),
            volunteer__isnull=True,
        )
        .exclude(pk__in=taken)
        .order_by("scope_path", "pk")[: PER_COMMUNITY * 3]
    )


def seed_volunteers() -> int:
    """Returns the number of volunteers registered (none if there are some already)."""
    if Volunteer.objects.exists():
        return 0
    rng = random.Random(27)
    made = 0
    demo_user = User.objects.filter(username="demo_volunteer").first()
    demo_resident = resident_for(demo_user) if demo_user else None
    for community in OrgUnit.objects.filter(level=OrgUnit.Level.COMMUNITY, is_active=True).order_by(
        "code"
    ):
        staff = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
        teams = [
            services.team_create(
                actor=staff, community_code=community.code, name="志愿服务队", kind="service"
            ),
            services.team_create(
                actor=staff, community_code=community.code, name="社区智囊团", kind="think_tank"
            ),
        ]
        volunteers = []
        if demo_resident is not None and demo_resident.scope_path.startswith(community.path):
            volunteers.append(
                services.register_volunteer(
                    actor=demo_user,
                    data={
                        "skills": ["care", "it"],
                        "weekdays": [5, 6],
                        "time_bands": ["morning", "afternoon"],
                        "teams": [str(teams[0].uid)],
                    },
                )
            )
        people = [
            r for r in _candidates(community, set()) if demo_resident is None or r != demo_resident
        ]
        rng.shuffle(people)
        for index, resident in enumerate(people[: PER_COMMUNITY - len(volunteers)]):
            signed = timezone.localdate() - timedelta(days=rng.randint(30, 400))
            volunteers.append(
                services.register_volunteer(
                    actor=staff,
                    resident_uid=resident.uid,
                    data={
                        "skills": rng.sample(SKILLS, rng.randint(1, 3)),
                        "weekdays": sorted(rng.sample(range(7), rng.randint(2, 5))),
                        "time_bands": rng.sample(["morning", "afternoon", "evening"], 2),
                        "teams": [str(teams[0].uid)]
                        + ([str(teams[1].uid)] if index % 3 == 0 else []),
                        "confidentiality_signed_on": signed.isoformat() if index % 2 == 0 else "",
                    },
                )
            )
        made += len(volunteers)
        activities = _activities(staff, community, teams[0])
        _history(staff, activities, volunteers, rng)
        _coming(staff, activities, volunteers, demo_user, rng)
        # A few volunteers paused or gone, for the retention figures.
        for volunteer in volunteers[-2:]:
            if volunteer.resident_id == getattr(demo_resident, "pk", None):
                continue
            status = "left" if volunteer.pk % 2 else "paused"
            services.update_volunteer(
                actor=staff,
                volunteer=volunteer,
                data={
                    "skills": volunteer.skills,
                    "weekdays": volunteer.weekdays,
                    "time_bands": volunteer.time_bands,
                    "teams": [str(t) for t in volunteer.teams.values_list("uid", flat=True)],
                    "status": status,
                },
                version=Volunteer.objects.get(pk=volunteer.pk).version,
            )
    return made


def _activities(staff, community, team) -> list[Activity]:
    lon, lat = _place(community)
    return [
        services.activity_create(
            actor=staff,
            data={
                "org_unit": community.code,
                "title": title,
                "place": f"{community.name}{place}",
                "lon": lon,
                "lat": lat,
                "touches_personal_data": personal,
                "team": str(team.uid),
            },
        )
        for title, place, _h, _n, personal, _s in ACTIVITIES
    ]


def _history(staff, activities, volunteers, rng) -> None:
    """Past shifts of the last six months, and each volunteer's records on them until their
    target hours are reached, checked in and out at the place and approved by the staff (the
    last few days' still waiting)."""
    today = timezone.localdate()
    shifts: dict[int, list[Shift]] = {}
    for activity, (_t, _p, hours, every, _personal, slots) in zip(
        activities, ACTIVITIES, strict=True
    ):
        rows = [
            Shift(
                activity=activity,
                scope_path=activity.scope_path,
                start_at=_aware(today - timedelta(days=d), 8 if hours == 4 else 14),
                end_at=_aware(today - timedelta(days=d), (8 if hours == 4 else 14) + hours),
                slots=slots,
            )
            for d in range(182, 0, -every)
        ]
        shifts[activity.pk] = Shift.objects.bulk_create(rows)
    for place, volunteer in enumerate(volunteers):
        target = TARGET_HOURS[place % len(TARGET_HOURS)]
        allowed = [a for a in activities if not a.touches_personal_data] + (
            [a for a in activities if a.touches_personal_data]
            if volunteer.confidentiality_signed_on
            else []
        )
        pool = [s for a in allowed for s in shifts[a.pk]]
        rng.shuffle(pool)
        done = Decimal(0)
        for shift in sorted(pool[: int(target) + 1], key=lambda s: s.start_at):
            if done >= target:
                break
            record = _worked(volunteer, shift, rng)
            done += record.hours
            if shift.start_at.date() >= today - timedelta(days=3):
                continue  # waiting for approval
            # The veterans' service is rated well (the top bands ask for 4 on average).
            rating = rng.choice([5, 4] if target >= 300 else [5, 4, 4, 3, None])
            services.approve(actor=staff, record=record, rating=rating)
    # Yesterday's patrol: hours of a few volunteers waiting for approval.
    yesterday = shifts[activities[0].pk][-1]
    for volunteer in volunteers[1:4]:
        if not ShiftRecord.objects.filter(shift=yesterday, volunteer=volunteer).exists():
            _worked(volunteer, yesterday, rng)


def _worked(volunteer, shift, rng) -> ShiftRecord:
    """A past shift worked in full, as check-in and check-out leave it."""
    arrived = shift.start_at - timedelta(minutes=rng.randint(0, 15))
    left = shift.end_at + timedelta(minutes=rng.randint(0, 10))
    with transaction.atomic():
        record = ShiftRecord.objects.create(
            shift=shift,
            volunteer=volunteer,
            scope_path=shift.scope_path,
            state=ShiftRecord.State.CHECKED_OUT,
            signed_up_at=shift.start_at - timedelta(days=2),
            signed_up_by_name=volunteer.registered_by_name,
            checked_in_at=arrived,
            check_in_distance_m=rng.randint(5, 120),
            check_in_client_id=uuid.uuid4(),
            checked_out_at=left,
            check_out_distance_m=rng.randint(5, 150),
            check_out_client_id=uuid.uuid4(),
            hours=services.hours_between(arrived, left, shift),
        )
        audit_record(
            "participation.shift.check_out",
            actor_name="demo",
            target=record,
            changes={"hours": str(record.hours), "seeded": True},
        )
    return record


def _coming(staff, activities, volunteers, demo_user, rng) -> None:
    """Shifts of the coming week with open slots; some volunteers already signed up (the
    services refuse nothing here: the shifts are still to start)."""
    today = timezone.localdate()
    patrol, visit, _cleanup = activities
    made = []
    for days in range(1, 8):
        for hour in (9, 14):
            made.append(
                services.shift_create(
                    actor=staff,
                    activity=patrol,
                    data={
                        "start": _aware(today + timedelta(days=days), hour),
                        "end": _aware(today + timedelta(days=days), hour + 2),
                        "slots": 6,
                    },
                )
            )
    services.shift_create(
        actor=staff,
        activity=visit,
        data={
            "start": _aware(today + timedelta(days=2), 15),
            "end": _aware(today + timedelta(days=2), 17),
            "slots": 2,
        },
    )
    active = [
        v
        for v in volunteers
        if v.status == Volunteer.Status.ACTIVE and v.registered_by_name != "demo_volunteer"
    ]
    for shift in made[2:]:
        for volunteer in rng.sample(active, min(len(active), rng.randint(1, 4))):
            services.sign_up(actor=staff, shift=shift, volunteer=volunteer)
    if demo_user is not None:
        mine = next((v for v in volunteers if v.registered_by_name == "demo_volunteer"), None)
        if mine is not None:
            services.sign_up(actor=demo_user, shift=made[0])  # tomorrow 09:00
            # tomorrow 14:00 (made[1]) stays open for them to sign up
