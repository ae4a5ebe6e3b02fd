"""The demo's quarterly cross-checks 季度复核 of the last finished quarter: a second community
worker (「社区复核员」, an account without sign-in) checks most registered groups — the
reports were entered by the community's first worker — inside the window, a few late; one
in five checks finds a complaint missing from the middle month, and the first of those is
corrected by its reporter through the snapshot's versioned correction. One group in six
is left unchecked (overdue on the board). Idempotent: a quarter already checked is left."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.core.policies import policies_cached
from gridgov.groups import services_crosschecks as xc
from gridgov.groups.models import CrossCheck, Group, Snapshot
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.org.models import OrgUnit

SKIP_EVERY = 6  # one group in six left unchecked
DISCREPANCY_EVERY = 5
LATE_EVERY = 8


def _checker(community: OrgUnit) -> User:
    username = f"demo_cx_{community.code}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username,
            display_name=f"社区复核员 {community.name}",
            is_demo=True,
            must_change_password=False,
            password=make_password(None),  # no sign-in: staff for the demo data only
        )
        Membership.objects.create(user=user, role=Role.COMMUNITY_STAFF, org_unit=community)
    return user


def seed_group_crosschecks() -> int:
    """The checks recorded (0 when the quarter was checked already)."""
    today = timezone.localdate()
    quarter = xc.quarter_start(xc.quarter_start(today) - timedelta(days=1))
    if CrossCheck.objects.filter(quarter=quarter).exists():
        return 0
    span = xc.window(quarter)
    months = xc.quarter_months(quarter)
    snapshots: dict[int, list[Snapshot]] = {}
    for s in Snapshot.objects.filter(
        month__gte=months[0], month__lte=months[-1], group__state=Group.State.APPROVED
    ).order_by("month"):
        snapshots.setdefault(s.group_id, []).append(s)
    groups = (
        Group.objects.filter(pk__in=snapshots, status=Group.Status.ACTIVE)
        .select_related("community")
        .order_by("community__code", "name")
    )
    checkers: dict[int, User] = {}
    created = 0
    corrected = False
    with policies_cached():
        for index, group in enumerate(groups):
            if index % SKIP_EVERY == SKIP_EVERY - 1:
                continue
            checker = checkers.get(group.community_id)
            if checker is None:
                checker = checkers[group.community_id] = _checker(group.community)
            reports = snapshots[group.pk]
            odd = index % DISCREPANCY_EVERY == 0 and len(reports) > 1
            items = []
            for position, s in enumerate(reports):
                if odd and position == 1:
                    items.append(
                        {
                            "snapshot": str(s.uid),
                            "confirmed": False,
                            "discrepancies": [
                                {
                                    "indicator": "complaints",
                                    "found": str((s.complaints or 0) + 1),
                                    "note": "12345热线另有1件本群投诉未报",
                                }
                            ],
                        }
                    )
                else:
                    items.append({"snapshot": str(s.uid), "confirmed": True})
            if index % LATE_EVERY == 3:
                day = span.due_on + timedelta(days=2)
            else:
                day = span.opens_on + timedelta(
                    days=(index * 3) % (span.due_on - span.opens_on).days
                )
            moment = timezone.make_aware(datetime.combine(min(day, today), time(10, 30)))
            xc.crosscheck_record(
                actor=checker,
                group=group,
                quarter=quarter,
                items=items,
                note="对照群成员名单和群公告核对",
                now=moment,
            )
            created += 1
            if odd and not corrected and reports[1].entered_by_id is not None:
                s = reports[1]
                values = {k: getattr(s, k) for k in Snapshot.MEASURES}
                values["complaints"] = (s.complaints or 0) + 1
                values["remarks"] = "季度复核后补报投诉1件"
                snapshot_save(
                    actor=s.entered_by,
                    group=group,
                    month=s.month,
                    data={k: v for k, v in values.items() if v is not None},
                    version=s.version,
                )
                corrected = True
    return created
