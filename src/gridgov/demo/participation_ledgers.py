"""The demo's points and time bank in 宛平南路社区 (310104003001), from source records the
demo holds: a catalogue (理发, 家政 1 小时, 米油, 文化演出票) supplied by the community's
resources; ``demo_volunteer`` operates the community's volunteer team and ``demo_resident``
the residents' skill (康复理疗), so the completed orders of those resources deposit their
hours and earn volunteer points; residents who rated a completed service earn its points.
Then redemptions picked up and pending, hours spent on a service, one family transfer and
one correction reversed by the street's staff. Entries carry their source's date (within
the past six months). Idempotent: a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.core.models import LedgerTransaction
from gridgov.lists.models import Resource, ResourceOperator, ServiceOrder
from gridgov.org.models import OrgUnit
from gridgov.participation import services_points as points
from gridgov.participation.models import CatalogueItem
from gridgov.people.models import Resident

COMMUNITY = "310104003001"
KEEPER = "demo_community"
APPROVER = "demo_street"
# (name, price, stock, description, words the supplying resource's name holds)
CATALOGUE = [
    ("理发", 30, 20, "社区理发室，凭码领取理发券一张", "养老服务站"),
    ("家政 1 小时", 80, 10, "上门家政服务一小时", "适老化改造与上门维修"),
    ("米油", 50, 30, "大米 5 斤或食用油 1 桶", "长者食堂"),
    ("文化演出票", 40, 15, "社区文化中心演出票一张", "助老志愿服务队"),
]
# (account, words of the resource it operates)
OPERATORS = [("demo_volunteer", "助老志愿服务队"), ("demo_resident", "康复理疗")]
SIX_MONTHS = timedelta(days=182)


def _resource(community: OrgUnit, words: str) -> Resource | None:
    street_path = community.path.rsplit("/", 2)[0] + "/"
    return (
        Resource.objects.filter(
            status=Resource.Status.ACTIVE,
            name__contains=words,
            scope_path__startswith=street_path,
        )
        .order_by("-scope_path", "pk")
        .first()
    )


def _bound(username: str) -> Resident | None:
    return Resident.objects.active().filter(account__user__username=username).first()


def seed_points_ledgers() -> int:
    """Returns the ledger transactions written (0 when already seeded or no demo)."""
    community = OrgUnit.objects.filter(code=COMMUNITY).first()
    keeper = User.objects.filter(username=KEEPER).first()
    approver = User.objects.filter(username=APPROVER).first()
    if community is None or keeper is None or approver is None:
        return 0
    if CatalogueItem.objects.filter(org_unit=community).exists():
        return 0
    before = LedgerTransaction.objects.count()
    now = timezone.now()
    items = {}
    for name, price, stock, description, words in CATALOGUE:
        resource = _resource(community, words)
        if resource is None:
            continue
        items[name] = points.item_create(
            actor=keeper,
            org_unit_id=community.pk,
            resource_uid=resource.uid,
            name=name,
            price=price,
            stock=stock,
            description=description,
        )

    # Volunteers' hours: the completed orders of the resources they operate.
    for username, words in OPERATORS:
        person, resource = _bound(username), _resource(community, words)
        if person is None or resource is None:
            continue
        ResourceOperator.objects.get_or_create(
            resource=resource,
            user=User.objects.get(username=username),
            defaults={"created_by_name": keeper.get_full_name() or KEEPER},
        )
        done = ServiceOrder.objects.filter(
            resource=resource,
            state__in=(ServiceOrder.State.COMPLETED, ServiceOrder.State.RATED),
            hours__isnull=False,
            completed_at__gte=now - SIX_MONTHS,
        ).order_by("completed_at")
        for order in done:
            points.deposit_hours(
                resident=person, source=order, hours=order.hours, occurred_at=order.completed_at
            )
            points.credit_points(
                resident=person,
                action="volunteer_hours",
                source=order,
                units=order.hours,
                occurred_at=order.completed_at,
            )

    # Residents who rated a service of the community's orders.
    rated = (
        ServiceOrder.objects.filter(
            scope_path__startswith=community.path,
            state=ServiceOrder.State.RATED,
            rated_at__gte=now - SIX_MONTHS,
        )
        .select_related("need")
        .order_by("rated_at")
    )
    credits = []
    for order in rated:
        rater = points.order_rater(order)
        if rater is None:
            continue
        credit = points.credit_points(
            resident=rater,
            action="service_rated",
            source=order,
            occurred_at=order.rated_at,
        )
        if credit.transaction is not None and credit.created:
            credits.append(credit.transaction)

    # Redemptions: the volunteer picked one up and has one waiting; the resident one waiting.
    staff = keeper
    for username, wanted, pick in (
        ("demo_volunteer", "米油", True),
        ("demo_volunteer", "理发", False),
        ("demo_resident", "文化演出票", False),
    ):
        item = items.get(wanted)
        person = _bound(username)
        if item is None or person is None:
            continue
        if points.holder(points.POINTS, person).balance < item.price:
            continue
        order, code = points.redeem(actor=User.objects.get(username=username), item_uid=item.uid)
        if pick:
            points.pick_up(actor=staff, code=code)

    # Time bank: a resident pays a completed service with hours; one family transfer.
    spent = moved = False
    for username in ("demo_resident", "demo_volunteer"):
        person = _bound(username)
        if person is None:
            continue
        held = points.holder(points.HOURS, person).balance
        served = (
            ServiceOrder.objects.filter(
                need__household_id=person.household_id,
                state__in=(ServiceOrder.State.COMPLETED, ServiceOrder.State.RATED),
            )
            .exclude(resource__operators__user__username=username)
            .first()
        )
        if not spent and served is not None and held >= 2:
            points.withdraw_hours(actor=staff, order_uid=served.uid, hours=1, resident_id=person.pk)
            spent, held = True, held - 1
        family = points.family_members(person).first()
        if not moved and family is not None and held >= 1:
            points.transfer_hours(
                actor=User.objects.get(username=username),
                to_resident_id=family.pk,
                hours=1,
                request_key="demo-family-transfer",
            )
            moved = True

    # One correction: a rating credited twice for the same household visit, reversed.
    if credits:
        points.correct(
            actor=approver,
            transaction_id=credits[0].pk,
            reason="评价重复提交，核实后冲正",
        )
    return LedgerTransaction.objects.count() - before
