"""Pages of deliberation 议事. Staff (office first, phone-friendly): the topics with their
filters and the red overdue ones, a topic's form, its page with the timeline, proposals,
comments and moderation, the decision and report-back forms, and the proposals queue.
The resident's own (phone first, large touch targets) under /participation/me/: the topics
of their grid and community, one topic with its decision and report-back, proposing,
co-signing and commenting. The pages and the API call the same services."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.masking import mask_name
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_filter, path_in_scope
from gridgov.org.models import OrgUnit
from gridgov.participation import selectors_deliberation as selectors
from gridgov.participation import services_deliberation as services
from gridgov.participation.models import Decision, Proposal, Topic
from gridgov.participation.workflow import TOPIC_MACHINE
from gridgov.residents.selectors import require_resident

PAGE = 100
STEPS = [
    Topic.State.COLLECTING,
    Topic.State.SELECTED,
    Topic.State.DISCUSSING,
    Topic.State.VOTING,
    Topic.State.DECIDED,
    Topic.State.IMPLEMENTING,
    Topic.State.REPORTED,
]


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _steps(topic: Topic) -> list[tuple[str, bool, bool]]:
    if topic.state == Topic.State.REJECTED:
        return [(Topic.State.REJECTED.label, False, True)]
    position = STEPS.index(topic.state)
    return [(s.label, i < position, i == position) for i, s in enumerate(STEPS)]


# Timeline entries that are not steps of the topic's state machine.
LOG_LABELS = {
    "create": _lazy("created"),
    "update": _lazy("particulars changed"),
    "reschedule": _lazy("meeting rescheduled"),
    "add_proposal": _lazy("proposal taken in"),
    "remove_comment": _lazy("comment removed by the moderator"),
    "implementation": _lazy("implementation status"),
    "add_documents": _lazy("documents added"),
    "vote_passed": _lazy("vote closed: passed (voters / electorate)"),
    "vote_failed": _lazy("vote closed: not passed (voters / electorate)"),
    "vote_no_quorum": _lazy("vote closed: no quorum (voters / electorate)"),
}


def _log(topic: Topic) -> list:
    """The timeline with each step and state named in the reader's language."""
    states = dict(Topic.State.choices)
    entries = list(topic.log.all())
    for e in entries:
        step = TOPIC_MACHINE.transitions.get(e.action)
        e.label = step.label if step else LOG_LABELS.get(e.action, e.action)
        e.state_label = states.get(e.to_state, e.to_state)
    return entries


def _errors(exc: GridGovError) -> dict:
    if isinstance(exc, ValidationFailed) and isinstance(exc.details, dict):
        return {k: " ".join(str(m) for m in v) for k, v in exc.details.items()}
    return {}


# Staff ---------------------------------------------------------------------------------


@requires("participation.view")
def topic_list(request):
    state = request.GET.get("state", "")
    unit = request.GET.get("unit", "")
    queue = request.GET.get("queue", "")
    qs = selectors.topic_list(actor=request.user, state=state, unit=unit, queue=queue)
    topics = list(qs[:PAGE])
    for t in topics:
        t.overdue = selectors.is_overdue(t)
    units = OrgUnit.objects.none()
    query = path_filter(request.user, "participation.view")
    if query is not None:
        units = OrgUnit.objects.filter(query).filter(level__in=["community", "grid"])
    return render(
        request,
        "participation/topic_list.html",
        {
            "topics": topics,
            "count": qs.count(),
            "states": Topic.State.choices,
            "state": state,
            "unit": unit,
            "queue": queue,
            "units": units.order_by("path")[:300],
            "can_manage": request.user.has_permission("participation.manage"),
        },
    )


def _topic_posted(request) -> dict:
    keys = (
        "title",
        "description",
        "org_unit",
        "source",
        "meeting_type",
        "meeting_at",
        "meeting_place",
        "resident_reps",
        "experts",
        "merchants",
        "departments",
        "source_event",
        "source_need",
    )
    data = {k: request.POST.get(k, "").strip() for k in keys}
    data["is_major"] = request.POST.get("is_major", "")
    return data


def _topic_form(request, topic, posted, errors, status=200):
    units = OrgUnit.objects.none()
    query = path_filter(request.user, "participation.manage")
    if query is not None:
        units = OrgUnit.objects.filter(query).filter(level__in=["community", "grid"])
    if topic is not None and not posted:
        posted = {
            "title": topic.title,
            "description": topic.description,
            "org_unit": topic.org_unit.code,
            "source": topic.source,
            "meeting_type": topic.meeting_type,
            "meeting_at": timezone.localtime(topic.meeting_at).strftime("%Y-%m-%dT%H:%M")
            if topic.meeting_at
            else "",
            "meeting_place": topic.meeting_place,
            "resident_reps": topic.resident_reps,
            "experts": topic.experts,
            "merchants": topic.merchants,
            "departments": topic.departments,
            "source_event": topic.source_event.uid if topic.source_event_id else "",
            "source_need": topic.source_need.uid if topic.source_need_id else "",
            "is_major": "on" if topic.is_major else "",
        }
    return render(
        request,
        "participation/topic_form.html",
        {
            "topic": topic,
            "posted": posted or {"meeting_type": "online"},
            "errors": errors,
            "units": units.order_by("path")[:300],
            "sources": Topic.Source.choices,
            "meeting_types": Topic.MeetingType.choices,
        },
        status=status,
    )


@requires("participation.manage")
def topic_create(request):
    if request.method == "POST":
        try:
            topic = services.topic_create(actor=request.user, data=_topic_posted(request))
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            return _topic_form(request, None, _topic_posted(request), _errors(exc), status=400)
        messages.success(request, _("Topic created."))
        return redirect("participation:topic_detail", pk=topic.pk)
    return _topic_form(request, None, {}, {})


@requires("participation.manage")
def topic_edit(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    if request.method == "POST":
        try:
            services.topic_update(
                actor=request.user,
                topic=topic,
                data=_topic_posted(request),
                version=_version(request),
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            return _topic_form(request, topic, _topic_posted(request), _errors(exc), status=400)
        messages.success(request, _("Saved."))
        return redirect("participation:topic_detail", pk=topic.pk)
    return _topic_form(request, topic, {}, {})


@requires("participation.view")
def topic_detail(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk)
    can_manage = path_in_scope(request.user, topic.scope_path, "participation.manage")
    offered = TOPIC_MACHINE.offered(request.user, topic)
    decision = Decision.objects.filter(topic=topic).select_related("project", "event").first()
    return render(
        request,
        "participation/topic_detail.html",
        {
            "topic": topic,
            "steps": _steps(topic),
            "overdue": selectors.is_overdue(topic),
            "actions": [
                (a, TOPIC_MACHINE.transitions[a]) for a in offered if a in services.PLAIN_ACTIONS
            ],
            "can_decide": "decide" in offered,
            "can_report": "report_back" in offered and decision is not None,
            "can_manage": can_manage,
            "decision": decision,
            "implementations": Decision.Implementation.choices,
            "proposals": list(topic.proposals.select_related("org_unit")),
            "comments": selectors.comments_of(topic),
            "log": _log(topic),
            "documents": list(topic.documents.all()),
        },
    )


@requires("participation.manage")
@require_POST
def topic_documents(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    try:
        services.topic_documents_add(
            actor=request.user,
            topic=topic,
            files=request.FILES.getlist("documents"),
            title=request.POST.get("title", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Documents added."))
    return redirect("participation:topic_detail", pk=topic.pk)


def _document_response(topic, uid):
    document = topic.documents.filter(uid=uid).first()
    if document is None:
        raise NotFound()
    response = FileResponse(
        io.BytesIO(services.document_content(document)), content_type=document.content_type
    )
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    return response


@requires("participation.view")
def topic_document(request, pk, uid):
    return _document_response(selectors.topic_get(actor=request.user, pk=pk), uid)


@requires("participation.take_part")
def me_document(request, pk, uid):
    resident = require_resident(request.user)
    return _document_response(selectors.resident_topic_get(resident=resident, pk=pk), uid)


@requires("participation.manage")
@require_POST
def topic_action(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    try:
        services.topic_transition(
            actor=request.user,
            topic=topic,
            action=request.POST.get("action", ""),
            version=_version(request),
            reason=request.POST.get("reason", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("participation:topic_detail", pk=topic.pk)


@requires("participation.manage")
def topic_decide(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    posted, errors, status = {}, {}, 200
    if request.method == "POST":
        posted = {
            k: request.POST.get(k, "").strip()
            for k in ("outcome", "summary", "reason", "project", "event")
        }
        try:
            services.decision_record(
                actor=request.user, topic=topic, data=posted, version=_version(request)
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("participation:topic_detail", pk=topic.pk)
    return render(
        request,
        "participation/decision_form.html",
        {
            "topic": topic,
            "posted": posted,
            "errors": errors,
            "outcomes": Decision.Outcome.choices,
        },
        status=status,
    )


@requires("participation.manage")
@require_POST
def topic_implementation(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    try:
        services.decision_implementation(
            actor=request.user,
            topic=topic,
            implementation=request.POST.get("implementation", ""),
            version=_version(request),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("participation:topic_detail", pk=topic.pk)


@requires("participation.manage")
def topic_report(request, pk):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    text, errors, status = "", {}, 200
    if request.method == "POST":
        text = request.POST.get("report_text", "")
        try:
            services.report_back(
                actor=request.user, topic=topic, text=text, version=_version(request)
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("Report-back published."))
            return redirect("participation:topic_detail", pk=topic.pk)
    decision = Decision.objects.filter(topic=topic).first()
    return render(
        request,
        "participation/report_form.html",
        {"topic": topic, "decision": decision, "text": text, "errors": errors},
        status=status,
    )


@requires("participation.manage")
@require_POST
def comment_remove(request, pk, uid):
    topic = selectors.topic_get(actor=request.user, pk=pk, action="manage")
    comment = topic.comments.filter(uid=uid).first()
    if comment is None:
        raise NotFound()
    try:
        services.comment_remove(
            actor=request.user, comment=comment, reason=request.POST.get("reason", "")
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Comment removed."))
    return redirect("participation:topic_detail", pk=topic.pk)


@requires("participation.view")
def proposal_list(request):
    queue = request.GET.get("queue", "candidates")
    state = request.GET.get("state", "")
    qs = selectors.proposal_list(actor=request.user, state=state, queue=queue)
    return render(
        request,
        "participation/proposal_list.html",
        {
            "proposals": list(qs[:PAGE]),
            "count": qs.count(),
            "queue": queue,
            "state": state,
            "states": Proposal.State.choices,
            "can_manage": request.user.has_permission("participation.manage"),
            "can_assist": request.user.has_permission("participation.assist"),
            "open_topics": list(
                selectors.topic_list(actor=request.user).filter(state__in=services.DISCUSSABLE)[
                    :100
                ]
            ),
        },
    )


@requires("participation.assist")
def proposal_assist(request):
    """Staff enter a proposal on a resident's behalf (代办): find the resident by name, then
    write down what they want raised; the proposal is theirs and recorded as entered by
    staff."""
    q = request.GET.get("q", "").strip()
    chosen_uid = request.POST.get("resident") or request.GET.get("resident") or ""
    resident = None
    if chosen_uid:
        resident = selectors.assistable_resident(actor=request.user, uid=chosen_uid)
    posted, errors, status = {}, {}, 200
    if request.method == "POST" and resident is not None:
        posted = {k: request.POST.get(k, "") for k in ("title", "body", "org_unit", "topic")}
        try:
            services.proposal_create(
                actor=request.user, data=posted, on_behalf_of=str(resident.uid)
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("The proposal is submitted on the resident's behalf."))
            return redirect(f"{reverse('participation:proposal_list')}?queue=all")
    found = []
    if resident is None:
        rows = selectors.assistable_residents(actor=request.user, q=q)[:30] if q else []
        found = [(r.uid, mask_name(r.name), r.household.number) for r in rows]
    context = {"q": q, "found": found, "posted": posted, "errors": errors}
    if resident is not None:
        context.update(
            resident=resident,
            resident_masked=mask_name(resident.name),
            units=selectors.resident_units(resident),
            topics=selectors.resident_topic_list(resident=resident, state=Topic.State.COLLECTING),
        )
    return render(request, "participation/proposal_assist.html", context, status=status)


@requires("participation.manage")
@require_POST
def proposal_action(request, uid):
    proposal = selectors.proposal_get(actor=request.user, uid=uid, action="manage")
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    version = _version(request)
    try:
        if action == "hide":
            services.proposal_hide(
                actor=request.user, proposal=proposal, reason=reason, version=version
            )
        elif action == "decline":
            services.proposal_decline(
                actor=request.user, proposal=proposal, reason=reason, version=version
            )
        elif action == "include":
            raw = request.POST.get("topic", "")
            topic = (
                selectors.topic_get(actor=request.user, pk=raw, action="manage")
                if raw.isdigit()
                else None
            )
            services.proposal_include(
                actor=request.user, proposal=proposal, version=version, topic=topic
            )
        else:
            raise ValidationFailed(details={"action": [_("Choose a valid step.")]})
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect(_proposals_url(request.POST.get("queue", "")))


def _proposals_url(queue: str) -> str:
    from django.urls import reverse

    url = reverse("participation:proposal_list")
    return f"{url}?queue={queue}" if queue in ("candidates", "hidden", "all") else url


# The resident's own ---------------------------------------------------------------------


@requires("participation.take_part")
def me_topics(request):
    resident = require_resident(request.user)
    state = request.GET.get("state", "")
    topics = list(selectors.resident_topic_list(resident=resident, state=state)[:PAGE])
    for t in topics:
        t.overdue = selectors.is_overdue(t)
    return render(
        request,
        "participation/me_topics.html",
        {"topics": topics, "states": Topic.State.choices, "state": state},
    )


@requires("participation.take_part")
def me_topic(request, pk):
    resident = require_resident(request.user)
    topic = selectors.resident_topic_get(resident=resident, pk=pk)
    proposals = [
        p
        for p in selectors.resident_proposal_list(resident=resident).filter(topic=topic)
        if p.hidden_at is None
    ]
    return render(
        request,
        "participation/me_topic.html",
        {
            "topic": topic,
            "resident": resident,
            "steps": _steps(topic),
            "decision": Decision.objects.filter(topic=topic).first(),
            "comments": selectors.comments_of(topic),
            "proposals": proposals,
            "documents": list(topic.documents.all()),
            "log": _log(topic),
            "can_comment": topic.state in services.DISCUSSABLE,
            "body": "",
            "errors": {},
        },
    )


@requires("participation.take_part")
@require_POST
def me_comment(request, pk):
    try:
        services.comment_create(actor=request.user, topic_pk=pk, body=request.POST.get("body", ""))
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    except GridGovError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your comment is posted."))
    return redirect("participation:me_topic", pk=pk)


@requires("participation.take_part")
def me_proposals(request):
    resident = require_resident(request.user)
    proposals = list(selectors.resident_proposal_list(resident=resident)[:PAGE])
    signed = {
        p.pk
        for p in proposals
        if any(c.resident_id == resident.pk for c in p.prefetched_cosignatures)
    }
    for p in proposals:
        p.can_cosign = (
            p.pk not in signed
            and p.author_id != resident.pk
            and p.hidden_at is None
            and p.state in services.COSIGNABLE
            and (p.topic is None or p.topic.state in services.DISCUSSABLE)
        )
    return render(
        request,
        "participation/me_proposals.html",
        {
            "proposals": proposals,
            "resident": resident,
            "signed": signed,
            "cosignable": services.COSIGNABLE,
        },
    )


@requires("participation.take_part")
def me_propose(request):
    resident = require_resident(request.user)
    units = selectors.resident_units(resident)
    topics = selectors.resident_topic_list(resident=resident, state=Topic.State.COLLECTING)
    posted, errors, status = {"topic": request.GET.get("topic", "")}, {}, 200
    if request.method == "POST":
        posted = {k: request.POST.get(k, "") for k in ("title", "body", "org_unit", "topic")}
        try:
            services.proposal_create(actor=request.user, data=posted)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("Your proposal is submitted."))
            return redirect("participation:me_proposals")
    return render(
        request,
        "participation/me_propose.html",
        {"units": units, "topics": topics, "posted": posted, "errors": errors},
        status=status,
    )


@requires("participation.take_part")
@require_POST
def me_cosign(request, uid):
    try:
        services.proposal_cosign(actor=request.user, proposal_uid=uid)
    except GridGovError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("You co-signed the proposal."))
    return redirect("participation:me_proposals")
