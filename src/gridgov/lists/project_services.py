"""Writes of the projects list (项目清单 · 项目落地清单). Like the needs' services: every
write checks permission and scope, moves the project only through ``PROJECT_MACHINE``,
writes the project's timeline (``ProjectLog``) and one audit record in the same
transaction, and fails as a whole. Every change carries the version the actor read: of two
people moving the same project at once one wins and the other gets a 409.

Needs join a project when nobody can meet them: a need already 无法满足 with the route
转项目, or one still 匹配中 (it is then closed as 无法满足 · 转项目 in the same transaction,
on its own state machine and timeline). A need belongs to at most one open project.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.lists.models import Need, Project, ProjectLog, Resource
from gridgov.lists.services import _log as _need_log
from gridgov.lists.services import _name, _text, _uuid_or_none
from gridgov.lists.workflow import NEED_MACHINE, PROJECT_MACHINE
from gridgov.org.models import OrgUnit

MAX_BUDGET = Decimal("9999999999.99")
# Steps during which needs may still join a project.
LINKABLE_STATES = (
    Project.State.RESEARCH,
    Project.State.DESIGN,
    Project.State.BUDGET_APPROVAL,
    Project.State.IMPLEMENTING,
)
PROJECT_FIELDS = (
    "name",
    "service_line",
    "summary",
    "sponsor",
    "budget",
    "funding_source",
    "planned_start",
    "planned_end",
    "providers",
    "beneficiaries",
)


def _log(project: Project, action: str, before: str, actor, note: str = "") -> None:
    ProjectLog.objects.create(
        project=project,
        action=action,
        from_state=before,
        to_state=project.state,
        note=note[:500],
        actor_name=_name(actor),
    )


def parse_budget(value: Any, errors: dict) -> Decimal | None:
    """A budget in yuan: a number, not negative, at most two decimals."""
    raw = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    if raw == "":
        return Decimal("0")
    try:
        amount = Decimal(raw)
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        errors["budget"] = [_("The budget must be a number of yuan, e.g. 120000 or 8500.50.")]
        return None
    if amount < 0:
        errors["budget"] = [_("The budget cannot be negative.")]
        return None
    if amount > MAX_BUDGET or amount != amount.quantize(Decimal("0.01")):
        errors["budget"] = [_("The budget must be at most 9,999,999,999.99 with two decimals.")]
        return None
    return amount


def _date(value: Any, key: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[key] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def _clean(actor, data: dict, errors: dict) -> dict:
    clean: dict[str, Any] = {}
    clean["name"] = _text(data.get("name"), "name", 100, errors)
    if not clean["name"] and "name" not in errors:
        errors["name"] = [_("Give the project a name.")]
    line = str(data.get("service_line") or "")
    if line not in Project.ServiceLine.values:
        errors["service_line"] = [_("Choose a service line from the list.")]
    clean["service_line"] = line
    clean["summary"] = _text(data.get("summary"), "summary", 1000, errors, multiline=True)
    code = str(data.get("sponsor") or "").strip().strip("/").split("/")[-1]
    sponsor = OrgUnit.objects.filter(code=code).first() if code else None
    if sponsor is None or not path_in_scope(actor, sponsor.path, "lists.manage"):
        errors["sponsor"] = [_("Choose a sponsoring unit in your area.")]
    clean["sponsor"] = sponsor
    clean["budget"] = parse_budget(data.get("budget"), errors)
    clean["funding_source"] = _text(data.get("funding_source"), "funding_source", 100, errors)
    clean["planned_start"] = _date(data.get("planned_start"), "planned_start", errors)
    clean["planned_end"] = _date(data.get("planned_end"), "planned_end", errors)
    if (
        clean["planned_start"]
        and clean["planned_end"]
        and clean["planned_end"] < clean["planned_start"]
    ):
        errors["planned_end"] = [_("The planned end is before the planned start.")]
    uids = data.get("providers") or []
    if isinstance(uids, str):
        uids = [u for u in uids.replace(",", " ").split() if u]
    wanted = {_uuid_or_none(u) for u in uids}
    providers = list(Resource.objects.visible_to(actor).filter(uid__in=wanted - {None}))
    if len(providers) != len(wanted):
        errors["providers"] = [_("Choose providers from the resource list.")]
    clean["providers"] = providers
    beneficiaries = data.get("beneficiaries")
    clean["beneficiaries"] = None
    if beneficiaries not in (None, ""):
        try:
            clean["beneficiaries"] = int(str(beneficiaries).strip())
        except ValueError:
            clean["beneficiaries"] = -1
        if not 0 <= clean["beneficiaries"] <= 10_000_000:
            errors["beneficiaries"] = [_("Give the number of beneficiaries (0 or more).")]
    return clean


def _apply(project: Project, clean: dict) -> None:
    for key in PROJECT_FIELDS:
        if key != "providers":
            setattr(project, key, clean[key])
    project.scope_path = clean["sponsor"].path


def project_create(*, actor, data: dict, needs: list | None = None) -> Project:
    """A new project in 需求调研, with the needs it answers (see ``project_link_needs``)."""
    if not actor.has_permission("lists.manage"):
        raise PermissionDenied()
    errors: dict[str, list[str]] = {}
    clean = _clean(actor, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        project = Project(created_by_name=_name(actor))
        _apply(project, clean)
        project.save()
        project.providers.set(clean["providers"])
        _log(project, "create", "", actor, project.name)
        audit_record(
            "lists.project.create",
            actor=actor,
            target=project,
            changes={
                "name": project.name,
                "service_line": project.service_line,
                "budget": str(project.budget),
                "providers": [str(r.uid) for r in clean["providers"]],
            },
        )
        if needs:
            _link(actor, project, needs)
    return project


def project_update(*, actor, project: Project, data: dict, version: int) -> Project:
    """Change the project's particulars. The budget is settled once approval is asked for:
    it changes only in 需求调研 and 方案设计."""
    require_in_scope(actor, project.scope_path, "lists.manage")
    errors: dict[str, list[str]] = {}
    clean = _clean(actor, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        if current.version != version:
            raise Conflict(
                _("Someone else changed this meanwhile; it is now “%(state)s”. Reload.")
                % {"state": current.get_state_display()},
                details={"state": current.state, "version": current.version},
            )
        if not current.is_open:
            raise Conflict(
                _("A closed or cancelled project cannot be changed."), code="project_closed"
            )
        if current.budget != clean["budget"] and current.state not in Project.BUDGET_EDITABLE:
            raise ValidationFailed(
                details={
                    "budget": [_("The budget cannot change once approval has been asked for.")]
                }
            )
        watched = ("name", "service_line", "budget", "funding_source", "scope_path")
        before = {k: getattr(current, k) for k in watched}
        _apply(current, clean)
        current.version += 1
        current.save()
        current.providers.set(clean["providers"])
        after = {k: getattr(current, k) for k in watched}
        changes = {k: [str(before[k]), str(after[k])] for k in watched if before[k] != after[k]}
        _log(current, "update", current.state, actor, ", ".join(sorted(changes)))
        audit_record("lists.project.update", actor=actor, target=current, changes=changes)
    return current


def _rating(value: Any, errors: dict) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        errors["rating"] = [_("Give 1 to 5 stars.")]
        return None
    return number


def project_transition(
    *, actor, project: Project, action: str, version: int, reason: str = "", rating: Any = None
) -> Project:
    """One step of the lifecycle (with who and when on the timeline), a resident's rating
    during the residents' review (``rate``, 1–5), or cancelling (with a reason)."""
    if action not in PROJECT_MACHINE.transitions:
        raise ValidationFailed(details={"action": [_("Unknown action.")]})
    definition = PROJECT_MACHINE.transitions[action]
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 300, errors)
    if definition.needs_reason and not reason and "reason" not in errors:
        errors["reason"] = [_("Give a reason.")]
    stars = _rating(rating, errors) if action == "rate" else None
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        refusal = PROJECT_MACHINE.refusal(actor, current, action, version=version)
        if refusal is not None:
            raise refusal
        before = current.state
        if definition.target is not None:
            current.state = definition.target
        note = reason
        if action == "rate":
            current.rating_sum += stars
            current.rating_count += 1
            note = f"{stars}/5" + (f" · {reason}" if reason else "")
        elif action == "cancel":
            current.cancel_reason = reason
        if not current.is_open and current.closed_at is None:
            current.closed_at = timezone.now()
        current.version += 1
        current.save()
        _log(current, action, before, actor, note)
        audit_record(
            "lists.project.transition",
            actor=actor,
            target=current,
            changes={
                "action": action,
                "state": [before, current.state],
                "reason": reason,
                "rating": stars,
            },
        )
    return current


def project_link_needs(
    *, actor, project: Project, needs: list, version: int | None, need_version: int | None = None
) -> Project:
    """Link needs nobody can meet to the project (from the project page, ``version`` is the
    project's as read; from a need's page, ``need_version`` is the need's)."""
    require_in_scope(actor, project.scope_path, "lists.manage")
    if not needs:
        raise ValidationFailed(details={"needs": [_("Choose at least one need.")]})
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        if version is not None and current.version != version:
            raise Conflict(
                _("Someone else changed this meanwhile; it is now “%(state)s”. Reload.")
                % {"state": current.get_state_display()},
                details={"state": current.state, "version": current.version},
            )
        _link(actor, current, needs, need_version=need_version)
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
    return current


def _link(actor, project: Project, uids: list, need_version: int | None = None) -> None:
    """Inside the caller's transaction: check every need first, then link them all."""
    if project.state not in LINKABLE_STATES:
        raise Conflict(
            _("Needs can join a project only until its performance evaluation starts."),
            code="project_not_linkable",
        )
    wanted = {_uuid_or_none(u) for u in uids} - {None}
    found = list(
        Need.objects.visible_to(actor, "manage")
        .select_for_update(of=("self",))
        .filter(uid__in=wanted)
        .select_related("category", "household")
    )
    errors: list[str] = []
    if len(found) != len({_uuid_or_none(u) for u in uids}):
        errors.append(_("Some of these needs are not in your area."))
    taken = set(
        Project.needs.through.objects.filter(need__in=found, project__state__in=Project.OPEN_STATES)
        .exclude(project=project)
        .values_list("need_id", flat=True)
    )
    already = set(project.needs.values_list("pk", flat=True))
    for need in found:
        label = f"{need.category.name} · {need.household.number}"
        if not need.scope_path.startswith(project.scope_path):
            errors.append(_("%(need)s: outside the sponsor's area.") % {"need": label})
        elif need.pk in taken:
            errors.append(_("%(need)s: already in another open project.") % {"need": label})
        elif need.pk in already:
            errors.append(_("%(need)s: already in this project.") % {"need": label})
        elif not (
            (need.state == Need.State.UNMET and need.route == Need.Route.PROJECT)
            or need.state == Need.State.MATCHING
        ):
            errors.append(
                _(
                    "%(need)s: only needs nobody can meet (匹配中, or 无法满足 with the route "
                    "转项目) join a project; it is “%(state)s”."
                )
                % {"need": label, "state": need.get_state_display()}
            )
        elif need_version is not None and need.version != need_version:
            raise Conflict(
                _("Someone else changed this meanwhile; it is now “%(state)s”. Reload.")
                % {"state": need.get_state_display()},
                details={"state": need.state, "version": need.version},
            )
    if errors:
        raise ValidationFailed(details={"needs": errors})
    note = _("project: %(name)s") % {"name": project.name}
    for need in found:
        if need.state == Need.State.MATCHING:
            refusal = NEED_MACHINE.refusal(actor, need, "unmet")
            if refusal is not None:
                raise refusal
            before = need.state
            need.state = Need.State.UNMET
            need.route = Need.Route.PROJECT
            need.result_note = note[:300]
            need.closed_at = need.closed_at or timezone.now()
            need.version += 1
            need.save()
            _need_log(need, "unmet", before, actor, note)
        else:
            need.version += 1
            need.save(update_fields=["version", "updated_at"])
            _need_log(need, "project", need.state, actor, note)
    project.needs.add(*found)
    _log(
        project,
        "link",
        project.state,
        actor,
        ", ".join(f"{n.category.name} · {n.household.number}" for n in found),
    )
    audit_record(
        "lists.project.link_needs",
        actor=actor,
        target=project,
        changes={"needs": sorted(str(n.uid) for n in found)},
    )
