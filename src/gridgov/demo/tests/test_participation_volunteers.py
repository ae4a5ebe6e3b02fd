"""The demo's volunteers: teams in every community, volunteers over the star levels with
approved history, hours waiting for approval, open shifts to come, ``demo_volunteer``
signed up for tomorrow; seeding twice adds none."""

from __future__ import annotations

from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.demo.participation_volunteers import PER_COMMUNITY, seed_volunteers
from gridgov.participation import selectors_volunteers as sel
from gridgov.participation.models import Shift, ShiftRecord, Team, Volunteer
from gridgov.people import services as people
from gridgov.residents.services import bind_account

NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"


def test_seed_volunteers(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="demo_community")
    for index, name in enumerate(NAMES[:12]):
        household = people.household_create(
            actor=staff,
            grid=org_tree["g1a" if index % 2 else "g1b"],
            number=f"D{index}",
            address=f"{name}家",
            kind="family",
        )
        resident = people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": f"{name}志",
                "id_type": "none",
                "sex": "M",
                "birth_date": "1975-05-05",
                "relation": "head",
                "registration": "permanent",
            },
        )
        if index == 0:
            demo = make_user(Role.VOLUNTEER, org_tree["c1"], username="demo_volunteer")
            bind_account(staff, user=demo, resident=resident)
    made = seed_volunteers()
    assert made == PER_COMMUNITY  # only c1 has residents; c2's community has none
    assert set(Team.objects.filter(community=org_tree["c1"]).values_list("name", flat=True)) == {
        "志愿服务队",
        "社区智囊团",
    }
    rows = sel.attach_stars(sel.volunteer_list(actor=staff))
    stars = {v.stars.stars for v in rows}
    assert stars >= {0, 1, 2, 3, 4, 5}
    assert Volunteer.objects.filter(confidentiality_signed_on__isnull=False).exists()
    assert Volunteer.objects.exclude(status="active").exists()
    assert ShiftRecord.objects.filter(state="approved", rating__isnull=False).exists()
    assert ShiftRecord.objects.filter(state="checked_out").exists()
    now = timezone.now()
    mine = Volunteer.objects.get(resident__account__user__username="demo_volunteer")
    assert mine.on_behalf is False
    signed = ShiftRecord.objects.get(volunteer=mine, shift__start_at__gt=now)
    assert (signed.shift.start_at - now).days <= 1
    open_shifts = list(sel.open_shifts(mine))
    assert any(s.taken < s.slots and s.pk != signed.shift_id for s in open_shifts)
    assert Shift.objects.filter(start_at__lt=now - timezone.timedelta(days=150)).exists()
    assert seed_volunteers() == 0
