"""Pages of surveys (调研): staff build, publish, close and read the results of a survey
(small cells hidden, charts, XLSX export), a grid worker enters door-to-door and phone
answers (代填), a resident answers the surveys meant for them (phone first, large type; the
skip rules hold without JavaScript), and anyone answers an anonymous survey's open link or
QR code (throttled per address). The pages and the API call the same services."""

from __future__ import annotations

import io
from datetime import timedelta

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.audit.exports import export_delivered
from gridgov.core.errors import GridGovError, NotFound, ValidationFailed, error_text
from gridgov.core.masking import mask_name
from gridgov.core.permissions import public, requires
from gridgov.core.policies import policy_get
from gridgov.core.ratelimit import AddressThrottle
from gridgov.core.scoping import path_filter, path_in_scope
from gridgov.core.writers import XlsxWriter
from gridgov.org.models import OrgUnit
from gridgov.participation import selectors_surveys as selectors
from gridgov.participation import services_surveys as services
from gridgov.participation.models import Question, Survey, SurveyResponse
from gridgov.participation.survey_subjects import subject_shown


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def posted_answers(request, survey: Survey) -> dict:
    """The form's answers as the services take them ({question id: value or list})."""
    answers: dict = {}
    for q in survey.questions.all():
        name = f"q{q.pk}"
        if q.kind == Question.Kind.MULTIPLE:
            values = [v for v in request.POST.getlist(name) if v]
            if values:
                answers[str(q.pk)] = values
        else:
            value = request.POST.get(name, "")
            if value.strip():
                answers[str(q.pk)] = value
    return answers


def _question_rows(survey: Survey, posted=None, errors=None) -> list[dict]:
    """Each question with its skip rule spelled out (shown when JavaScript is off) and the
    answer already given (after an error)."""
    rows = []
    questions = list(survey.questions.all())
    by_pk = {q.pk: q for q in questions}
    for number, q in enumerate(questions, start=1):
        condition = ""
        if q.show_if_id and q.show_if_id in by_pk:
            source = by_pk[q.show_if_id]
            values = [source.option_label(v) if source.options else v for v in q.show_if_values]
            condition = _("Answer only if your answer to question %(n)s was: %(v)s.") % {
                "n": questions.index(source) + 1,
                "v": " / ".join(values),
            }
        given = posted.getlist(f"q{q.pk}") if posted is not None else []
        rows.append(
            {
                "q": q,
                "number": number,
                "condition": condition,
                "given": given,
                "errors": (errors or {}).get(f"q{q.pk}", []),
                "scale": [str(i) for i in range(1, 6)] if q.kind == Question.Kind.SCALE5 else [],
            }
        )
    return rows


# Staff: list, builder, publish, close -------------------------------------------------------


@requires("participation.view")
def survey_list(request):
    state = request.GET.get("state", "")
    qs = selectors.survey_list(actor=request.user, state=state, q=request.GET.get("q", ""))
    return render(
        request,
        "participation/survey_list.html",
        {
            "surveys": list(qs[:100]),
            "count": qs.count(),
            "state": state,
            "states": Survey.State.choices,
            "can_manage": request.user.has_permission("participation.manage"),
            "can_assist": request.user.has_permission("participation.assist"),
            "service_units": _units(request.user),
        },
    )


@requires("participation.manage")
@require_POST
def survey_satisfaction(request):
    """A draft satisfaction survey about a record (a service resource, a unit's grid
    service), open from today for the policy's default days; staff then adjust and publish."""
    today = timezone.localdate()
    try:
        survey = services.satisfaction_survey_attach(
            actor=request.user,
            subject_type=request.POST.get("subject_type", ""),
            subject_id=request.POST.get("subject_id", ""),
            opens_on=today,
            closes_on=today + timedelta(days=policy_get("participation.surveys").satisfaction_days),
        )
    except NotFound:
        raise
    except GridGovError as exc:
        messages.error(request, error_text(exc, Survey))
        return redirect("participation:survey_list")
    messages.success(request, _("The satisfaction survey was created: check it and publish it."))
    return redirect("participation:survey_detail", uid=survey.uid)


def _units(actor):
    scope = path_filter(actor, "participation.manage")
    if scope is None:
        return []
    return list(
        OrgUnit.objects.filter(scope, level__in=["street", "community", "grid"]).order_by("path")[
            :300
        ]
    )


def _tags():
    from gridgov.people.models import TagCategory

    return list(TagCategory.objects.filter(is_active=True).order_by("sort", "code"))


def _survey_data(request) -> dict:
    post = request.POST
    return {
        "title": post.get("title", ""),
        "purpose": post.get("purpose", ""),
        "intro": post.get("intro", ""),
        "opens_on": post.get("opens_on", ""),
        "closes_on": post.get("closes_on", ""),
        "anonymous": post.get("anonymous", ""),
        "per": post.get("per", "resident"),
        "public_link": post.get("public_link", ""),
        "age_min": post.get("age_min", ""),
        "age_max": post.get("age_max", ""),
        "audience_tags": post.getlist("audience_tags"),
        "audience_units": post.getlist("audience_units"),
    }


def _survey_form(request, survey, errors, posted, status=200):
    return render(
        request,
        "participation/survey_form.html",
        {
            "survey": survey,
            "errors": errors or {},
            "posted": posted,
            "units": _units(request.user),
            "tags": _tags(),
            "purposes": Survey.Purpose.choices,
            "pers": Survey.Per.choices,
            "chosen_units": posted.getlist("audience_units")
            if hasattr(posted, "getlist")
            else [u.code for u in survey.audience_units.all()]
            if survey
            else [],
            "chosen_tags": posted.getlist("audience_tags")
            if hasattr(posted, "getlist")
            else (survey.audience_tags if survey else []),
        },
        status=status,
    )


@requires("participation.manage")
def survey_create(request):
    if request.method == "POST":
        try:
            survey = services.survey_create(
                actor=request.user,
                unit_code=request.POST.get("unit", ""),
                data=_survey_data(request),
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc, Survey))
            return _survey_form(
                request, None, getattr(exc, "details", None), request.POST, status=exc.status
            )
        messages.success(request, _("The survey was created: add its questions."))
        return redirect("participation:survey_detail", uid=survey.uid)
    today = timezone.localdate().isoformat()
    return _survey_form(request, None, None, {"opens_on": today, "closes_on": today})


@requires("participation.manage")
def survey_edit(request, uid):
    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    if request.method == "POST":
        try:
            services.survey_update(
                actor=request.user,
                survey=survey,
                data=_survey_data(request),
                version=_version(request),
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc, Survey))
            return _survey_form(
                request, survey, getattr(exc, "details", None), request.POST, status=exc.status
            )
        messages.success(request, _("The survey was saved."))
        return redirect("participation:survey_detail", uid=survey.uid)
    posted = {
        "title": survey.title,
        "purpose": survey.purpose,
        "intro": survey.intro,
        "opens_on": survey.opens_on.isoformat(),
        "closes_on": survey.closes_on.isoformat(),
        "anonymous": survey.anonymous,
        "per": survey.per,
        "public_link": survey.public_link,
        "age_min": survey.age_min if survey.age_min is not None else "",
        "age_max": survey.age_max if survey.age_max is not None else "",
    }
    return _survey_form(request, survey, None, posted)


@requires("participation.view")
def survey_detail(request, uid):
    survey = selectors.survey_get(actor=request.user, uid=uid)
    can_manage = path_in_scope(request.user, survey.scope_path, "participation.manage")
    return render(
        request,
        "participation/survey_detail.html",
        {
            "survey": survey,
            "rows": _question_rows(survey),
            "can_manage": can_manage,
            "can_edit": can_manage and survey.state == Survey.State.DRAFT,
            "templates": [
                ("awareness", _("Awareness: which grid services can you name? (认知度)")),
                ("trust", _("Trust score 0–100 (信任评分)")),
                ("satisfaction", _("Satisfaction 1–5 (满意度)")),
            ],
            "public_url": request.build_absolute_uri(
                reverse("participation:public_survey", args=[survey.token])
            )
            if survey.public_link and survey.state != Survey.State.DRAFT
            else "",
            "audience_units": list(survey.audience_units.all()),
            "subject": subject_shown(request.user, survey),
        },
    )


def _question_data(request) -> dict:
    post = request.POST
    return {
        "kind": post.get("kind", ""),
        "text": post.get("text", ""),
        "help_text": post.get("help_text", ""),
        "required": post.get("required", ""),
        "options": post.get("options", ""),
        "measures": post.get("measures", ""),
        "show_if": post.get("show_if", ""),
        "show_if_values": post.get("show_if_values", ""),
    }


def _question_form(request, survey, question, errors, posted, status=200):
    earlier = survey.questions.exclude(kind=Question.Kind.TEXT)
    if question is not None:
        earlier = earlier.filter(position__lt=question.position)
    return render(
        request,
        "participation/question_form.html",
        {
            "survey": survey,
            "question": question,
            "errors": errors or {},
            "posted": posted,
            "kinds": Question.Kind.choices,
            "measures": Question.Measures.choices,
            "earlier": list(earlier),
        },
        status=status,
    )


@requires("participation.manage")
def question_create(request, uid):
    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    if request.method == "POST":
        try:
            template = request.POST.get("template", "")
            if template:
                services.question_add_template(actor=request.user, survey=survey, code=template)
            else:
                services.question_add(
                    actor=request.user, survey=survey, data=_question_data(request)
                )
        except GridGovError as exc:
            messages.error(request, error_text(exc, Question))
            if request.POST.get("template"):
                return redirect("participation:survey_detail", uid=survey.uid)
            return _question_form(
                request, survey, None, getattr(exc, "details", None), request.POST, exc.status
            )
        messages.success(request, _("The question was added."))
        return redirect("participation:survey_detail", uid=survey.uid)
    return _question_form(request, survey, None, None, {"required": True})


@requires("participation.manage")
def question_edit(request, uid, qid):
    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    question = survey.questions.filter(pk=qid).first()
    if question is None:
        raise NotFound()
    if request.method == "POST":
        try:
            services.question_update(
                actor=request.user, question=question, data=_question_data(request)
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc, Question))
            return _question_form(
                request, survey, question, getattr(exc, "details", None), request.POST, exc.status
            )
        messages.success(request, _("The question was saved."))
        return redirect("participation:survey_detail", uid=survey.uid)
    posted = {
        "kind": question.kind,
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "options": "\n".join(o["label"] for o in question.options),
        "measures": question.measures,
        "show_if": question.show_if_id or "",
        "show_if_values": ", ".join(question.show_if_values),
    }
    return _question_form(request, survey, question, None, posted)


@require_POST
@requires("participation.manage")
def question_action(request, uid, qid):
    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    question = survey.questions.filter(pk=qid).first()
    if question is None:
        raise NotFound()
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            services.question_delete(actor=request.user, question=question)
        else:
            services.question_move(actor=request.user, question=question, direction=action)
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    return redirect("participation:survey_detail", uid=survey.uid)


@require_POST
@requires("participation.manage")
def survey_action(request, uid):
    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    action = request.POST.get("action", "")
    try:
        if action == "publish":
            survey = services.survey_publish(
                actor=request.user, survey=survey, version=_version(request)
            )
            messages.success(
                request,
                _("The survey was published to %(n)s people or households.")
                % {"n": survey.target_count},
            )
        elif action == "close":
            services.survey_close(actor=request.user, survey=survey, version=_version(request))
            messages.success(request, _("The survey was closed."))
        else:
            raise ValidationFailed(details={"action": [_("Publish or close.")]})
    except GridGovError as exc:
        messages.error(request, error_text(exc, Survey))
    return redirect("participation:survey_detail", uid=survey.uid)


@requires("participation.manage")
def survey_qr(request, uid):
    """The QR code of the open link, as SVG (drawn here; no outside service)."""
    import segno

    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    if not survey.public_link or survey.state == Survey.State.DRAFT:
        raise NotFound()
    url = request.build_absolute_uri(
        reverse("participation:public_survey", args=[survey.token]) + "?via=qr"
    )
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2, title=survey.title)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


# Staff: results and export ----------------------------------------------------------------------


@requires("participation.view")
def survey_results(request, uid):
    survey = selectors.survey_get(actor=request.user, uid=uid)
    results = selectors.survey_results(actor=request.user, survey=survey)
    return render(
        request,
        "participation/survey_results.html",
        {
            "survey": survey,
            "r": results,
            "charts": selectors.chart_data(results),
            "unit_rows": [
                {
                    "label": label,
                    "target": results.unit_targets.get(key, 0),
                    "responses": results.unit_responses[key],
                    "rate": results.unit_rates.get(key),
                }
                for key, label in results.units
            ],
            "question_rows": [
                {
                    "r": q,
                    "units": [
                        (label, q.table.cells.get(key) if q.table else None, q.unit_means.get(key))
                        for key, label in results.units
                        if (q.table and key in q.table.cells) or key in q.unit_means
                    ],
                }
                for q in results.questions
            ],
            "can_export": path_in_scope(request.user, survey.scope_path, "participation.manage"),
        },
    )


def _shown(cell) -> str:
    if cell is None:
        return ""
    return _("hidden (<%(n)s)") % {"n": selectors.min_cell()} if cell.suppressed else cell.count


@require_POST
@requires("participation.manage")
def survey_export(request, uid):
    """The results as XLSX: counts only, the same cells hidden as on the page."""
    survey = selectors.survey_get(actor=request.user, uid=uid, action="manage")
    results = selectors.survey_results(actor=request.user, survey=survey)

    def write(stream, tally):
        book = XlsxWriter()
        summary = book.sheet(_("Response rate"))
        summary.append([_("Unit"), _("Target"), _("Responses"), _("Response rate (%)")])
        for key, label in results.units:
            cell = results.unit_responses[key]
            rate = results.unit_rates.get(key)
            summary.append(
                [
                    label,
                    results.unit_targets.get(key, 0),
                    _shown(cell),
                    "" if rate is None else rate,
                ]
            )
            tally.rows += 1
        answers = book.sheet(_("Answers"))
        answers.append([_("Question"), _("Unit"), _("Answer"), _("Count")])
        for q in results.questions:
            if q.table is not None:
                for code, label in q.options:
                    answers.append(
                        [q.question.text, _("all units"), label, _shown(q.overall[code])]
                    )
                    tally.rows += 1
                for key, unit_label in results.units:
                    cells = q.table.cells.get(key)
                    if not cells:
                        continue
                    for code, label in q.options:
                        answers.append([q.question.text, unit_label, label, _shown(cells[code])])
                        tally.rows += 1
            elif q.mean is not None:
                mean = q.mean
                shown = (
                    _("hidden (<%(n)s)") % {"n": results.minimum}
                    if mean["suppressed"]
                    else mean["value"]
                )
                answers.append([q.question.text, _("all units"), _("mean"), shown])
                tally.rows += 1
        book.save(stream)

    file = export_delivered(
        action="participation.survey.export",
        actor=request.user,
        target_type="participation.survey",
        details={"survey": str(survey.uid), "format": "xlsx", "min_cell": results.minimum},
        write=write,
    )
    name = f"survey-{timezone.localdate():%Y%m%d}-{str(survey.uid)[:8]}.xlsx"
    return FileResponse(
        file,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# Grid worker: door to door, phone, 代填 -----------------------------------------------------------


@requires("participation.assist")
def assist_list(request):
    return render(
        request,
        "participation/assist_list.html",
        {"surveys": list(selectors.surveys_for_assist(actor=request.user)[:50])},
    )


@requires("participation.assist")
def assist_entry(request, uid):
    survey = selectors.survey_for_assist(actor=request.user, uid=uid)
    errors: dict = {}
    posted = None
    status = 200
    if request.method == "POST":
        try:
            services.response_submit_assisted(
                actor=request.user,
                survey=survey,
                resident_uid=request.POST.get("resident", ""),
                channel=request.POST.get("channel", ""),
                answers=posted_answers(request, survey),
            )
        except GridGovError as exc:
            messages.error(request, error_text(exc) if not exc.details else exc.message)
            errors, posted, status = exc.details or {}, request.POST, exc.status
        else:
            messages.success(request, _("The answers were recorded. Thank you."))
            return redirect("participation:assist_entry", uid=survey.uid)
    residents = selectors.assist_residents(
        actor=request.user, survey=survey, q=request.GET.get("q", "")
    )
    return render(
        request,
        "participation/assist_entry.html",
        {
            "survey": survey,
            "rows": _question_rows(survey, posted, errors),
            "errors": errors,
            "residents": [(r.uid, mask_name(r.name), r.household.number) for r in residents],
            "chosen": posted.get("resident", "") if posted else "",
            "channels": [
                c for c in SurveyResponse.Channel.choices if c[0] in SurveyResponse.ASSISTED
            ],
            "channel": posted.get("channel", "door") if posted else "door",
            "q": request.GET.get("q", ""),
        },
        status=status,
    )


# Resident: my surveys ----------------------------------------------------------------------------


def _resident(request):
    from gridgov.residents.selectors import require_resident

    return require_resident(request.user)


@requires("participation.take_part")
def my_surveys(request):
    resident = _resident(request)
    return render(
        request,
        "participation/my_surveys.html",
        {"surveys": selectors.surveys_for_resident(resident=resident)},
    )


@requires("participation.take_part")
def my_survey_answer(request, uid):
    resident = _resident(request)
    survey = selectors.survey_for_resident(resident=resident, uid=uid)
    errors: dict = {}
    posted = None
    status = 200
    if request.method == "POST":
        try:
            services.response_submit_own(
                user=request.user, survey=survey, answers=posted_answers(request, survey)
            )
        except GridGovError as exc:
            errors, posted, status = exc.details or {}, request.POST, exc.status
            messages.error(request, error_text(exc) if not exc.details else exc.message)
        else:
            return redirect("participation:my_survey_thanks", uid=survey.uid)
    answered = dict((s.uid, a) for s, a in selectors.surveys_for_resident(resident=resident))
    return render(
        request,
        "participation/survey_answer.html",
        {
            "survey": survey,
            "rows": _question_rows(survey, posted, errors),
            "errors": errors,
            "answered": answered.get(survey.uid, False),
            "action": reverse("participation:my_survey_answer", args=[survey.uid]),
        },
        status=status,
    )


@requires("participation.take_part")
def my_survey_thanks(request, uid):
    resident = _resident(request)
    survey = selectors.survey_for_resident(resident=resident, uid=uid)
    return render(
        request, "participation/survey_thanks.html", {"survey": survey, "show_mine": True}
    )


# Public link and QR code ------------------------------------------------------------------


# Failed openings and answers sent through public links, per address an hour.
LINK_ATTEMPTS = AddressThrottle(
    "participation:survey", lambda: policy_get("participation.surveys").public_per_ip_per_hour
)


@public
def public_survey(request, token):
    refused = LINK_ATTEMPTS.refusal(
        request,
        lambda message: render(request, "participation/survey_thanks.html", {"error": message}),
    )
    if refused is not None:
        return refused
    try:
        survey = services.survey_for_link(token)
    except NotFound as exc:
        LINK_ATTEMPTS.count(request)
        raise Http404() from exc
    errors: dict = {}
    posted = None
    status = 200
    via = "qr" if request.GET.get("via") == "qr" else "h5"
    if request.method == "POST":
        LINK_ATTEMPTS.count(request)
        try:
            services.response_submit_public(
                token=token,
                answers=posted_answers(request, survey),
                channel=request.POST.get("via", via),
                user=request.user,
            )
        except GridGovError as exc:
            errors, posted, status = exc.details or {}, request.POST, exc.status
            messages.error(request, error_text(exc) if not exc.details else exc.message)
        else:
            return render(request, "participation/survey_thanks.html", {"survey": survey})
    return render(
        request,
        "participation/survey_answer.html",
        {
            "survey": survey,
            "rows": _question_rows(survey, posted, errors),
            "errors": errors,
            "answered": False,
            "closed": survey.state != Survey.State.PUBLISHED,
            "action": reverse("participation:public_survey", args=[survey.token]),
            "via": via,
        },
        status=status,
    )
