"""Demo bookable rooms and equipment: in every community a multi-purpose hall (approval
needed), a discussion room (booked at once) and a portable projector, each a resource of the
resource list made bookable through the services; and bookings over the past two weeks
(completed, no-shows, cancelled, rejected) and the next two (approved, waiting for approval,
cancelled), so the calendars, the approval queue and the utilisation have something to show.

Bookings to come go through the booking services (the keeper approves, rejects, cancels);
the past ones cannot (the services refuse a time in the past), so they are written as the
services would have left them, applicant encrypted and masked, each with its audit record.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import encrypt_field
from gridgov.core.errors import Conflict
from gridgov.core.masking import mask_name, mask_phone
from gridgov.demo.visits import _office, _worker
from gridgov.lists import booking_selectors as selectors
from gridgov.lists import booking_services as services
from gridgov.lists import services as list_services
from gridgov.lists.models import BookableSpace, Booking
from gridgov.org.models import OrgUnit

WORKDAYS = "08:30-11:30, 13:30-17:30"
SPACES = [
    # name, kind, weekdays → hours, slot minutes, approval, people, share of slots booked
    ("党群服务中心多功能厅", "room", {**dict.fromkeys(range(6), WORKDAYS)}, 60, True, 60, 0.45),
    (
        "居民议事厅",
        "room",
        {**dict.fromkeys(range(7), "09:00-12:00, 14:00-20:00")},
        60,
        False,
        16,
        0.3,
    ),
    ("便携投影仪", "equipment", {**dict.fromkeys(range(5), "09:00-17:00")}, 120, True, 1, 0.35),
]
APPLICANTS = ["王秀英", "李建国", "张桂兰", "刘志强", "陈美华", "杨德明", "赵丽娟", "黄振华"]
GROUPS = [
    "夕阳红合唱团",
    "社区老年大学",
    "书法兴趣小组",
    "亲子阅读会",
    "业主委员会",
    "楼组长会议",
    "",
]
PURPOSES = [
    "合唱排练",
    "防诈骗讲座",
    "书法练习",
    "亲子绘本阅读",
    "业委会例会",
    "楼组长议事",
    "志愿者培训",
]


def seed_bookings() -> int:
    """Returns the number of bookings made (none if some resource is bookable already)."""
    if BookableSpace.objects.exists():
        return 0
    rng = random.Random(15)
    communities = list(
        OrgUnit.objects.filter(level=OrgUnit.Level.COMMUNITY, is_active=True).order_by("code")
    )
    made = 0
    for community in communities:
        keeper = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
        grids = list(community.children.filter(is_active=True).order_by("code"))
        bookers = [w for w in (_worker(g) for g in grids) if w is not None] or [keeper]
        for name, kind, hours, slot, approval, people, share in SPACES:
            space = _space(keeper, community, name, kind, hours, slot, approval, people)
            made += _bookings(space, keeper, bookers, share, rng)
    return made


def _space(keeper, community, name, kind, hours, slot, approval, people) -> BookableSpace:
    resource = list_services.resource_create(
        actor=keeper,
        data={
            "name": f"{community.name}{name}",
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": f"{community.name}居委会",
            "categories": ["culture"] if kind != "equipment" else ["culture", "education"],
            "owner": community.code,
            "capacity": 200,
            "capacity_unit": "hours",
            "area_paths": [community.code],
            "contact_name": "社区服务站",
            "contact_phone": "13800138000",
        },
    )
    return services.space_save(
        actor=keeper,
        resource=resource,
        data={
            "kind": kind,
            "schedule": {str(d): text for d, text in hours.items()},
            "slot_minutes": slot,
            "capacity_people": people,
            "needs_approval": approval,
        },
    )


def _bookings(space, keeper, bookers, share, rng) -> int:
    today = timezone.localdate()
    now = timezone.now()
    made = 0
    for offset in range(-14, 15):
        slots = selectors.day_slots(space, today + timedelta(days=offset))
        index = 0
        while index < len(slots):
            if rng.random() >= share:
                index += 1
                continue
            length = min(rng.choice([1, 1, 2, 3]), len(slots) - index)
            # a booking stays inside one opening interval
            while length > 1 and slots[index + length - 1][0] != slots[index][0] + timedelta(
                minutes=space.slot_minutes * (length - 1)
            ):
                length -= 1
            start, end = slots[index][0], slots[index + length - 1][1]
            booker = rng.choice(bookers)
            if start > now:
                made += _future(space, keeper, booker, start, length, rng)
            elif end <= now:
                made += _past(space, keeper, booker, start, end, rng)
            index += length
    return made


def _who(rng) -> dict:
    return {
        "applicant_name": rng.choice(APPLICANTS),
        "applicant_phone": f"139{rng.randint(10000000, 99999999)}",
        "group_name": rng.choice(GROUPS),
        "purpose": rng.choice(PURPOSES),
    }


def _future(space, keeper, booker, start, length, rng) -> int:
    people = max(1, min(space.capacity_people, rng.randint(1, space.capacity_people)))
    try:
        booking = services.booking_create(
            actor=booker,
            data=services.BookingInput(
                resource=space.resource.uid,
                start=start,
                slots=length,
                attendees=people,
                **_who(rng),
            ),
        )
    except Conflict:
        return 0
    roll = rng.random()
    if booking.state == Booking.State.REQUESTED and roll < 0.6:
        booking = services.booking_transition(
            actor=keeper, booking=booking, action="approve", version=booking.version
        )
    elif booking.state == Booking.State.REQUESTED and roll < 0.7:
        services.booking_transition(
            actor=keeper,
            booking=booking,
            action="reject",
            version=booking.version,
            reason="当天场地另有安排",
        )
        return 1
    if booking.state == Booking.State.APPROVED and rng.random() < 0.1:
        services.booking_transition(
            actor=booker,
            booking=booking,
            action="cancel",
            version=booking.version,
            reason="活动改期",
        )
    return 1


def _past(space, keeper, booker, start, end, rng) -> int:
    roll = rng.random()
    state, reason = Booking.State.COMPLETED, ""
    if roll < 0.12:
        state = Booking.State.NO_SHOW
    elif roll < 0.2:
        state, reason = Booking.State.CANCELLED, "活动改期"
    elif roll < 0.25 and space.needs_approval:
        state, reason = Booking.State.REJECTED, "当天场地另有安排"
    who = _who(rng)
    booking = Booking(
        uid=uuid.uuid4(),
        space=space,
        scope_path=space.resource.scope_path,
        requester_path=min(booker.scope_paths("lists.book"), key=len),
        start_at=start,
        end_at=end,
        state=state,
        group_name=who["group_name"],
        purpose=who["purpose"],
        attendees=max(1, min(space.capacity_people, rng.randint(1, space.capacity_people))),
        requested_by=booker,
        decided_by_name=keeper.get_username() if space.needs_approval else "system:auto-approve",
        decided_at=start - timedelta(days=2),
        reason=reason,
        checked_in_at=start + timedelta(minutes=rng.randint(-10, 10))
        if state == Booking.State.COMPLETED
        else None,
        closed_at=end,
    )
    booking.applicant_name_encrypted = encrypt_field(
        who["applicant_name"], associated_data=f"lists_booking/applicant_name/{booking.uid}"
    )
    booking.applicant_name_masked = mask_name(who["applicant_name"])
    booking.applicant_phone_encrypted = encrypt_field(
        who["applicant_phone"], associated_data=f"lists_booking/applicant_phone/{booking.uid}"
    )
    booking.applicant_phone_masked = mask_phone(who["applicant_phone"])
    with transaction.atomic():
        booking.save()
        Booking.objects.filter(pk=booking.pk).update(requested_at=start - timedelta(days=3))
        audit_record(
            "lists.booking.create",
            actor=SystemActor("demo-seed"),
            target=booking,
            changes={"start": start.isoformat(), "end": end.isoformat(), "state": state},
        )
    return 1
