"""Pages of the chat-group registry (phone-first): the community's registry with its
counts, the registration form, a group with its approval, 「四有」 checklist and evidence,
and a grid worker's own groups. They call the same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.audit.services import audit_record
from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.groups import selectors, services
from gridgov.groups.models import Group, GroupEvidence
from gridgov.groups.views_collection import plans_by_compound
from gridgov.groups.views_crosschecks import crosscheck_context
from gridgov.groups.workflow import GROUP_MACHINE

PAGE = 200
STAT_LABELS = [(f, Group._meta.get_field(f).verbose_name) for f in Group.STAT_FIELDS]


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


@requires("groups.view")
def group_list(request):
    user = request.user
    state = request.GET.get("state", "")
    state = state if state in Group.State.values else ""
    function = request.GET.get("function", "")
    function = function if function in Group.Function.values else ""
    q = request.GET.get("q", "").strip()[:50]
    qs = selectors.group_list(actor=user, state=state, function=function, q=q)
    return render(
        request,
        "groups/group_list.html",
        {
            "groups": list(qs[:PAGE]),
            "count": qs.count(),
            "summary": selectors.registry_summary(selectors.group_list(actor=user)),
            "state": state,
            "function": function,
            "q": q,
            "states": Group.State.choices,
            "functions": Group.Function.choices,
            "can_register": user.has_permission("groups.register"),
        },
    )


@requires("groups.register")
def my_groups(request):
    """A grid worker's groups (包片负责制), then the other groups of their area."""
    user = request.user
    mine = list(selectors.group_list(actor=user, mine=True)[:PAGE])
    others = list(selectors.group_list(actor=user).exclude(responsible=user)[:PAGE])
    return render(request, "groups/my_groups.html", {"mine": mine, "others": others})


def _form_data(post) -> dict:
    data = {key: post.get(key, "") for key in ("name", "platform", "function", "manager")}
    data.update(
        external_id=post.get("external_id", ""),
        compounds=post.getlist("compounds"),
        buildings=post.getlist("buildings"),
        responsible=post.get("responsible", "").strip(),
        created_on=post.get("created_on", ""),
        status=post.get("status", "active"),
        note=post.get("note", ""),
        admins=[
            {"user": name.strip()}
            for name in post.get("admin_users", "").replace("，", ",").split(",")
            if name.strip()
        ],
        predecessors=post.getlist("predecessors"),
    )
    for key in Group.FOUR_HAVES:
        data[key] = post.get(key) == "on"
    for key in Group.STAT_FIELDS:
        data[key] = post.get(key, "").strip()
    return data


def _initial(group: Group) -> dict:
    data = {
        "name": group.name,
        "platform": group.platform,
        "function": group.function,
        "manager": group.manager,
        "compounds": [str(c.pk) for c in group.compounds.all()],
        "buildings": [str(b.pk) for b in group.buildings.all()],
        "responsible": group.responsible.username if group.responsible_id else "",
        "created_on": group.created_on.isoformat() if group.created_on else "",
        "status": group.status,
        "note": group.note,
        "admin_users": ", ".join(a.user.username for a in group.admins.all() if a.user_id),
        "predecessors": [str(p.uid) for p in group.predecessors.all()],
    }
    for key in Group.FOUR_HAVES:
        data[key] = getattr(group, key)
    for key in Group.STAT_FIELDS:
        value = getattr(group, key)
        data[key] = "" if value is None else str(value)
    return data


def _form(request, group: Group | None):
    user = request.user
    errors = None
    if request.method == "POST":
        data = _form_data(request.POST)
        posted = {**data, "admin_users": request.POST.get("admin_users", "")}
        if group is not None:  # residents named as admins through the API are kept
            data["admins"] += [
                {"resident": str(a.resident.uid)} for a in group.admins.all() if a.resident_id
            ]
        try:
            if group is None:
                saved = services.group_create(actor=user, data=data)
                messages.success(request, _("Registered: it counts once the committee approves."))
            else:
                saved = services.group_update(
                    actor=user, group=group, data=data, version=_version(request)
                )
                messages.success(request, _("Saved."))
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else None
            messages.error(request, error_text(exc))
        else:
            return redirect("groups:group_detail", uid=saved.uid)
    else:
        posted = _initial(group) if group is not None else {"status": "active"}
    compounds = list(selectors.compound_choices(actor=user))
    others = selectors.group_list(actor=user, action="register")
    if group is not None:
        others = others.exclude(pk=group.pk)
    return render(
        request,
        "groups/group_form.html",
        {
            "group": group,
            "posted": posted,
            "errors": errors or {},
            "compounds": compounds,
            "platforms": Group.Platform.choices,
            "functions": Group.Function.choices,
            "managers": Group.Manager.choices,
            "statuses": Group.Status.choices,
            "four_haves": [(k, Group._meta.get_field(k).verbose_name) for k in Group.FOUR_HAVES],
            "stat_fields": STAT_LABELS,
            "others": list(others[:PAGE]),
            "plans": plans_by_compound(user, compounds),
        },
    )


@requires("groups.register")
def group_create(request):
    return _form(request, None)


@requires("groups.register")
def group_edit(request, uid):
    return _form(request, selectors.group_get(actor=request.user, uid=uid, action="register"))


@requires("groups.view")
def group_detail(request, uid):
    user = request.user
    group = selectors.group_get(actor=user, uid=uid)
    evidence = {item: [] for item in GroupEvidence.Item.values}
    for e in group.evidence.all():
        evidence[e.item].append(e)
    checklist = [
        {
            "key": key,
            "label": Group._meta.get_field(key).verbose_name,
            "done": getattr(group, key),
            "evidence": evidence[key],
        }
        for key in Group.FOUR_HAVES
    ]
    actions = [(a, GROUP_MACHINE.transitions[a]) for a in GROUP_MACHINE.offered(user, group)]
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            "checklist": checklist,
            "actions": actions,
            "stats": [(label, getattr(group, key)) for key, label in STAT_LABELS],
            "can_edit": path_in_scope(user, group.scope_path, "groups.register"),
            "evidence_items": GroupEvidence.Item.choices,
            "snapshots": list(
                selectors.snapshot_list(actor=user, group=group).select_related("score")[:24]
            ),
            "cases": list(selectors.rectification_list(actor=user, group=group)[:20]),
            "compound_plans": list(plans_by_compound(user, list(group.compounds.all())).values()),
            **treatment_context(user, group),
            **crosscheck_context(user, group),
        },
    )


def treatment_context(user, group) -> dict:
    """What the group's latest class asks for: the quarterly re-check, a mentor pairing, or
    a split-or-merge task."""
    from gridgov.groups import selectors_treatments
    from gridgov.groups import services_treatments as treatments

    klass = treatments.latest_class(group)
    pairing = selectors_treatments.pairing_list(actor=user, group=group, state="active").first()
    task = selectors_treatments.task_list(actor=user, group=group, state="open").first()
    can_edit = path_in_scope(user, group.scope_path, "groups.register")
    return {
        "latest_class": klass,
        "next_report_due": treatments.next_report_due(group),
        "pairing": pairing,
        "pairing_progress": treatments.pairing_progress(pairing) if pairing else [],
        "mentors": (
            selectors_treatments.mentor_choices(actor=user, mentee=group)
            if can_edit and klass == "potential" and pairing is None
            else []
        ),
        "task": task,
        "task_colour": treatments.task_colour(task) if task else "",
    }


@require_POST
@requires("groups.register|groups.approve")
def group_action(request, uid):
    group = selectors.group_get(actor=request.user, uid=uid)
    try:
        services.group_transition(
            actor=request.user,
            group=group,
            action=request.POST.get("action", ""),
            version=_version(request),
            note=request.POST.get("note", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("groups:group_detail", uid=group.uid)


@require_POST
@requires("groups.register")
def evidence_add(request, uid):
    group = selectors.group_get(actor=request.user, uid=uid, action="register")
    try:
        services.evidence_add(
            actor=request.user,
            group=group,
            item=request.POST.get("item", ""),
            files=request.FILES.getlist("files"),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Evidence added."))
    return redirect("groups:group_detail", uid=group.uid)


@requires("groups.view")
def evidence_file(request, uid):
    """One piece of evidence, for readers of its group; each opening is audited."""
    evidence = selectors.evidence_get(actor=request.user, uid=uid)
    data = services.evidence_read(actor=request.user, evidence=evidence)
    with transaction.atomic():
        audit_record(
            "groups.evidence.open",
            actor=request.user,
            target=evidence.group,
            changes={"evidence": str(evidence.uid), "item": evidence.item},
        )
    response = HttpResponse(data, content_type=evidence.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
