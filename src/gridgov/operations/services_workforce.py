"""Writes of the grid workforce: a worker's profile, certificates and the training ledger,
by staff who manage a grid the worker is assigned to. Each write is one transaction with
its audit record; refused means nothing written (training hours ≤ 0 or above a day's
course load, a date in the future, a certificate expiring before it was issued)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.operations.models import Certificate, TrainingRecord, WorkerProfile
from gridgov.operations.policies_workforce import workforce_policy

MAX_HOURS = Decimal("200")  # one record is one course; a year's total is far more


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _day(value, field: str, errors: dict, *, required: bool = True) -> date | None:
    if value in (None, "") and not required:
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    if day > timezone.localdate():
        errors[field] = [_("The day is in the future.")]
    return day


def _audit(action: str, actor, target, worker, path: str, **changes) -> None:
    audit_record(
        action,
        actor=actor,
        target=target,
        org_unit_path=path,
        changes={"worker": worker.get_username(), **changes},
    )


def profile_save(*, actor, worker, path: str, data: dict) -> WorkerProfile:
    """Create or change the profile (``version`` as read, for a change)."""
    errors: dict = {}
    grade = str(data.get("grade") or "")
    if grade not in WorkerProfile.Grade.values:
        errors["grade"] = [_("Choose junior, intermediate or senior.")]
    education = str(data.get("education") or "")
    if education not in WorkerProfile.Education.values:
        errors["education"] = [_("Choose the education.")]
    hired = _day(data.get("hire_date"), "hire_date", errors)
    left = _day(data.get("left_on"), "left_on", errors, required=False)
    if hired and left and left < hired:
        errors["left_on"] = [_("A worker cannot leave before being hired.")]
    birth = data.get("birth_year")
    if birth not in (None, ""):
        try:
            birth = int(str(birth).strip())
            if not 1940 <= birth <= timezone.localdate().year - 16:
                raise ValueError
        except ValueError:
            errors["birth_year"] = [_("Enter the year of birth, e.g. 1988.")]
    else:
        birth = None
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        profile = WorkerProfile.objects.select_for_update().filter(user=worker).first()
        if profile is not None and str(profile.version) != str(data.get("version", "")):
            raise Conflict(details={"version": profile.version})
        profile = profile or WorkerProfile(user=worker)
        profile.grade, profile.education, profile.hire_date = grade, education, hired
        profile.birth_year, profile.left_on = birth, left
        profile.version = (profile.version or 0) + 1 if profile.pk else 1
        profile.save()
        _audit(
            "operations.worker.profile",
            actor,
            profile,
            worker,
            path,
            grade=grade,
            left_on=str(left),
        )
    return profile


def certificate_add(*, actor, worker, path: str, data: dict) -> Certificate:
    errors: dict = {}
    name = _text(data.get("name"), 100)
    if not name:
        errors["name"] = [_("Name the certificate.")]
    issued = _day(data.get("issued_on"), "issued_on", errors)
    expires = None
    if data.get("expires_on") not in (None, ""):
        try:
            expires = date.fromisoformat(str(data["expires_on"]).strip())
        except ValueError:
            errors["expires_on"] = [_("Enter a date as YYYY-MM-DD.")]
    if issued and expires and expires < issued:
        errors["expires_on"] = [_("A certificate cannot expire before it was issued.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        certificate = Certificate.objects.create(
            user=worker, name=name, issued_on=issued, expires_on=expires, created_by=actor
        )
        _audit("operations.worker.certificate", actor, certificate, worker, path, name=name)
    return certificate


def training_add(*, actor, worker, path: str, data: dict) -> TrainingRecord:
    """A training of the ledger: hours above zero (a re-test may take none), held on a day
    not in the future, a category of the policy, a score 0–100 when tested."""
    policy = workforce_policy()
    errors: dict = {}
    course = _text(data.get("course"), 100)
    if not course:
        errors["course"] = [_("Name the course.")]
    category = str(data.get("category") or "")
    if category not in policy.training_categories:
        errors["category"] = [_("Not a training category of the policy.")]
    held = _day(data.get("held_on"), "held_on", errors)
    retest_of = None
    if data.get("retest_of") not in (None, ""):
        retest_of = TrainingRecord.objects.filter(
            pk=int(data["retest_of"]) if str(data["retest_of"]).isdigit() else 0, user=worker
        ).first()
        if retest_of is None:
            errors["retest_of"] = [_("No such training of this worker.")]
    try:
        hours = Decimal(str(data.get("hours", "")).strip()).quantize(Decimal("0.1"))
        if not hours.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["hours"] = [_("Enter the hours, e.g. 4 or 1.5.")]
        hours = None
    if hours is not None:
        if hours < 0 or (hours == 0 and retest_of is None):
            errors["hours"] = [_("The hours must be more than zero.")]
        elif hours > MAX_HOURS:
            errors["hours"] = [_("At most 200 hours in one record.")]
    score = data.get("score")
    if score not in (None, ""):
        try:
            score = int(str(score).strip())
            if not 0 <= score <= 100:
                raise ValueError
        except ValueError:
            errors["score"] = [_("A score is a whole number from 0 to 100.")]
    else:
        score = None
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            user=worker,
            course=course,
            category=category,
            hours=hours,
            provider=_text(data.get("provider"), 100),
            held_on=held,
            score=score,
            retest_of=retest_of,
            created_by=actor,
        )
        _audit(
            "operations.worker.training",
            actor,
            record,
            worker,
            path,
            course=course,
            hours=str(hours),
        )
    return record
