"""The demo's grid service models (网格+X): in each community 「网格管家」 (网格+物业, a signature
service) in its first grid, 「邻里助餐」 (网格+养老, signature, delivered by the community's
resources of the three lists) in its second, and 「政策宣传与代办」 (basic) in every grid,
with their service items; a 网格服务日 in each community last month. The last grid of each
community has no signature service. Idempotent: a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.lists.models import Resource
from gridgov.operations import services_catalogue as services
from gridgov.operations.models import ServiceModel
from gridgov.org.models import OrgUnit

DISTRICT = "310104"
MODELS = [
    (
        "网格管家",
        "property",
        "featured",
        "first",
        [("代收快递", "0", "", "上班族"), ("上门小修", "30", "次", "全体居民")],
    ),
    (
        "邻里助餐",
        "elderly",
        "featured",
        "second",
        [("老年助餐", "12", "餐", "60岁以上老人"), ("送餐上门", "3", "次", "失能、独居老人")],
    ),
    (
        "政策宣传与代办",
        "new_citizen",
        "basic",
        "all",
        [("社保医保代办", "0", "", "全体居民"), ("政策咨询", "0", "", "新市民")],
    ),
]


def seed_service_models() -> int:
    """Returns the models added (0 when already seeded or no demo district)."""
    if ServiceModel.objects.exists():
        return 0
    district = OrgUnit.objects.filter(code=DISTRICT).first()
    staff = User.objects.filter(username="demo_district").first()
    if district is None or staff is None:
        return 0
    added = 0
    held = (timezone.localdate().replace(day=1) - timedelta(days=10)).isoformat()
    communities = OrgUnit.objects.filter(
        level=OrgUnit.Level.COMMUNITY, path__startswith=district.path, is_active=True
    ).order_by("code")
    for community in communities:
        grids = list(community.children.filter(is_active=True).order_by("code"))
        if len(grids) < 2:
            continue
        providers = [
            str(uid)
            for uid in Resource.objects.filter(owner=community, status="active").values_list(
                "uid", flat=True
            )[:2]
        ]
        for name, kind, service_type, where, items in MODELS:
            chosen = {"first": grids[:1], "second": grids[1:2], "all": grids}[where]
            model = services.model_create(
                actor=staff,
                data={
                    "name": name,
                    "kind": kind,
                    "service_type": service_type,
                    "owner": community.code,
                    "grids": [g.code for g in chosen],
                    "providers": providers if kind == "elderly" else [],
                },
            )
            services.model_status(actor=staff, model=model, status="active", version=1)
            for item, fee, per, whom in items:
                services.item_add(
                    actor=staff,
                    model=model,
                    data={"name": item, "fee_yuan": fee, "fee_note": per, "target_groups": whom},
                )
            added += 1
        services.day_record(
            actor=staff,
            data={
                "grid": grids[0].code,
                "held_on": held,
                "title": "网格服务日：义诊、理发、家电维修",
                "attendance": 120,
            },
        )
    return added
