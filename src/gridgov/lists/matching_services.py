"""The matching proposal (「智能匹配+人工协调」): the optimiser proposes, a person confirms.

``propose`` takes the needs waiting for a match (匹配中) in a community or grid where the
actor may dispatch (optionally one category), their candidates as
``selectors.candidates_for`` decides them (the manual match's one rule: category, area,
capacity left in the period, eligibility), among the resources the actor may see, and
runs the min-cost-flow optimiser of ``lists/matching.py`` on exactly those candidates
(priority weights from the policy ``lists.matching``). The result is stored as a
``MatchProposal`` with one row per need: the resource proposed, the distance, and the
explanation (why this resource, the alternatives, the distance), or why nobody could serve
the need. The greedy baseline's objective on the same candidates is kept beside it.

``confirm`` / ``change`` dispatch through ``services.order_dispatch`` (all order rules,
the need's lock and version, the resource's capacity re-counted under its lock, the
audit); ``reject`` records a reason. A proposal row is stale when its need left 匹配中 or
changed since, or when the proposed resource can no longer serve it (capacity used up
meanwhile, retired, eligibility): confirming it is refused with 409 and nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, GridGovError, NotFound, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import access_object, path_filter, require_permission
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.lists import matching, selectors, services
from gridgov.lists.models import (
    MatchProposal,
    MatchProposalRow,
    Need,
    NeedCategory,
    Resource,
    ServiceOrder,
)
from gridgov.lists.workflow import PROPOSAL_MACHINE
from gridgov.org.models import OrgUnit

# A proposal covers at most this many needs: a larger area is split by grid or category.
MAX_NEEDS = 2000
SCOPE_LEVELS = (OrgUnit.Level.COMMUNITY, OrgUnit.Level.GRID)


def _name(actor) -> str:
    return actor.get_username()


# Reads --------------------------------------------------------------------------------------


def scope_units(actor) -> QuerySet[OrgUnit]:
    """The communities and grids where the actor may dispatch (the scopes of a proposal)."""
    query = path_filter(actor, "lists.dispatch")
    if query is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(query, level__in=SCOPE_LEVELS, is_active=True).order_by("path")


def proposal_list(*, actor) -> QuerySet[MatchProposal]:
    return (
        MatchProposal.objects.visible_to(actor, "dispatch")
        .select_related("unit", "category")
        .order_by("-created_at", "-id")
    )


def proposal_get(*, actor, uid) -> MatchProposal:
    return access_object(
        actor, MatchProposal.objects.select_related("unit", "category"), "dispatch", uid=uid
    )


def proposal_rows(proposal: MatchProposal) -> QuerySet[MatchProposalRow]:
    return proposal.rows.select_related(
        "need__category", "need__household", "resource", "order"
    ).order_by("rank", "id")


def row_get(*, actor, proposal: MatchProposal, uid) -> MatchProposalRow:
    return access_object(
        actor,
        MatchProposalRow.objects.filter(proposal=proposal).select_related("need", "resource"),
        "dispatch",
        uid=uid,
    )


def row_is_stale(row: MatchProposalRow) -> bool:
    """A pending row whose need left 匹配中 or changed since the proposal (a cheap check for
    the page; confirming re-checks everything under locks)."""
    return row.state == MatchProposalRow.State.PROPOSED and (
        row.need.state != Need.State.MATCHING or row.need.version != row.need_version
    )


# Propose ------------------------------------------------------------------------------------


def _weights(policy) -> tuple[dict[str, int], dict[str, int]]:
    colours = dict(policy.colour_weights)
    colours[""] = colours.pop("none", 1)
    return colours, dict(policy.urgency_weights)


def need_priority(need: Need, policy) -> int:
    colours, urgency = _weights(policy)
    return colours.get(need.colour, 1) * urgency.get(need.priority, 1)


def _unit(actor, code: str) -> OrgUnit:
    unit = scope_units(actor).filter(code=str(code or "").strip()).first()
    if unit is None:
        raise ValidationFailed(
            details={"unit": [_("Choose a community or grid where you may dispatch.")]}
        )
    return unit


def _category(code: str) -> NeedCategory | None:
    code = str(code or "").strip()
    if not code:
        return None
    category = NeedCategory.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise ValidationFailed(details={"category": [_("Choose a valid category.")]})
    return category


def _candidate_json(c: matching.Candidate, resources: dict[int, Resource]) -> dict:
    resource = resources[c.resource_id]
    return {
        "resource": str(resource.uid),
        "name": resource.name,
        "provider": resource.provider_name,
        "distance_m": None if c.distance_m is None else round(c.distance_m),
        "capacity_left": c.capacity_left,
        "orders_in_hand": c.provider_load,
    }


def _objective_json(objective: matching.Objective) -> dict:
    return {
        "priority_served": objective.priority_served,
        "priority_total": objective.priority_total,
        "needs_served": objective.needs_served,
        "needs_total": objective.needs_total,
        "distance_m": round(objective.distance_m),
        "provider_load": objective.provider_load,
    }


def propose(*, actor, unit: str, category: str = "") -> MatchProposal:
    """Run the optimiser over the needs in 匹配中 of ``unit`` (a community or grid code
    where the actor may dispatch), of ``category`` when given, and store its proposal."""
    require_permission(actor, "lists.dispatch")
    errors: dict[str, list[str]] = {}
    org_unit = chosen = None
    try:
        org_unit = _unit(actor, unit)
    except ValidationFailed as exc:
        errors.update(exc.details)
    try:
        chosen = _category(category)
    except ValidationFailed as exc:
        errors.update(exc.details)
    if errors:
        raise ValidationFailed(details=errors)
    needs_qs = (
        Need.objects.visible_to(actor, "dispatch")
        .filter(state=Need.State.MATCHING, scope_path__startswith=org_unit.path)
        .select_related("category", "resident")
        .order_by("id")
    )
    if chosen is not None:
        needs_qs = needs_qs.filter(category=chosen)
    needs = list(needs_qs[: MAX_NEEDS + 1])
    if len(needs) > MAX_NEEDS:
        raise ValidationFailed(
            _("More than %(n)d needs wait for a match here: choose a grid or a category.")
            % {"n": MAX_NEEDS},
            code="too_many_needs",
        )
    policy = policy_in_force("lists.matching")
    sets = selectors.candidates_for(needs, pool=Resource.objects.visible_to(actor))
    resources: dict[int, Resource] = {}
    capacity: dict[int, int] = {}
    for found in sets.values():
        for c in found.candidates:
            resources[c.resource.pk] = c.resource
            capacity[c.resource.pk] = c.capacity_left
    categories = {}
    for resource in resources.values():
        categories[resource.pk] = frozenset(c.code for c in resource.categories.all())
    need_in = [
        matching.NeedIn(
            id=n.pk,
            category=n.category.code,
            priority=need_priority(n, policy.value),
            lon=None,
            lat=None,
            area_path=n.scope_path,
        )
        for n in needs
    ]
    resource_in = [
        matching.ResourceIn(
            id=r.pk,
            provider_id=r.pk,
            categories=categories[r.pk],
            capacity_left=capacity[r.pk],
            provider_load=r.in_hand,
        )
        for r in resources.values()
    ]
    arcs = {
        n.pk: [(c.resource.pk, c.distance_m, c.via) for c in sets[n.pk].candidates] for n in needs
    }
    rejected = {n.pk: sets[n.pk].rejected for n in needs}
    options = {"candidates": arcs, "rejected": rejected}
    result = matching.match(
        need_in,
        resource_in,
        balance_load=policy.value.balance_load,
        max_alternatives=policy.value.max_alternatives,
        **options,
    )
    baseline = matching.greedy(need_in, resource_in, max_alternatives=0, **options)
    by_pk = {n.pk: n for n in needs}
    via_paths = {p.explanation.via for p in result.proposals if p.explanation.via != "radius"}
    via_names = dict(OrgUnit.objects.filter(path__in=via_paths).values_list("path", "name"))
    rows: list[MatchProposalRow] = []
    proposals = sorted(
        result.proposals,
        key=lambda p: (-p.priority, p.distance_m if p.distance_m is not None else 1e12),
    )
    for p in proposals:
        need, e = by_pk[p.need_id], p.explanation
        rows.append(
            MatchProposalRow(
                need=need,
                scope_path=need.scope_path,
                need_version=need.version,
                resource=resources[p.resource_id],
                priority=p.priority,
                distance_m=p.distance_m,
                state=MatchProposalRow.State.PROPOSED,
                explanation={
                    "category": e.category,
                    "colour": need.colour,
                    "urgency": need.priority,
                    "priority": p.priority,
                    "via": e.via,
                    "via_name": via_names.get(e.via, ""),
                    "distance_m": None if e.distance_m is None else round(e.distance_m),
                    "capacity_left": e.capacity_left,
                    "capacity_left_after": e.capacity_left_after,
                    "orders_in_hand": e.provider_load,
                    "alternatives": [_candidate_json(c, resources) for c in e.alternatives],
                    "alternatives_total": e.alternatives_total,
                },
            )
        )
    for u in result.unserved:  # by descending priority
        need = by_pk[u.need_id]
        rows.append(
            MatchProposalRow(
                need=need,
                scope_path=need.scope_path,
                need_version=need.version,
                priority=u.priority,
                state=MatchProposalRow.State.UNSERVED,
                unserved_reason=u.reason,
                explanation={
                    "category": u.category,
                    "colour": need.colour,
                    "urgency": need.priority,
                    "priority": u.priority,
                    "reason": u.reason,
                    "rejected": dict(u.rejected),
                    "candidates": [_candidate_json(c, resources) for c in u.candidates],
                },
            )
        )
    with transaction.atomic():
        proposal = MatchProposal.objects.create(
            unit=org_unit,
            scope_path=org_unit.path,
            category=chosen,
            created_by=actor,
            created_by_name=_name(actor),
            method=result.method,
            policy_version=policy.version,
            seconds=result.seconds,
            objective=_objective_json(result.objective),
            greedy_objective=_objective_json(baseline.objective),
            needs_total=len(needs),
            proposed_count=len(result.proposals),
        )
        for rank, row in enumerate(rows, start=1):
            row.proposal = proposal
            row.rank = rank
        MatchProposalRow.objects.bulk_create(rows)
        audit_record(
            "lists.match.propose",
            actor=actor,
            target=proposal,
            changes={
                "unit": org_unit.code,
                "category": chosen.code if chosen else "",
                "needs": len(needs),
                "proposed": len(result.proposals),
                "policy_version": policy.version,
            },
        )
    return proposal


# Decide -------------------------------------------------------------------------------------


def _lock_fresh(actor, row: MatchProposalRow, action: str, version: int):
    """Lock the row and its need; refuse (409) a decided row, a stale version or a need
    that left 匹配中 or changed since the proposal."""
    current = (
        MatchProposalRow.objects.select_for_update(of=("self",))
        .select_related("resource", "proposal")
        .get(pk=row.pk)
    )
    refusal = PROPOSAL_MACHINE.refusal(actor, current, action, version=version)
    if refusal is not None:
        raise refusal
    need = Need.objects.select_for_update().select_related("category").get(pk=current.need_id)
    if need.state != Need.State.MATCHING:
        raise Conflict(
            _(
                "This need no longer waits for a match: it is now “%(state)s”. Run the "
                "proposal again."
            )
            % {"state": need.get_state_display()},
            code="proposal_stale",
            details={"state": need.state, "version": need.version},
        )
    if need.version != current.need_version:
        raise Conflict(
            _("This need changed after the proposal was made. Run the proposal again."),
            code="proposal_stale",
            details={"state": need.state, "version": need.version},
        )
    current.need = need
    return current, need


def _check_candidate(actor, need: Need, resource_uid) -> Resource:
    """The resource must still be a candidate (the one rule of ``selectors.candidates``)
    that the actor may see; a resource whose capacity is used up is named as such."""
    pool = Resource.objects.visible_to(actor)
    found = selectors.candidates_for([need], pool=pool)[need.pk].candidates
    match = next((c.resource for c in found if str(c.resource.uid) == str(resource_uid)), None)
    if match is not None:
        return match
    resource = pool.filter(uid=str(resource_uid)).first() if _is_uuid(resource_uid) else None
    if resource is not None and selectors.capacity_left(resource) <= 0:
        raise Conflict(
            _(
                "“%(name)s” has no capacity left in this period. Choose another candidate "
                "or run the proposal again."
            )
            % {"name": resource.name},
            code="no_capacity",
        )
    raise Conflict(
        _(
            "This resource can no longer serve the need (category, area, capacity or "
            "eligibility). Choose another candidate or run the proposal again."
        ),
        code="proposal_stale",
    )


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _note(note: str, key: str = "note") -> str:
    try:
        return normalise_text(str(note or ""), max_length=300)
    except TextInvalid as exc:
        raise ValidationFailed(details={key: [exc.message]}) from exc


def _decide(actor, row, action: str, version: int, resource_uid, note: str) -> ServiceOrder:
    note = _note(note)
    with transaction.atomic():
        current, need = _lock_fresh(actor, row, action, version)
        resource = _check_candidate(actor, need, resource_uid)
        order = services.order_dispatch(
            actor=actor, need=need, resource_uid=resource.uid, version=need.version, note=note
        )
        before = current.state
        current.state = (
            MatchProposalRow.State.CONFIRMED
            if action == "confirm"
            else MatchProposalRow.State.CHANGED
        )
        current.order = order
        current.decided_by_name = _name(actor)
        current.decided_at = timezone.now()
        current.version += 1
        current.save(update_fields=["state", "order", "decided_by_name", "decided_at", "version"])
        audit_record(
            {"confirm": "lists.match.confirm", "change": "lists.match.change"}[action],
            actor=actor,
            target=current,
            changes={
                "proposal": str(current.proposal.uid),
                "need": str(need.uid),
                "proposed": str(current.resource.uid),
                "dispatched": str(resource.uid),
                "order": str(order.uid),
                "state": [before, current.state],
            },
        )
    return order


def confirm(*, actor, row: MatchProposalRow, version: int, note: str = "") -> ServiceOrder:
    """Dispatch the need to the proposed resource (409 when the proposal is stale)."""
    if row.resource_id is None:
        raise Conflict(_("Nobody was proposed for this need."), code="illegal_transition")
    return _decide(actor, row, "confirm", version, row.resource.uid, note)


def change(
    *, actor, row: MatchProposalRow, version: int, resource_uid, note: str = ""
) -> ServiceOrder:
    """Dispatch the need to another of its candidates instead (人工协调)."""
    if not resource_uid:
        raise ValidationFailed(details={"resource": [_("Choose a resource.")]})
    return _decide(actor, row, "change", version, resource_uid, note)


def reject(*, actor, row: MatchProposalRow, version: int, reason: str) -> MatchProposalRow:
    """Turn the proposal down, with a reason; the need stays in 匹配中."""
    reason = _note(reason, "reason")
    if not reason:
        raise ValidationFailed(details={"reason": [_("Give a reason.")]})
    with transaction.atomic():
        current = (
            MatchProposalRow.objects.select_for_update()
            .select_related("proposal", "need")
            .get(pk=row.pk)
        )
        refusal = PROPOSAL_MACHINE.refusal(actor, current, "reject", version=version)
        if refusal is not None:
            raise refusal
        current.state = MatchProposalRow.State.REJECTED
        current.reason = reason
        current.decided_by_name = _name(actor)
        current.decided_at = timezone.now()
        current.version += 1
        current.save(update_fields=["state", "reason", "decided_by_name", "decided_at", "version"])
        audit_record(
            "lists.match.reject",
            actor=actor,
            target=current,
            changes={
                "proposal": str(current.proposal.uid),
                "need": str(current.need.uid),
                "resource": str(current.resource.uid) if current.resource_id else "",
                "reason": reason,
            },
        )
    return current


@dataclass
class ConfirmAllResult:
    confirmed: list[MatchProposalRow]
    skipped: list[tuple[MatchProposalRow, GridGovError]]


def confirm_all(*, actor, proposal: MatchProposal) -> ConfirmAllResult:
    """Confirm every pending row that is still valid, each in its own transaction (one
    stale row does not hold the others back); the others are returned with the reason."""
    out = ConfirmAllResult([], [])
    rows = proposal_rows(proposal).filter(state=MatchProposalRow.State.PROPOSED)
    for row in rows:
        try:
            confirm(actor=actor, row=row, version=row.version)
        except (Conflict, ValidationFailed, NotFound) as exc:
            out.skipped.append((row, exc))
        else:
            out.confirmed.append(row)
    return out
