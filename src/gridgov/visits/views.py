"""Visit pages: the grid worker's phone list of today's visits, the visit form, a visit's
record with its review, and the review queue. The form and the API call the same services."""

from __future__ import annotations

import io
import json
import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.masking import mask_name
from gridgov.core.permissions import requires
from gridgov.people.models import Resident
from gridgov.visits import selectors, services
from gridgov.visits.models import Indicator, IndicatorCategory, Visit, VisitAttachment
from gridgov.visits.workflow import MACHINE


@requires("visits.collect")
def today(request):
    cards = selectors.worker_today(actor=request.user)
    return render(
        request,
        "visits/today.html",
        {
            "cards": cards,
            "overdue": sum(c.overdue for c in cards),
            "returned": list(selectors.returned_to_me(actor=request.user)[:50]),
            "returned_count": selectors.returned_to_me(actor=request.user).count(),
        },
    )


def _form_value(indicator: Indicator, request) -> tuple[bool, object]:
    """(answered, value) of one indicator from the form."""
    key = f"a_{indicator.code}"
    if indicator.value_type == Indicator.Type.MULTI:
        values = request.POST.getlist(key)
        return bool(values), values
    raw = request.POST.get(key, "").strip()
    if raw == "":
        return False, None
    if indicator.value_type == Indicator.Type.BOOLEAN:
        return True, {"yes": True, "no": False}.get(raw, raw)
    if indicator.value_type in (Indicator.Type.INTEGER, Indicator.Type.DECIMAL):
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return True, raw  # refused by the service, naming the indicator
        if indicator.value_type == Indicator.Type.INTEGER:
            return True, int(number) if number == number.to_integral_value() else float(number)
        return True, float(number)
    return True, raw


def _sections(household, short: bool, allowed: bool):
    indicators = Indicator.objects.filter(is_active=True).select_related("category")
    if short:
        indicators = indicators.filter(short_form=True)
    sections = []
    for category in IndicatorCategory.objects.all():
        rows = [i for i in indicators if i.category_id == category.pk]
        shown = [i for i in rows if allowed or not i.is_sensitive]
        if shown:
            sections.append(
                {"category": category, "indicators": shown, "hidden": len(rows) - len(shown)}
            )
    return sections


def _visit_input(request, household, members, *, short: bool, allowed: bool):
    """The visit form's fields as the record the services take (the phone's outbox builds the
    same record in visit_outbox.js, for the same service)."""
    answers = {}
    for section in _sections(household, short, allowed):
        for indicator in section["indicators"]:
            answered, value = _form_value(indicator, request)
            if answered:
                answers[indicator.code] = value
    corrections = []
    for member in members:
        if request.POST.get(f"confirm_{member.uid}"):
            corrections.append({"resident": str(member.uid), "confirm": True})
        phone = request.POST.get(f"phone_{member.uid}", "").strip()
        if phone:
            corrections.append({"resident": str(member.uid), "field": "phone", "value": phone})
    try:
        versions = json.loads(request.POST.get("versions", "{}"))
    except ValueError:
        versions = {}
    outcome = request.POST.get("outcome", "")
    need = request.POST.get("need", "").strip()
    problem = request.POST.get("problem", "").strip()
    now = timezone.now()
    return services.VisitInput(
        client_uuid=request.POST.get("client_uuid", ""),
        household=str(household.uid),
        outcome=outcome,
        started_at=request.POST.get("started_at", "") or now.isoformat(),
        ended_at=now.isoformat(),
        channel="paper" if short else "app",
        refusal_reason=request.POST.get("refusal_reason", "") if outcome == "refused" else "",
        note=request.POST.get("note", ""),
        notice_given=bool(request.POST.get("notice_given")),
        commitment_signed=bool(request.POST.get("commitment_signed")),
        versions=versions if isinstance(versions, dict) else {},
        answers=answers if outcome in ("completed", "partial") else {},
        corrections=corrections,
        needs=[{"category": "", "text": need}] if need else [],
        problems=[{"title": problem}] if problem else [],
    )


@requires("visits.collect")
def visit_form(request, uid):
    household = services.household_for(request.user, uid)
    short = request.GET.get("form") == "short" or request.POST.get("form") == "short"
    allowed = services.sensitive_allowed(household)
    members = list(Resident.objects.visible_to(request.user).active().filter(household=household))
    errors = None
    if request.method == "POST":
        data = _visit_input(request, household, members, short=short, allowed=allowed)
        # A second tap on the button sends the same client id: show the stored visit.
        stored = selectors.own_visit(actor=request.user, client_uuid=data.client_uuid)
        if stored is not None:
            return redirect("visits:visit_detail", uid=stored.uid)
        try:
            visit, _created = services.visit_submit(actor=request.user, data=data)
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The visit was recorded and waits for review."))
            return redirect("visits:visit_detail", uid=visit.uid)
    versions = {str(household.uid): household.version} | {str(m.uid): m.version for m in members}
    return render(
        request,
        "visits/visit_form.html",
        {
            "household": household,
            "members": [{"r": m, "name": mask_name(m.name)} for m in members],
            "sections": _sections(household, short, allowed),
            "short": short,
            "sensitive_allowed": allowed,
            "outcomes": Visit.Outcome.choices,
            "refusal_reasons": Visit.RefusalReason.choices,
            "client_uuid": request.POST.get("client_uuid") or str(uuid.uuid4()),
            "started_at": request.POST.get("started_at") or timezone.now().isoformat(),
            "versions": json.dumps(versions),
            "posted": request.POST if request.method == "POST" else {},
            "errors": errors,
        },
    )


@requires("visits.collect")
def paper_form(request, uid):
    """The short paper form of one household, pre-filled and printable (PDF) for elders who
    will not use a phone: who lives there (masked), the short form's questions with boxes
    to tick, signatures. Entered later on the short form's screen; printing is audited."""
    from django.conf import settings
    from django.db import transaction
    from django.http import HttpResponse
    from django.template.loader import render_to_string

    from gridgov.audit.services import audit_record
    from gridgov.core.writers import pdf_bytes

    household = services.household_for(request.user, uid)
    allowed = services.sensitive_allowed(household)
    members = Resident.objects.visible_to(request.user).active().filter(household=household)
    html = render_to_string(
        "visits/paper_form_pdf.html",
        {
            "household": household,
            "members": [{"r": m, "name": mask_name(m.name)} for m in members],
            "sections": _sections(household, True, allowed),
            "outcomes": Visit.Outcome.choices,
            "printed_at": timezone.localtime(),
            "printed_by": request.user,
        },
        request=request,
    )
    pdf = pdf_bytes(html, base_url=str(settings.BASE_DIR))
    with transaction.atomic():
        audit_record(
            "visits.paper_form.print",
            actor=request.user,
            target=household,
            changes={"household": household.number, "bytes": len(pdf)},
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="visit-{household.number}.pdf"'
    return response


@requires("visits.assign")
def task_board(request):
    """The open visit tasks of the actor's area, overdue first: who has each, and the means
    to give it to another worker of its grid or cancel it."""
    from gridgov.people.models import Household

    if request.method == "POST":
        try:
            uid = uuid.UUID(request.POST.get("task", ""))
        except ValueError:
            raise NotFound() from None
        task = selectors.task_get(actor=request.user, uid=uid, action="assign")
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            if request.POST.get("action") == "cancel":
                services.task_cancel(
                    actor=request.user,
                    task=task,
                    version=version,
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("The visit task was cancelled."))
            else:
                services.task_reassign(
                    actor=request.user,
                    task=task,
                    assignee=request.POST.get("assignee", ""),
                    version=version,
                )
                messages.success(request, _("The visit task was given to another worker."))
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        return redirect("visits:task_board")
    today = timezone.localdate()
    tasks = list(selectors.task_list(actor=request.user)[:300])
    grids = {
        h.pk: h.grid
        for h in Household.objects.filter(pk__in=[t.household_id for t in tasks]).select_related(
            "grid"
        )
    }
    workers: dict[int, list] = {}
    rows = []
    for task in sorted(tasks, key=lambda t: (t.due_date >= today, t.due_date, t.household.number)):
        grid = grids[task.household_id]
        if grid.pk not in workers:
            workers[grid.pk] = services.collectors(grid)
        rows.append(
            {
                "task": task,
                "grid": grid,
                "overdue": task.due_date < today,
                "workers": workers[grid.pk],
            }
        )
    return render(
        request,
        "visits/task_board.html",
        {"rows": rows, "overdue": sum(r["overdue"] for r in rows)},
    )


@requires("visits.spot_check")
def spot_check_list(request):
    """The checker's list: the sampled visits waiting for a check, what was checked, the
    per-collector accuracy, and a form to draw a community's sample for a period."""
    from gridgov.core.scoping import path_filter
    from gridgov.org.models import OrgUnit

    query = path_filter(request.user, "visits.spot_check", "path")
    communities = (
        OrgUnit.objects.filter(query, level=OrgUnit.Level.COMMUNITY).order_by("code")
        if query is not None
        else OrgUnit.objects.none()
    )
    errors = None
    if request.method == "POST":
        community = communities.filter(code=request.POST.get("community", "")).first()
        if community is None:
            errors = {"community": [_("Choose a community.")]}
        else:
            try:
                draw = services.spot_check_draw(
                    actor=request.user,
                    community=community,
                    period_label=request.POST.get("period", "").strip(),
                )
            except ValidationFailed as exc:
                errors = exc.details
            else:
                messages.success(
                    request,
                    _("Sample drawn: %(n)d visits of %(total)d (seed %(seed)s).")
                    % {"n": draw.checks.count(), "total": draw.population, "seed": draw.seed[:12]},
                )
                return redirect("visits:spot_check_list")
    return render(
        request,
        "visits/spot_check_list.html",
        {
            "pending": list(selectors.spot_check_list(actor=request.user)[:200]),
            "done": list(
                selectors.spot_check_list(actor=request.user, pending_only=False)
                .filter(checked_at__isnull=False)
                .order_by("-checked_at")[:50]
            ),
            "accuracy": selectors.collector_accuracy(actor=request.user),
            "communities": communities,
            "period": timezone.localdate().strftime("%Y-%m"),
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
        },
    )


@requires("visits.spot_check")
def spot_check_record(request, uid):
    """One sampled visit: each answer and correction as recorded, and the checker's
    finding (matches or not) per field."""
    check = selectors.spot_check_get(actor=request.user, uid=uid)
    visit = check.visit
    answers = selectors.visit_answers(actor=request.user, visit=visit)
    errors = None
    if request.method == "POST":
        fields = {
            a["code"]: request.POST.get(f"f_{a['code']}") == "match"
            for a in answers
            if request.POST.get(f"f_{a['code']}") in ("match", "mismatch")
        }
        try:
            services.spot_check_record(actor=request.user, check=check, fields=fields)
        except ValidationFailed as exc:
            errors = exc.details
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Spot check recorded."))
            return redirect("visits:spot_check_list")
    return render(
        request,
        "visits/spot_check_record.html",
        {"check": check, "visit": visit, "answers": answers, "errors": errors},
    )


@requires("visits.view")
def visit_detail(request, uid):
    from gridgov.core.policies import policy_get
    from gridgov.core.scoping import path_in_scope

    visit = selectors.visit_get(actor=request.user, uid=uid)
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "answers": selectors.visit_answers(actor=request.user, visit=visit),
            "corrections": visit.corrections.filter(round=visit.round).select_related("resident"),
            "reviews": visit.reviews.select_related("reviewer"),
            "events": visit.raised_events.all(),
            "offered": MACHINE.offered(request.user, visit),
            "attachments": selectors.attachment_list(actor=request.user, visit=visit),
            "can_attach": visit.state != Visit.State.APPROVED
            and path_in_scope(request.user, visit.scope_path, "visits.collect"),
            "attachment_limits": policy_get("visits.attachments"),
            "attachment_kinds": VisitAttachment.Kind.choices,
        },
    )


@requires("visits.collect")
@require_POST
def visit_attach(request, uid):
    """Add scans of the paper form or photos to a visit record (its record page)."""
    visit = selectors.visit_get(actor=request.user, uid=uid, action="collect")
    try:
        added = services.visit_attach(
            actor=request.user,
            visit=visit,
            files=request.FILES.getlist("file"),
            kind=request.POST.get("kind", ""),
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("%(n)d file(s) added.") % {"n": len(added)})
    return redirect("visits:visit_detail", uid=visit.uid)


@requires("visits.view")
def attachment_file(request, uid):
    """A scan or photo of a visit, for those who may see the visit (never a public media
    URL); opening it is audited. Photos open in the page, scans are downloaded."""
    from django.http import FileResponse

    attachment = selectors.attachment_get(actor=request.user, uid=uid)
    data = services.attachment_content(actor=request.user, attachment=attachment)
    response = FileResponse(
        io.BytesIO(data),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=f"visit-{attachment.visit.household.number}-{attachment.pk}.{attachment.extension}",
    )
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@requires("visits.review")
@require_POST
def visit_review(request, uid):
    visit = selectors.visit_get(actor=request.user, uid=uid, action="review")
    comment = request.POST.get("comment", "").strip()
    field = request.POST.get("field", "").strip() or "record"
    try:
        services.visit_review(
            actor=request.user,
            visit=visit,
            decision=request.POST.get("decision", ""),
            version=int(v) if (v := request.POST.get("version", "")).isdigit() else -1,
            comments={field: comment} if comment else {},
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Review recorded."))
    return redirect("visits:visit_detail", uid=visit.uid)


@requires("visits.review")
@require_POST
def conflict_resolve(request, uid):
    """The conflict queue's decision: take the visit's value or keep the registry's."""
    correction = selectors.correction_get(actor=request.user, uid=uid)
    try:
        services.correction_resolve(
            actor=request.user, correction=correction, take=request.POST.get("take", "")
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("visits:review_queue")


@requires("visits.review")
def review_queue(request):
    return render(
        request,
        "visits/review_queue.html",
        {
            "visits": list(selectors.review_queue(actor=request.user)[:200]),
            "conflicts": list(selectors.conflict_list(actor=request.user)[:200]),
        },
    )
