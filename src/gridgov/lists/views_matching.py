"""The matching pages (「智能匹配+人工协调」, phone-first): choose a community or grid (and a
category), run the proposal, read each row's explanation and confirm, change or reject it,
or confirm every row still valid; needs nobody can serve are listed with the reason. The
same services as the API (``lists/matching_services.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.permissions import requires
from gridgov.lists import matching_services as ms
from gridgov.lists import selectors
from gridgov.lists.models import MatchProposalRow, Need
from gridgov.lists.workflow import PROPOSAL_MACHINE

RECENT = 20


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _reason_text(code: str) -> str:
    return {
        "area": _("does not serve the household's area"),
        "capacity": _("no capacity left in the period"),
        "tags": _("the household holds none of the required groups"),
        "age": _("outside the age limits"),
        "no_candidate": _("No resource of this category can serve this need."),
        "candidates_full": _(
            "Its candidates' capacity went to needs of higher priority or nearer."
        ),
    }.get(code, code)


@requires("lists.dispatch")
def matching_index(request):
    """Choose the scope and run a proposal (POST), or open a recent one."""
    units = list(ms.scope_units(request.user))
    posted = request.POST if request.method == "POST" else {}
    errors = None
    if request.method == "POST":
        try:
            proposal = ms.propose(
                actor=request.user,
                unit=request.POST.get("unit", ""),
                category=request.POST.get("category", ""),
            )
        except GridGovError as exc:
            errors = exc.details if isinstance(exc.details, dict) else None
            messages.error(request, error_text(exc))
        else:
            return redirect("lists:matching_detail", uid=proposal.uid)
    waiting = selectors.need_list(actor=request.user, state=Need.State.MATCHING).count()
    return render(
        request,
        "lists/matching_index.html",
        {
            "units": units,
            "categories": selectors.categories(),
            "unit": posted.get("unit") or request.GET.get("unit", ""),
            "category": posted.get("category") or request.GET.get("category", ""),
            "errors": errors or {},
            "proposals": list(ms.proposal_list(actor=request.user)[:RECENT]),
            "waiting": waiting,
        },
    )


def _row_view(request, row: MatchProposalRow) -> dict:
    e = row.explanation
    stale = ms.row_is_stale(row)
    offered = PROPOSAL_MACHINE.offered(request.user, row)
    actions = [a for a in offered if a == "reject"] if stale else offered
    return {
        "row": row,
        "e": e,
        "stale": stale,
        "actions": actions,
        "rejected": [(_reason_text(k), v) for k, v in (e.get("rejected") or {}).items()],
        "reason_text": _reason_text(row.unserved_reason) if row.unserved_reason else "",
    }


@requires("lists.dispatch")
def matching_detail(request, uid):
    proposal = ms.proposal_get(actor=request.user, uid=uid)
    rows = [_row_view(request, r) for r in ms.proposal_rows(proposal)]
    proposed = [r for r in rows if r["row"].resource_id]
    unserved = [r for r in rows if not r["row"].resource_id]
    valid = sum(1 for r in proposed if "confirm" in r["actions"])
    gain = proposal.objective.get("priority_served", 0) - proposal.greedy_objective.get(
        "priority_served", 0
    )
    return render(
        request,
        "lists/matching_detail.html",
        {
            "proposal": proposal,
            "proposed": proposed,
            "unserved": unserved,
            "valid": valid,
            "gain": gain,
            "states": dict(MatchProposalRow.State.choices),
        },
    )


@requires("lists.dispatch")
@require_POST
def matching_row_action(request, uid, row):
    proposal = ms.proposal_get(actor=request.user, uid=uid)
    found = ms.row_get(actor=request.user, proposal=proposal, uid=row)
    action = request.POST.get("action", "")
    version = _version(request)
    try:
        if action == "confirm":
            ms.confirm(actor=request.user, row=found, version=version)
        elif action == "change":
            ms.change(
                actor=request.user,
                row=found,
                version=version,
                resource_uid=request.POST.get("resource", ""),
            )
        elif action == "reject":
            ms.reject(
                actor=request.user, row=found, version=version, reason=request.POST.get("reason")
            )
        else:
            messages.error(request, _("Unknown action."))
            return redirect("lists:matching_detail", uid=proposal.uid)
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("The proposal was rejected.")
            if action == "reject"
            else _("The service order was dispatched."),
        )
    return redirect(f"{proposal_url(proposal)}#row-{found.uid}")


def proposal_url(proposal) -> str:
    from django.urls import reverse

    return reverse("lists:matching_detail", kwargs={"uid": proposal.uid})


@requires("lists.dispatch")
@require_POST
def matching_confirm_all(request, uid):
    proposal = ms.proposal_get(actor=request.user, uid=uid)
    result = ms.confirm_all(actor=request.user, proposal=proposal)
    if result.confirmed:
        messages.success(
            request,
            ngettext(
                "%(n)d service order was dispatched.",
                "%(n)d service orders were dispatched.",
                len(result.confirmed),
            )
            % {"n": len(result.confirmed)},
        )
    for row, exc in result.skipped:
        messages.warning(request, f"{row.need.household.number}: {error_text(exc)}")
    if not result.confirmed and not result.skipped:
        messages.info(request, _("No proposal is waiting for confirmation."))
    return redirect("lists:matching_detail", uid=proposal.uid)
