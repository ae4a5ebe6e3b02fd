"""Pages of the projects list (项目清单) and of the gap table 「资源分布与服务缺口」: the list,
a new project (also proposed from the gap table, prefilled), the project's page with its
lifecycle actions, needs, providers and timeline, its edit form, linking needs (from the
project or from a need's page). The pages and the API call the same services."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_filter, path_in_scope
from gridgov.lists import gap, project_services, selectors
from gridgov.lists.models import NeedCategory, Project
from gridgov.lists.services import _uuid_or_none
from gridgov.lists.workflow import PROJECT_MACHINE
from gridgov.org.models import OrgUnit

PAGE = 100


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


@requires("lists.view")
def project_list(request):
    state = request.GET.get("state", "")
    line = request.GET.get("service_line", "")
    qs = selectors.project_list(actor=request.user, state=state, service_line=line)
    return render(
        request,
        "lists/project_list.html",
        {
            "projects": list(qs[:PAGE]),
            "count": qs.count(),
            "states": Project.State.choices,
            "lines": Project.ServiceLine.choices,
            "state": state,
            "service_line": line,
            "can_manage": request.user.has_permission("lists.manage"),
        },
    )


def _project_data(request) -> dict:
    post = request.POST
    return {
        "name": post.get("name", ""),
        "service_line": post.get("service_line", ""),
        "summary": post.get("summary", ""),
        "sponsor": post.get("sponsor", ""),
        "budget": post.get("budget", ""),
        "funding_source": post.get("funding_source", ""),
        "planned_start": post.get("planned_start", ""),
        "planned_end": post.get("planned_end", ""),
        "providers": post.getlist("providers"),
        "beneficiaries": post.get("beneficiaries", ""),
    }


def _form(request, project, errors, posted, *, needs=(), status=200):
    units = OrgUnit.objects.none()
    query = path_filter(request.user, "lists.manage")
    if query is not None:
        units = OrgUnit.objects.filter(query).exclude(level="grid").order_by("path")[:200]
    if project is not None and not posted:
        posted = {
            "name": project.name,
            "service_line": project.service_line,
            "summary": project.summary,
            "sponsor": project.sponsor.code,
            "budget": project.budget,
            "funding_source": project.funding_source,
            "planned_start": project.planned_start.isoformat() if project.planned_start else "",
            "planned_end": project.planned_end.isoformat() if project.planned_end else "",
            "beneficiaries": "" if project.beneficiaries is None else project.beneficiaries,
        }
        chosen = [str(u) for u in project.providers.values_list("uid", flat=True)]
    else:
        chosen = request.POST.getlist("providers")
    return render(
        request,
        "lists/project_form.html",
        {
            "project": project,
            "posted": posted or {},
            "errors": errors,
            "units": units,
            "lines": Project.ServiceLine.choices,
            "resources": selectors.resource_list(actor=request.user, status="active")[:200],
            "chosen": chosen,
            "needs": needs,
            "budget_locked": project is not None and project.state not in Project.BUDGET_EDITABLE,
        },
        status=status,
    )


def _proposal(request) -> tuple[dict, list]:
    """The gap table's proposal: a community and a category give the prefilled fields and
    the needs nobody can meet there."""
    code = request.GET.get("community", "")
    category = NeedCategory.objects.filter(code=request.GET.get("category", "")).first()
    community = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.COMMUNITY).first()
    if community is None or category is None:
        return {}, []
    if not path_in_scope(request.user, community.path, "lists.manage"):
        return {}, []
    uids = gap.unmet_for(actor=request.user, community=community, category=category)
    from gridgov.core.policies import policy_in_force

    lines = policy_in_force("lists.projects").value.category_lines
    posted = {
        "name": _("%(community)s · %(category)s project")
        % {
            "community": community.name,
            "category": category.name,
        },
        "service_line": lines.get(category.code, Project.ServiceLine.OTHER),
        "sponsor": community.code,
        "budget": "",
    }
    needs = list(
        selectors.need_list(actor=request.user).filter(uid__in=uids).order_by("created_at")
    )
    return posted, needs


@requires("lists.manage")
def project_create(request):
    if request.method == "POST":
        uids = request.POST.getlist("needs")
        try:
            project = project_services.project_create(
                actor=request.user, data=_project_data(request), needs=uids
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            needs = list(selectors.need_list(actor=request.user).filter(uid__in=uids))
            return _form(request, None, exc.details, request.POST, needs=needs, status=400)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            needs = list(selectors.need_list(actor=request.user).filter(uid__in=uids))
            return _form(request, None, None, request.POST, needs=needs, status=exc.status)
        messages.success(request, _("The project was created."))
        return redirect("lists:project_detail", uid=project.uid)
    posted, needs = _proposal(request)
    return _form(request, None, None, posted, needs=needs)


@requires("lists.manage")
def project_edit(request, uid):
    project = selectors.project_get(actor=request.user, uid=uid, action="manage")
    if request.method == "POST":
        try:
            project = project_services.project_update(
                actor=request.user,
                project=project,
                data=_project_data(request),
                version=_version(request),
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return _form(request, project, exc.details, request.POST, status=400)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            return _form(request, project, None, request.POST, status=exc.status)
        messages.success(request, _("Saved."))
        return redirect("lists:project_detail", uid=project.uid)
    return _form(request, project, None, {})


def _timeline(project: Project) -> list[dict]:
    states = dict(Project.State.choices)
    labels = {a: t.label for a, t in PROJECT_MACHINE.transitions.items()}
    labels |= {
        "create": _("project created"),
        "update": _("particulars changed"),
        "link": _("needs linked"),
    }
    return [
        {
            "at": e.created_at,
            "action": labels.get(e.action, e.action),
            "state": states.get(e.to_state, "") if e.from_state != e.to_state else "",
            "actor": e.actor_name,
            "note": e.note,
        }
        for e in project.log.all()
    ]


STEPS = [s for s in Project.State if s != Project.State.CANCELLED]


@requires("lists.view")
def project_detail(request, uid):
    project = selectors.project_get(actor=request.user, uid=uid)
    offered = PROJECT_MACHINE.offered(request.user, project)
    can_manage = path_in_scope(request.user, project.scope_path, "lists.manage")
    needs = list(project.needs.select_related("category", "household").order_by("created_at"))
    linkable = []
    if can_manage and project.state in project_services.LINKABLE_STATES:
        linkable = list(selectors.linkable_needs(actor=request.user, project=project)[:PAGE])
    reached = STEPS.index(project.state) if project.state in STEPS else -1
    return render(
        request,
        "lists/project_detail.html",
        {
            "project": project,
            "steps": [(s.label, i < reached, i == reached) for i, s in enumerate(STEPS)],
            "actions": [(a, PROJECT_MACHINE.transitions[a]) for a in offered if a != "rate"],
            "can_rate": "rate" in offered,
            "needs": needs,
            "households": len({n.household_id for n in needs}),
            "providers": project.providers.all(),
            "linkable": linkable,
            "can_manage": can_manage and project.is_open,
            "log": _timeline(project),
            "stars": range(1, 6),
        },
    )


@requires("lists.manage")
@require_POST
def project_action(request, uid):
    project = selectors.project_get(actor=request.user, uid=uid, action="manage")
    try:
        project_services.project_transition(
            actor=request.user,
            project=project,
            action=request.POST.get("action", ""),
            version=_version(request),
            reason=request.POST.get("reason", ""),
            rating=request.POST.get("rating"),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("lists:project_detail", uid=project.uid)


@requires("lists.manage")
@require_POST
def project_link(request, uid):
    project = selectors.project_get(actor=request.user, uid=uid, action="manage")
    try:
        project_services.project_link_needs(
            actor=request.user,
            project=project,
            needs=request.POST.getlist("needs"),
            version=_version(request),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The needs were linked to the project."))
    return redirect("lists:project_detail", uid=project.uid)


@requires("lists.manage")
@require_POST
def need_link_project(request, uid):
    """From a need's page: link it to one of the open projects of its area."""
    need = selectors.need_get(actor=request.user, uid=uid, action="manage")
    try:
        uid = _uuid_or_none(request.POST.get("project", ""))
        if uid is None:
            raise NotFound()
        project = selectors.project_get(actor=request.user, uid=uid, action="manage")
        project_services.project_link_needs(
            actor=request.user,
            project=project,
            needs=[str(need.uid)],
            version=None,
            need_version=_version(request),
        )
    except NotFound:
        messages.error(request, _("Choose one of the open projects of this area."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The need was linked to the project."))
    return redirect("lists:need_detail", uid=need.uid)


def need_panel(user, need) -> dict:
    """What a need's page shows of projects: those it is in, and those it may join."""
    projects = list(need.projects.visible_to(user).order_by("-created_at"))
    joinable = []
    linkable_state = need.state == "matching" or (need.state == "unmet" and need.route == "project")
    if (
        linkable_state
        and path_in_scope(user, need.scope_path, "lists.manage")
        and not any(p.is_open for p in projects)
    ):
        joinable = list(selectors.projects_for_need(actor=user, need=need)[:50])
    return {"projects": projects, "joinable_projects": joinable}


@requires("lists.view")
def gap_page(request):
    table = gap.gap_table(actor=request.user)
    return render(
        request,
        "lists/project_gap.html",
        {
            "table": table,
            "totals": table.by_category(),
            "can_manage": request.user.has_permission("lists.manage"),
            "lines": dict(Project.ServiceLine.choices),
        },
    )
