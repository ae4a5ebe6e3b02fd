"""Demo projects (项目清单): in the demo worker's community, two projects at different steps,
each answering needs nobody could meet — an approved 适老改造 project being carried out, and
a 青少托管 project still in its plan design. Run after the needs and resources are seeded:
it takes the community's needs that are 匹配中 or 无法满足 · 转项目 of the categories, and
registers what is missing through the services (households of the community)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.demo.visits import GRID, _office
from gridgov.lists import project_services, selectors, services
from gridgov.lists.models import Need, Project, Resource
from gridgov.org.models import OrgUnit
from gridgov.people.models import Household

# (name, service line, need category, needs, summary, budget, funding, last step reached)
PROJECTS = [
    (
        "老旧住房适老化改造（一期）",
        Project.ServiceLine.AGEING_ADAPT,
        "ageing_adapt",
        4,
        "为高龄、独居老人家庭加装扶手、防滑地面和紧急呼叫装置。",
        "186000",
        "区民政局适老化改造补贴 + 社区基金",
        "implementing",
    ),
    (
        "“四点半课堂”课后托管",
        Project.ServiceLine.YOUTH_CARE,
        "childcare",
        3,
        "放学后在党群服务中心开设托管、作业辅导和阅读活动。",
        "42000",
        "街道社区建设专项",
        "design",
    ),
]


def _needs(actor, community: OrgUnit, category: str, count: int) -> list[Need]:
    """``count`` needs of the category nobody can meet in the community: the ones already
    there first, then new ones registered for households without an open one."""
    from gridgov.lists.models import Project as P

    taken = P.needs.through.objects.values("need_id")
    found = list(
        Need.objects.filter(scope_path__startswith=community.path, category__code=category)
        .filter(
            state__in=[Need.State.MATCHING, Need.State.UNMET],
        )
        .exclude(state=Need.State.UNMET, route=Need.Route.REFERRAL)
        .exclude(pk__in=taken)
        .order_by("created_at")[:count]
    )
    busy = Need.objects.filter(category__code=category, state__in=Need.OPEN_STATES).values(
        "household_id"
    )
    households = (
        Household.objects.filter(
            scope_path__startswith=community.path, status=Household.Status.ACTIVE
        )
        .exclude(pk__in=busy)
        .order_by("number")
    )
    texts = {
        "ageing_adapt": "卫生间没有扶手，老人起身困难",
        "childcare": "双职工家庭，孩子放学后无人照看",
    }
    for household in households[: max(0, count - len(found))]:
        need, _merged = services.need_register(
            actor=actor,
            data=services.NeedInput(
                household=str(household.uid),
                category=category,
                text=texts.get(category, ""),
                source=Need.Source.VISIT,
            ),
        )
        if need.state in (Need.State.REGISTERED, Need.State.VERIFIED):
            need = services.need_transition(
                actor=actor, need=need, action="start_matching", version=need.version
            )
        if need.state == Need.State.MATCHING:
            found.append(need)
    return found


def _advance(project: Project, actor, street, target: str) -> Project:
    steps = [
        ("design", actor),
        ("submit_budget", actor),
        ("approve_budget", street),
        ("evaluate", actor),
    ]
    order = ["research", "design", "budget_approval", "implementing", "evaluation"]
    for action, who in steps:
        if order.index(project.state) >= order.index(target):
            break
        project = project_services.project_transition(
            actor=who, project=project, action=action, version=project.version
        )
    return project


def seed_projects() -> int:
    """Returns the number of projects made (none if there are some already, or without the
    demo community)."""
    grid = OrgUnit.objects.filter(code=GRID).select_related("parent__parent").first()
    if grid is None or Project.objects.exists():
        return 0
    community = grid.parent
    street = community.parent
    actor = _office(community, Role.COMMUNITY_STAFF, "demo_cs_", "社区专干")
    approver = _office(street, Role.STREET_STAFF, "demo_ss_", "街道专干")
    today = timezone.localdate()
    made = 0
    for name, line, category, count, summary, budget, funding, target in PROJECTS:
        needs = _needs(actor, community, category, count)
        providers = [
            str(r.uid)
            for r in selectors.resource_list(actor=actor, status=Resource.Status.ACTIVE).filter(
                categories__code=category
            )[:2]
        ]
        project = project_services.project_create(
            actor=actor,
            data={
                "name": name,
                "service_line": line,
                "summary": summary,
                "sponsor": community.code,
                "budget": budget,
                "funding_source": funding,
                "planned_start": (today - timedelta(days=30)).isoformat(),
                "planned_end": (today + timedelta(days=150)).isoformat(),
                "providers": providers,
            },
            needs=[n.uid for n in needs],
        )
        _advance(project, actor, approver, target)
        made += 1
    return made
