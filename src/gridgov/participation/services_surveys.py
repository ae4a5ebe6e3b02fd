"""Surveys 调研 — the writes: build a draft, publish it (questions frozen, audience counted
from the registry and frozen), close it, and record a response from any channel.

Every write checks the permission in scope, validates with a message per field, and runs
in one transaction with its audit record. A response is checked against the published
version: the type of each answer, required questions, skip rules, the audience, the
dates and the one-response rule (a unique constraint on the respondent's keyed hash)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.crypto import blind_index
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_filter, path_in_scope, require_in_scope
from gridgov.org.models import OrgUnit
from gridgov.participation.models import (
    Question,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyTarget,
)
from gridgov.participation.signals import survey_answered
from gridgov.participation.survey_subjects import survey_subject
from gridgov.people.models import Resident, ResidentTag

K = Question.Kind
MAX_TEXT = 2000


# Respondents ---------------------------------------------------------------------------


def respondent_key(survey: Survey, resident: Resident) -> str:
    """The keyed hash (HMAC-SM3) that stands for the person or household in this survey:
    the same person always gives the same key, and the key says nothing without the key
    file."""
    subject = resident.household.uid if survey.per == Survey.Per.HOUSEHOLD else resident.uid
    return blind_index(f"{survey.uid}:{subject}", purpose="participation.survey")


def _years_ago(years: int, today: date) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def audience_residents(survey: Survey):
    """The registry's active residents the survey is meant for (its units, tags, ages)."""
    units = list(survey.audience_units.all()) or [survey.org_unit]
    query = Q()
    for unit in units:
        query |= Q(scope_path__startswith=unit.path)
    residents = Resident.objects.active().filter(query)
    today = timezone.localdate()
    if survey.age_min is not None:
        residents = residents.filter(birth_date__lte=_years_ago(survey.age_min, today))
    if survey.age_max is not None:
        residents = residents.filter(birth_date__gt=_years_ago(survey.age_max + 1, today))
    if survey.audience_tags:
        tagged = ResidentTag.objects.filter(category__code__in=survey.audience_tags).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
        residents = residents.filter(pk__in=tagged.values("resident_id"))
    return residents


# Drafts -----------------------------------------------------------------------------------

SURVEY_FIELDS = (
    "title",
    "purpose",
    "intro",
    "opens_on",
    "closes_on",
    "anonymous",
    "per",
    "public_link",
    "age_min",
    "age_max",
)


def _unit(actor, code: str, field: str) -> OrgUnit:
    scope = path_filter(actor, "participation.manage")
    unit = OrgUnit.objects.filter(scope, code=code).first() if scope is not None else None
    if unit is None:
        raise ValidationFailed(
            details={field: [_("Choose a unit in your area (%(c)s is not).") % {"c": code}]}
        )
    return unit


def _date(value, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        errors.setdefault(field, []).append(_("Give a date as YYYY-MM-DD."))
        return None


def _clean_survey(actor, data: dict, current: Survey | None) -> dict:
    errors: dict[str, list] = {}
    clean: dict[str, Any] = {}
    title = str(data.get("title", current.title if current else "") or "").strip()
    if not title or len(title) > 120:
        errors["title"] = [_("Give a title of at most 120 characters.")]
    clean["title"] = title
    purpose = data.get("purpose", current.purpose if current else "")
    if purpose not in Survey.Purpose.values:
        errors["purpose"] = [_("Choose one of the purposes.")]
    clean["purpose"] = purpose
    clean["intro"] = str(data.get("intro", current.intro if current else "") or "")[:2000]
    opens = _date(data.get("opens_on", current.opens_on if current else None), "opens_on", errors)
    closes = _date(
        data.get("closes_on", current.closes_on if current else None), "closes_on", errors
    )
    if opens and closes and closes < opens:
        errors["closes_on"] = [_("The survey must close on or after the day it opens.")]
    clean["opens_on"], clean["closes_on"] = opens, closes
    clean["anonymous"] = _flag(data.get("anonymous", current.anonymous if current else False))
    per = data.get("per", current.per if current else Survey.Per.RESIDENT) or "resident"
    if per not in Survey.Per.values:
        errors["per"] = [_("One response per resident or per household.")]
    clean["per"] = per
    clean["public_link"] = _flag(data.get("public_link", current.public_link if current else False))
    if clean["public_link"] and not clean["anonymous"]:
        errors["public_link"] = [
            _("Only an anonymous survey can be answered through an open link or QR code.")
        ]
    for field in ("age_min", "age_max"):
        raw = data.get(field, getattr(current, field) if current else None)
        if raw in (None, ""):
            clean[field] = None
            continue
        try:
            clean[field] = int(raw)
            if not 0 <= clean[field] <= 120:
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = [_("Give an age from 0 to 120.")]
    if (
        clean.get("age_min") is not None
        and clean.get("age_max") is not None
        and clean["age_max"] < clean["age_min"]
    ):
        errors["age_max"] = [_("The oldest age must not be below the youngest.")]
    tags = data.get("audience_tags", current.audience_tags if current else [])
    tags = [t for t in (tags or []) if t]
    from gridgov.people.models import TagCategory

    known = set(TagCategory.objects.filter(code__in=tags).values_list("code", flat=True))
    unknown = [t for t in tags if t not in known]
    if unknown:
        errors["audience_tags"] = [_("Unknown tags: %(t)s.") % {"t": ", ".join(unknown)}]
    clean["audience_tags"] = sorted(set(tags))
    units = data.get("audience_units")
    if units is not None:
        clean["audience_units"] = []
        for code in [u for u in units if u]:
            try:
                clean["audience_units"].append(_unit(actor, code, "audience_units"))
            except ValidationFailed as exc:
                errors.setdefault("audience_units", []).extend(exc.details["audience_units"])
    if errors:
        raise ValidationFailed(details=errors)
    return clean


def _flag(value) -> bool:
    return value in (True, "on", "true", "1", 1, "yes")


def survey_create(*, actor, unit_code: str, data: dict) -> Survey:
    unit = _unit(actor, unit_code, "unit")
    clean = _clean_survey(actor, data, None)
    units = clean.pop("audience_units", [])
    with transaction.atomic():
        survey = Survey.objects.create(org_unit=unit, created_by=actor, **clean)
        _check_audience_in(survey, units)
        survey.audience_units.set(units)
        audit_record(
            "participation.survey.create",
            actor=actor,
            target=survey,
            changes={"title": survey.title, "purpose": survey.purpose},
        )
    return survey


def _check_audience_in(survey: Survey, units: list[OrgUnit]) -> None:
    outside = [u.code for u in units if not u.path.startswith(survey.org_unit.path)]
    if outside:
        raise ValidationFailed(
            details={
                "audience_units": [
                    _("Audience units must lie inside the unit running the survey: %(u)s.")
                    % {"u": ", ".join(outside)}
                ]
            }
        )


def _locked_draft(actor, survey: Survey, version: int | None) -> Survey:
    current = Survey.objects.select_for_update().get(pk=survey.pk)
    require_in_scope(actor, current.scope_path, "participation.manage")
    if version is not None and current.version != version:
        raise Conflict()
    if current.state != Survey.State.DRAFT:
        raise Conflict(
            _("A published survey cannot be edited: its answers refer to this version."),
            code="not_a_draft",
        )
    return current


def _touch(survey: Survey, actor, changes: dict) -> None:
    survey.version += 1
    survey.save()
    audit_record("participation.survey.change", actor=actor, target=survey, changes=changes)


def survey_update(*, actor, survey: Survey, data: dict, version: int | None) -> Survey:
    with transaction.atomic():
        current = _locked_draft(actor, survey, version)
        clean = _clean_survey(actor, data, current)
        units = clean.pop("audience_units", None)
        for field, value in clean.items():
            setattr(current, field, value)
        if units is not None:
            _check_audience_in(current, units)
            current.audience_units.set(units)
        _touch(current, actor, {"fields": sorted(clean)})
    return current


# Questions --------------------------------------------------------------------------------


def _options(raw, kind: str, errors: dict) -> list[dict]:
    if kind not in (K.SINGLE, K.MULTIPLE):
        return []
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines() if line.strip()]
    options = []
    for i, item in enumerate(raw or []):
        if isinstance(item, dict):
            code, label = str(item.get("code") or "").strip(), str(item.get("label") or "")
        else:
            code, label = "", str(item)
        label = label.strip()[:120]
        options.append({"code": code[:20] or f"o{i + 1}", "label": label})
    if len(options) < 2 or any(not o["label"] for o in options):
        errors["options"] = [_("A choice question needs at least two options, one a line.")]
    if len({o["code"] for o in options}) != len(options):
        errors["options"] = [_("Two options have the same code.")]
    return options


def _clean_question(survey: Survey, data: dict, current: Question | None) -> dict:
    errors: dict[str, list] = {}
    kind = data.get("kind", current.kind if current else "")
    if kind not in K.values:
        errors["kind"] = [_("Choose a kind of question.")]
    text = str(data.get("text", current.text if current else "") or "").strip()
    if not text or len(text) > 300:
        errors["text"] = [_("Write the question (at most 300 characters).")]
    measures = data.get("measures", current.measures if current else "") or ""
    if measures not in Question.Measures.values:
        errors["measures"] = [_("Choose an indicator or none.")]
    needed = {"satisfaction": K.SCALE5, "trust": K.SCALE100}
    if measures in needed and kind != needed[measures]:
        errors["measures"] = [
            _("This indicator needs a question of the kind “%(k)s”.")
            % {"k": K(needed[measures]).label}
        ]
    if measures == "awareness" and kind not in (K.MULTIPLE, K.NUMBER):
        errors["measures"] = [_("Awareness is a multiple choice of services or a count.")]
    options = _options(data.get("options", current.options if current else []), kind, errors)
    show_if = None
    raw_if = data.get("show_if", current.show_if_id if current else None)
    values = data.get("show_if_values", current.show_if_values if current else []) or []
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if raw_if not in (None, "", 0, "0"):
        show_if = survey.questions.filter(pk=_int_or_none(raw_if)).first()
        if show_if is None or (current is not None and show_if.pk == current.pk):
            errors["show_if"] = [_("Choose an earlier question of this survey.")]
        elif current is not None and show_if.position >= current.position:
            errors["show_if"] = [_("A question can depend only on an earlier question.")]
        elif show_if.kind == K.TEXT:
            errors["show_if"] = [_("A question cannot depend on a text answer.")]
        elif not values:
            errors["show_if_values"] = [_("Give the answers that show this question.")]
        elif show_if.kind in (K.SINGLE, K.MULTIPLE):
            codes = {o["code"] for o in show_if.options}
            if not set(values) <= codes:
                errors["show_if_values"] = [
                    _("Use the option codes of the earlier question: %(c)s.")
                    % {"c": ", ".join(sorted(codes))}
                ]
    if errors:
        raise ValidationFailed(details=errors)
    return {
        "kind": kind,
        "text": text,
        "help_text": str(data.get("help_text", current.help_text if current else "") or "")[:300],
        "required": _flag(data.get("required", current.required if current else True)),
        "options": options,
        "measures": measures,
        "show_if": show_if,
        "show_if_values": [str(v) for v in values] if show_if else [],
    }


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def question_add(*, actor, survey: Survey, data: dict) -> Question:
    with transaction.atomic():
        current = _locked_draft(actor, survey, None)
        if current.questions.count() >= policy_get("participation.surveys").max_questions:
            raise ValidationFailed(
                details={"text": [_("This survey has all the questions it may hold.")]}
            )
        clean = _clean_question(current, data, None)
        last = current.questions.order_by("-position").first()
        question = Question.objects.create(
            survey=current, position=(last.position + 1) if last else 1, **clean
        )
        _touch(current, actor, {"question_added": question.pk})
    return question


def question_update(*, actor, question: Question, data: dict) -> Question:
    with transaction.atomic():
        survey = _locked_draft(actor, question.survey, None)
        clean = _clean_question(survey, data, question)
        for field, value in clean.items():
            setattr(question, field, value)
        question.save()
        _touch(survey, actor, {"question_changed": question.pk})
    return question


def question_delete(*, actor, question: Question) -> None:
    with transaction.atomic():
        survey = _locked_draft(actor, question.survey, None)
        dependants = survey.questions.filter(show_if=question).count()
        if dependants:
            raise Conflict(
                _("Other questions depend on this one: change their skip rules first."),
                code="has_dependants",
            )
        pk = question.pk
        question.delete()
        _touch(survey, actor, {"question_deleted": pk})


def question_move(*, actor, question: Question, direction: str) -> None:
    """Move a question one place up or down; a skip rule still points only backwards."""
    if direction not in ("up", "down"):
        raise ValidationFailed(details={"direction": [_("Up or down.")]})
    with transaction.atomic():
        survey = _locked_draft(actor, question.survey, None)
        ordered = list(survey.questions.all())
        index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(ordered):
            return
        ordered[index], ordered[other] = ordered[other], ordered[index]
        seen: set[int] = set()
        for q in ordered:
            if q.show_if_id and q.show_if_id not in seen:
                raise Conflict(
                    _("“%(q)s” depends on the question it would move above.") % {"q": q.text},
                    code="skip_rule_order",
                )
            seen.add(q.pk)
        for position, q in enumerate(ordered, start=1):
            if q.position != position:
                Question.objects.filter(pk=q.pk).update(position=position)
        _touch(survey, actor, {"question_moved": question.pk, "direction": direction})


# Built-in questions other parts reuse ---------------------------------------------------------


def _service_options(survey: Survey) -> list[dict]:
    """The grid services a resident may name: the need categories of the lists in force
    (the service catalogue), else a short standard list."""
    from gridgov.lists.models import NeedCategory

    rows = NeedCategory.objects.filter(is_active=True).order_by("sort", "pk")[:12]
    options = [{"code": f"s{c.pk}", "label": c.name} for c in rows]
    if len(options) >= 3:
        return options
    return [
        {"code": code, "label": label}
        for code, label in [
            ("events", "问题上报与处置"),
            ("elderly", "养老助老服务"),
            ("visits", "入户走访"),
            ("services", "便民服务"),
            ("safety", "平安巡查"),
            ("policy", "政策宣传"),
        ]
    ]


def template_question(code: str, survey: Survey) -> dict:
    """The standard questions: 认知度 (which of your grid's services can you name?), 信任评分
    (0–100) and a 1–5 satisfaction item, worded in the language of the person adding them."""
    if code == "awareness":
        return {
            "kind": K.MULTIPLE,
            "text": _("Which of your grid's services can you name? (tick every one you know)"),
            "options": _service_options(survey),
            "measures": "awareness",
            "required": True,
        }
    if code == "trust":
        return {
            "kind": K.SCALE100,
            "text": _("How much do you trust your grid's work? (a score from 0 to 100)"),
            "measures": "trust",
            "required": True,
        }
    if code == "satisfaction":
        return {
            "kind": K.SCALE5,
            "text": _("How satisfied are you with this service? (1–5)"),
            "measures": "satisfaction",
            "required": True,
        }
    raise ValidationFailed(details={"template": [_("Unknown standard question.")]})


TEMPLATES = ("awareness", "trust", "satisfaction")


def question_add_template(*, actor, survey: Survey, code: str) -> Question:
    return question_add(actor=actor, survey=survey, data=template_question(code, survey))


def satisfaction_survey_attach(
    *,
    actor,
    subject_type: str,
    subject_id: str,
    opens_on: date,
    closes_on: date,
    title: str = "",
    anonymous: bool = True,
) -> Survey:
    """A draft satisfaction survey about one record of another part of the product (a
    service resource, a unit's grid service, a chat group …; ``survey_subjects``), run by
    the record's unit for its residents, with the standard satisfaction item; staff add
    questions and publish it."""
    subject = survey_subject(actor, subject_type, subject_id)
    with transaction.atomic():
        survey = survey_create(
            actor=actor,
            unit_code=subject.unit.code,
            data={
                "title": title or _("Satisfaction with %(subject)s") % {"subject": subject.label},
                "purpose": Survey.Purpose.SATISFACTION,
                "opens_on": opens_on,
                "closes_on": closes_on,
                "anonymous": anonymous,
            },
        )
        survey.subject_type, survey.subject_id = subject_type, str(subject_id).strip()
        survey.save(update_fields=["subject_type", "subject_id"])
        question_add_template(actor=actor, survey=survey, code="satisfaction")
    return survey


# Publish and close ----------------------------------------------------------------------------


def survey_publish(*, actor, survey: Survey, version: int | None) -> Survey:
    """Freeze the questions and the audience: one target row per person (or household) of
    the registry the survey is meant for, identified only by the keyed hash."""
    with transaction.atomic():
        current = _locked_draft(actor, survey, version)
        questions = list(current.questions.all())
        errors: dict[str, list] = {}
        if not questions:
            errors["questions"] = [_("Add at least one question before publishing.")]
        if current.closes_on < timezone.localdate():
            errors["closes_on"] = [_("The closing day has passed.")]
        residents = list(audience_residents(current).select_related("household"))
        targets: dict[str, SurveyTarget] = {}
        now = timezone.now()
        grids = {}
        for resident in residents:
            key = respondent_key(current, resident)
            if key in targets:
                continue
            grid_id = resident.household.grid_id
            grids.setdefault(grid_id, resident.household.scope_path)
            targets[key] = SurveyTarget(
                survey=current,
                respondent_key=key,
                unit_id=grid_id,
                scope_path=resident.household.scope_path,
                published_at=now,
            )
        if not targets:
            errors["audience"] = [_("Nobody in the registry matches the audience.")]
        if len(targets) > policy_get("participation.surveys").max_target:
            errors["audience"] = [_("The audience is larger than the policy allows.")]
        if errors:
            raise ValidationFailed(details=errors)
        SurveyTarget.objects.bulk_create(targets.values(), batch_size=2000)
        current.state = Survey.State.PUBLISHED
        current.published_version += 1
        current.published_at = now
        current.target_count = len(targets)
        current.version += 1
        current.save()
        audit_record(
            "participation.survey.publish",
            actor=actor,
            target=current,
            changes={"version": current.published_version, "target": current.target_count},
        )
    return current


def survey_close(*, actor, survey: Survey, version: int | None) -> Survey:
    with transaction.atomic():
        current = Survey.objects.select_for_update().get(pk=survey.pk)
        require_in_scope(actor, current.scope_path, "participation.manage")
        if version is not None and current.version != version:
            raise Conflict()
        if current.state != Survey.State.PUBLISHED:
            raise Conflict(_("Only a published survey can be closed."), code="not_published")
        current.state = Survey.State.CLOSED
        current.closed_at = timezone.now()
        current.version += 1
        current.save()
        audit_record(
            "participation.survey.close",
            actor=actor,
            target=current,
            changes={"responses": current.responses.count()},
        )
    return current


# Answering --------------------------------------------------------------------------------------


def answer_values(question: Question, raw) -> list[str]:
    """The answer as the strings a skip rule compares ("3", or the option codes)."""
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, list):
        return [str(v) for v in raw]
    return [str(raw)]


def _named(question: Question, message: str) -> str:
    return _("“%(q)s”: %(m)s") % {"q": question.text[:60], "m": message}


def _int_in(raw, low: int, high: int) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw.lstrip("-").isdigit():
            return None
    if not isinstance(raw, int | str):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def _empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def validate_answers(survey: Survey, answers: dict) -> dict[Question, dict]:
    """{question: fields of its answer}, or ``ValidationFailed`` whose details name each
    question (key ``q<id>``): a wrong type, a missing required answer, an answer to a
    question its skip rule hides, a question that is not in the survey."""
    if not isinstance(answers, dict):
        raise ValidationFailed(details={"answers": [_("Send the answers as an object.")]})
    questions = list(survey.questions.all())
    by_key = {str(q.pk): q for q in questions}
    errors: dict[str, list] = {}
    unknown = [k for k in answers if str(k) not in by_key]
    if unknown:
        errors["answers"] = [
            _("Not questions of this survey: %(k)s.") % {"k": ", ".join(map(str, unknown[:10]))}
        ]
    given = {str(k): v for k, v in answers.items()}
    shown: dict[int, list[str]] = {}
    clean: dict[Question, dict] = {}
    for q in questions:
        raw = given.get(str(q.pk))
        key = f"q{q.pk}"
        visible = q.show_if_id is None or (
            q.show_if_id in shown and set(shown[q.show_if_id]) & set(q.show_if_values)
        )
        if not visible:
            if not _empty(raw):
                errors[key] = [
                    _named(
                        q, _("this question is skipped for your earlier answer; leave it empty.")
                    )
                ]
            continue
        if _empty(raw):
            if q.required:
                errors[key] = [_named(q, _("an answer is required."))]
            shown[q.pk] = []
            continue
        fields = _check(q, raw)
        if isinstance(fields, str):
            errors[key] = [_named(q, fields)]
            continue
        clean[q] = fields
        shown[q.pk] = fields["choices"] or (
            [str(fields["number"])] if fields["number"] is not None else []
        )
    if errors:
        raise ValidationFailed(_("Some answers are not valid."), details=errors)
    return clean


def _check(q: Question, raw) -> dict | str:
    codes = [o["code"] for o in q.options]
    if q.kind == K.SINGLE:
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        if not isinstance(raw, str) or raw not in codes:
            return _("choose one of the options.")
        return {"choices": [raw], "number": None, "text": ""}
    if q.kind == K.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(v, str) and v in codes for v in values) or len(set(values)) != len(
            values
        ):
            return _("choose among the options, each once.")
        ordered = [c for c in codes if c in values]
        return {"choices": ordered, "number": len(ordered), "text": ""}
    if q.kind in (K.SCALE5, K.SCALE100, K.NUMBER):
        low, high = {K.SCALE5: (1, 5), K.SCALE100: (0, 100), K.NUMBER: (0, 1000)}[q.kind]
        value = _int_in(raw, low, high)
        if value is None:
            return _("give a whole number from %(a)s to %(b)s.") % {"a": low, "b": high}
        return {"choices": [], "number": value, "text": ""}
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        return _("write text of at most %(n)s characters.") % {"n": MAX_TEXT}
    return {"choices": [], "number": None, "text": raw.strip()}


def _require_open(survey: Survey) -> None:
    today = timezone.localdate()
    if survey.state != Survey.State.PUBLISHED or not (survey.opens_on <= today <= survey.closes_on):
        raise Conflict(_("This survey is not open for answers."), code="survey_closed")


def response_record(
    *,
    survey: Survey,
    answers: dict,
    resident: Resident | None,
    channel: str,
    assisted_by=None,
    audit_actor=None,
) -> SurveyResponse:
    """Where every channel ends: the survey open, the answers valid for its published
    version, the resident in the frozen audience and not answered yet; the response, its
    answers and the target's mark written with the audit record (and, for an identified
    response, ``survey_answered`` for the points ledger) — all or nothing."""
    with transaction.atomic():
        current = Survey.objects.select_for_update().get(pk=survey.pk)
        _require_open(current)
        clean = validate_answers(current, answers)
        target = None
        key = None
        if resident is not None:
            key = respondent_key(current, resident)
            target = SurveyTarget.objects.filter(survey=current, respondent_key=key).first()
            if target is None:
                raise PermissionDenied(
                    _("This survey is not meant for this resident."), code="not_in_audience"
                )
            if target.answered_at is not None:
                raise Conflict(
                    _("This survey has already been answered for this person or household."),
                    code="already_answered",
                )
        now = timezone.now()
        unit = target.unit if target else None
        path = target.scope_path if target else current.scope_path
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    survey=current,
                    survey_version=current.published_version,
                    respondent_key=key,
                    resident=None if current.anonymous else resident,
                    unit=unit,
                    scope_path=path,
                    channel=channel,
                    assisted_by=assisted_by,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("This survey has already been answered for this person or household."),
                code="already_answered",
            ) from exc
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(
                    response=response,
                    question=q,
                    measures=q.measures if key else "",
                    unit=unit,
                    scope_path=path,
                    answered_at=now,
                    **fields,
                )
                for q, fields in clean.items()
            ]
        )
        if target is not None:
            SurveyTarget.objects.filter(pk=target.pk).update(answered_at=now)
        if current.anonymous and assisted_by is None:
            # Nothing that links the person to the response: the survey, not the response.
            audit_record(
                "participation.survey.answer",
                actor=None,
                actor_name="anonymous",
                target=current,
                changes={"channel": channel},
            )
        else:
            audit_record(
                "participation.survey.answer",
                actor=audit_actor,
                target=current if current.anonymous else response,
                org_unit_path=path,
                changes={"channel": channel, "assisted": assisted_by is not None},
            )
        if resident is not None and not current.anonymous:
            survey_answered.send(sender=SurveyResponse, resident=resident, source=response)
    return response


def response_submit_own(*, user, survey: Survey, answers: dict, channel: str = "h5"):
    """A resident answers for themselves (their account bound to the registry)."""
    from gridgov.residents.selectors import require_resident

    if not (
        getattr(user, "is_authenticated", False) and user.has_permission("participation.take_part")
    ):
        raise PermissionDenied()
    resident = require_resident(user)
    if channel not in (SurveyResponse.Channel.H5, SurveyResponse.Channel.QR):
        channel = SurveyResponse.Channel.H5
    return response_record(
        survey=survey, answers=answers, resident=resident, channel=channel, audit_actor=user
    )


def response_submit_assisted(
    *, actor, survey: Survey, resident_uid: str, channel: str, answers: dict
) -> SurveyResponse:
    """A grid worker enters a door-to-door or phone answer, or fills it in for the resident
    (代填): the assisting person is recorded on the response."""
    if channel not in SurveyResponse.ASSISTED:
        raise ValidationFailed(
            details={"channel": [_("Door to door, phone, or filled in for the resident.")]}
        )
    resident = (
        Resident.objects.active()
        .visible_to(actor, "view")
        .select_related("household")
        .filter(uid=_uuid_or_none(resident_uid))
        .first()
        if _uuid_or_none(resident_uid)
        else None
    )
    if resident is None or not path_in_scope(actor, resident.scope_path, "participation.assist"):
        raise ValidationFailed(
            details={"resident": [_("Choose a resident of your area from the list.")]}
        )
    return response_record(
        survey=survey,
        answers=answers,
        resident=resident,
        channel=channel,
        assisted_by=actor,
        audit_actor=actor,
    )


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def survey_for_link(token: str) -> Survey:
    survey = Survey.objects.filter(token=str(token)[:32], public_link=True, anonymous=True).first()
    if survey is None or survey.state == Survey.State.DRAFT:
        raise NotFound()
    return survey


def response_submit_public(*, token: str, answers: dict, channel: str, user=None):
    """An answer through the open link or QR code of an anonymous survey. A signed-in
    resident is counted as themselves (once); anyone else gives an unverified answer, kept
    in the results but not in the response rate or the KPIs."""
    from gridgov.residents.selectors import resident_for

    survey = survey_for_link(token)
    channel = channel if channel in ("h5", "qr") else "h5"
    resident = resident_for(user)
    return response_record(
        survey=survey, answers=answers, resident=resident, channel=channel, audit_actor=user
    )
