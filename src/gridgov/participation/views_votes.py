"""Pages of votes: staff set a vote up on a topic, open and close it, record paper voters,
enter and confirm paper ballots, and read the result with the turnout; a resident (phone
first, large buttons) sees the open votes of their area, casts and checks the receipt.
They call the same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.masking import mask_name
from gridgov.core.permissions import requires
from gridgov.core.policies import policy_get
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.participation import selectors_votes as selectors
from gridgov.participation import services_votes as services
from gridgov.participation.models import Elector, PaperBallot, Representative, Topic, Vote
from gridgov.residents.selectors import require_resident


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


@requires("participation.view")
def vote_list(request):
    state = request.GET.get("state", "")
    votes = selectors.vote_list(actor=request.user, state=state)[:200]
    topics = (
        Topic.objects.visible_to(request.user, "manage")
        .filter(state__in=(Topic.State.SELECTED, Topic.State.DISCUSSING))
        .exclude(pk__in=Vote.objects.filter(closed_at__isnull=True).values("topic_id"))[:50]
    )
    return render(
        request,
        "participation/vote_list.html",
        {
            "votes": votes,
            "state": state,
            "states": Vote.State.choices,
            "topics": topics,
            "can_manage": bool(request.user.scope_paths("participation.manage")),
        },
    )


@requires("participation.manage")
def vote_create(request, topic):
    topic = selectors.topic_get(actor=request.user, pk=topic, action="manage")
    policy = policy_get("participation.votes")
    data = {
        "kind": "binding",
        "secrecy": policy.default_secrecy,
        "electorate_form": policy.default_electorate,
        "method": policy.default_method,
    }
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in services.FORM_FIELDS}
        try:
            vote = services.vote_create(actor=request.user, topic=topic, data=data)
        except ValidationFailed as exc:
            errors, status = exc.details, 400
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            status = exc.status
        else:
            messages.success(request, _("The vote is set up; open it when ready."))
            return redirect("participation:vote_detail", vote.uid)
    return render(
        request,
        "participation/vote_form.html",
        {
            "topic": topic,
            "data": data,
            "errors": errors,
            "kinds": Vote.Kind.choices,
            "secrecies": Vote.Secrecy.choices,
            "forms": Vote.Electorate.choices,
            "methods": Vote.Method.choices,
        },
        status=status,
    )


@requires("participation.view")
def vote_detail(request, uid):
    vote = selectors.vote_get(actor=request.user, uid=uid)
    can_manage = path_in_scope(request.user, vote.scope_path, "participation.manage")
    query = request.GET.get("q", "").strip()
    found = []
    if can_manage and query and vote.state == Vote.State.OPEN and vote.allows_paper:
        electors = (
            Elector.objects.filter(vote=vote, turnout__isnull=True)
            .filter(
                Q(resident__name__contains=query)
                | Q(household__members__name__contains=query, household__members__archived_at=None)
            )
            .select_related("resident", "household")
            .distinct()[:20]
        )
        for elector in electors:
            person = (
                elector.resident
                or elector.household.members.filter(name__contains=query, archived_at=None).first()
            )
            found.append(
                {
                    "uid": person.uid,
                    "name": mask_name(person.name),
                    "household": (elector.household or person.household).number,
                }
            )
    rows = []
    result = vote.result or {}
    for index, option in enumerate(vote.options):
        count = (result.get("counts") or [None] * len(vote.options))[index]
        share = round(count * 100 / result["ballots"], 1) if count and result.get("ballots") else 0
        rows.append({"index": index, "text": option, "count": count, "share": share})
    return render(
        request,
        "participation/vote_detail.html",
        {
            "vote": vote,
            "rows": rows,
            "result": result,
            "summary": selectors.turnout_summary(vote),
            "can_manage": can_manage,
            "queue": _queue(vote) if can_manage else [],
            "query": query,
            "found": found,
        },
    )


def _queue(vote: Vote) -> list:
    sheets = list(selectors.paper_queue(vote=vote))
    for sheet in sheets:
        sheet.choice_text = vote.options[sheet.choice]
    return sheets


@require_POST
@requires("participation.manage")
def vote_action(request, uid):
    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    action = request.POST.get("action", "")
    try:
        if action == "open":
            services.vote_open(actor=request.user, vote=vote, version=_version(request))
            messages.success(request, _("The vote is open; the electorate is fixed."))
        elif action == "close":
            services.vote_close(actor=request.user, vote=vote, version=_version(request))
            messages.success(request, _("The vote is closed and counted."))
        else:
            raise ValidationFailed(details={"action": [_("Choose open or close.")]})
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:vote_detail", vote.uid)


@require_POST
@requires("participation.manage")
def vote_paper(request, uid):
    """Paper: record a voter from the signed register, enter a sheet, or check one."""
    from gridgov.people.models import Resident

    vote = selectors.vote_get(actor=request.user, uid=uid, action="manage")
    step = request.POST.get("step", "")
    try:
        if step == "voter":
            resident = (
                Resident.objects.visible_to(request.user, "view")
                .filter(uid=request.POST.get("resident") or None)
                .first()
            )
            if resident is None:
                raise NotFound()
            services.paper_turnout(actor=request.user, vote=vote, resident=resident)
            messages.success(request, _("The paper voter is recorded."))
        elif step == "enter":
            services.paper_enter(actor=request.user, vote=vote, choice=request.POST.get("choice"))
            messages.success(request, _("The sheet is entered; another member of staff checks it."))
        elif step in ("confirm", "reject"):
            paper = PaperBallot.objects.filter(vote=vote, pk=request.POST.get("sheet", "")).first()
            if paper is None:
                raise NotFound()
            services.paper_check(
                actor=request.user,
                paper=paper,
                confirm=step == "confirm",
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("The sheet is checked."))
        else:
            raise ValidationFailed(details={"step": [_("Choose what to record.")]})
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:vote_detail", vote.uid)


# The resident's pages ----------------------------------------------------------------------


@requires("participation.take_part")
def my_votes(request):
    resident = require_resident(request.user)
    votes = list(selectors.resident_votes(resident=resident)[:50])
    now = timezone.now()
    for vote in votes:
        vote.mine = selectors.voted(vote=vote, resident=resident)
        vote.can_cast = vote.state == Vote.State.OPEN and vote.opens_at <= now < vote.closes_at
    return render(request, "participation/my_votes.html", {"votes": votes})


@requires("participation.take_part")
def my_vote(request, uid):
    vote = selectors.resident_vote_get(actor=request.user, uid=uid)
    resident = require_resident(request.user)
    receipt = ""
    error = ""
    status = 200
    if request.method == "POST":
        try:
            _turnout, receipt = services.vote_cast(
                actor=request.user,
                vote=vote,
                choice=request.POST.get("choice"),
                version=_version(request),
            )
        except GridGovError as exc:
            error, status = error_text(exc), exc.status
    mine = selectors.voted(vote=vote, resident=resident)
    is_elector = services._elector_for(vote, resident) is not None
    now = timezone.now()
    return render(
        request,
        "participation/my_vote.html",
        {
            "vote": vote,
            "mine": mine,
            "receipt": receipt,
            "error": error,
            "is_elector": is_elector,
            "can_cast": is_elector
            and mine is None
            and vote.allows_online
            and vote.state == Vote.State.OPEN
            and vote.opens_at <= now < vote.closes_at,
            "options": list(enumerate(vote.options)),
        },
        status=status,
    )


@requires("participation.take_part")
def my_vote_receipt(request, uid):
    vote = selectors.resident_vote_get(actor=request.user, uid=uid)
    require_resident(request.user)
    code = request.POST.get("code", "") if request.method == "POST" else ""
    counted = services.receipt_counted(vote, code) if code else None
    return render(
        request,
        "participation/my_vote_receipt.html",
        {"vote": vote, "code": code, "counted": counted},
    )


# Residents' representatives ----------------------------------------------------------------


@requires("participation.manage")
def representative_list(request):
    """The active representatives of the communities in scope; find a resident of a
    community to designate; end a term."""
    from gridgov.org.models import OrgUnit
    from gridgov.people.models import Resident

    communities = [
        unit
        for unit in OrgUnit.objects.filter(level="community").order_by("code")
        if path_in_scope(request.user, unit.path, "participation.manage")
    ]
    reps = list(
        Representative.objects.visible_to(request.user, "manage")
        .filter(ended_at__isnull=True)
        .select_related("resident__household", "community")
    )
    for rep in reps:
        rep.name_masked = mask_name(rep.resident.name)
    query = request.GET.get("q", "").strip()
    found = []
    if query and communities:
        rows = (
            Resident.objects.visible_to(request.user, "view")
            .active()
            .filter(name__contains=query)
            .select_related("household")[:20]
        )
        found = [
            {
                "uid": r.uid,
                "name": mask_name(r.name),
                "household": r.household.number,
                "community": next(
                    (c for c in communities if r.scope_path.startswith(c.path)), None
                ),
            }
            for r in rows
        ]
        found = [f for f in found if f["community"] is not None]
    return render(
        request,
        "participation/representatives.html",
        {"reps": reps, "query": query, "found": found},
    )


@require_POST
@requires("participation.manage")
def representative_change(request):
    from gridgov.people.models import Resident

    try:
        if request.POST.get("step") == "end":
            rep = access_object(
                request.user,
                Representative.objects.filter(ended_at__isnull=True),
                "manage",
                pk=request.POST.get("representative") or None,
            )
            services.representative_end(actor=request.user, representative=rep)
            messages.success(request, _("The representative's term has ended."))
        else:
            resident = (
                Resident.objects.visible_to(request.user, "view")
                .filter(uid=request.POST.get("resident") or None)
                .first()
            )
            community = _community_of(request.user, resident) if resident else None
            if resident is None or community is None:
                raise NotFound()
            services.representative_designate(
                actor=request.user, community=community, resident=resident
            )
            messages.success(request, _("The resident is designated a representative."))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:representative_list")


def _community_of(actor, resident):
    """The community the resident lives in, if the actor manages participation there."""
    from gridgov.org.models import OrgUnit

    path = resident.scope_path
    prefixes = [path[:n] for n in range(1, len(path) + 1)]
    unit = OrgUnit.objects.filter(level="community", path__in=prefixes).first()
    if unit is None or not path_in_scope(actor, unit.path, "participation.manage"):
        return None
    return unit
