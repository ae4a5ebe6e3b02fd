"""Writes of household visits. Every write checks permission and scope, audits, and fails
as a whole; registry changes go through the people services.

The sync protocol (``visit_submit``, and ``visits_sync`` for a batch): every record carries
the client's UUID and the version of each household and resident it read. The same UUID
with the same body answers the stored visit and changes nothing; the same UUID with another
body is a 409. Registry corrections wait for the review; when it passes, a correction to a
field nobody changed since it was read is applied, one to a record changed elsewhere in
other fields is merged, and one to a field changed elsewhere waits in the conflict queue.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import attachments, notifications
from gridgov.core.crypto import decrypt_field, encrypt_field
from gridgov.core.errors import Conflict, GridGovError, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.masking import mask_birth_date, mask_phone
from gridgov.core.policies import policy_get, policy_in_force
from gridgov.core.scoping import path_filter, path_in_scope, require_in_scope
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.org.models import GridAssignment, OrgUnit
from gridgov.people import services as people
from gridgov.people.models import Consent, Household, Resident, ResidentHistory
from gridgov.visits.models import (
    Correction,
    Indicator,
    IndicatorFreshness,
    SpotCheck,
    SpotCheckDraw,
    Visit,
    VisitAnswer,
    VisitAttachment,
    VisitReview,
    VisitTask,
)
from gridgov.visits.validation import clean_answers, missing_required
from gridgov.visits.workflow import MACHINE

Outcome = Visit.Outcome
VISITED = (Outcome.COMPLETED, Outcome.PARTIAL)
# Outcomes that end the task (a refusal is the resident's choice; nobody at home is retried).
CLOSING = (*VISITED, Outcome.REFUSED, Outcome.MOVED_OUT, Outcome.DISSOLVED)
MAX_ITEMS = 50


def _name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# Households and consent -----------------------------------------------------------------


def household_for(actor, uid, permission: str = "visits.collect") -> Household:
    """A household the actor may visit, or NotFound (also when it exists elsewhere)."""
    query = path_filter(actor, permission, "scope_path")
    try:
        key = uuid.UUID(str(uid))
    except ValueError:
        raise NotFound() from None
    if query is None:
        raise NotFound()
    household = Household.objects.filter(query).select_related("room__building").filter(uid=key)
    found = household.first()
    if found is None:
        raise NotFound()
    return found


def sensitive_allowed(household: Household) -> bool:
    """A member of the household has the separate consent sensitive indicators need."""
    purpose = policy_get("visits.quality").sensitive_consent_purpose
    return Consent.objects.filter(
        resident__household=household,
        resident__archived_at__isnull=True,
        purpose=purpose,
        withdrawn_at__isnull=True,
    ).exists()


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (WGS-84 mean radius)."""
    rad = math.radians
    dlat, dlon = rad(lat2 - lat1), rad(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 6_371_008.8 * 2 * math.asin(math.sqrt(a))


# Tasks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    household: Household
    reason: str
    stale: list[str]


@dataclass(frozen=True)
class _DueRow:
    household_id: int
    scope_path: str
    reason: str
    stale: list[str]


def _due_rows(households, *, now: datetime, without_open_task: bool) -> list[_DueRow]:
    """The due ones among ``households``, found by the database: a required indicator last
    verified longer ago than its frequency (or never), or no completed visit within the
    cycle. Only the due households come back to Python, so a district whose households are
    nearly all up to date costs one query."""
    cycle = policy_get("visits.cycle").household_reverify_days
    required = list(Indicator.objects.filter(is_active=True, required=True).order_by("code"))
    by_days: dict[int, list[int]] = {}
    for indicator in required:
        by_days.setdefault(indicator.frequency_days, []).append(indicator.pk)
    fresh_enough = Q(pk__in=[])
    for days, ids in by_days.items():
        fresh_enough |= Q(indicator_id__in=ids, verified_at__gte=now - timedelta(days=days))
    fresh_count = (
        IndicatorFreshness.objects.filter(
            household_id=OuterRef("pk"), scope_path=OuterRef("scope_path")
        )
        .filter(fresh_enough)
        .order_by()
        .values("household_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_visit = (
        Visit.objects.filter(
            household_id=OuterRef("pk"), scope_path=OuterRef("scope_path"), outcome__in=VISITED
        )
        .exclude(state=Visit.State.RETURNED)
        .order_by("-ended_at")
        .values("ended_at")[:1]
    )
    households = households.exclude(status=Household.Status.MOVED_OUT)
    if without_open_task:
        households = households.exclude(
            Exists(
                VisitTask.objects.filter(household_id=OuterRef("pk"), status=VisitTask.Status.OPEN)
            )
        )
    found = list(
        households.annotate(fresh=Coalesce(Subquery(fresh_count), 0), last=Subquery(last_visit))
        .filter(
            Q(fresh__lt=len(required))
            | Q(last__isnull=True)
            | Q(last__lt=now - timedelta(days=cycle))
        )
        .order_by("pk")
        .values_list("pk", "scope_path", "fresh")
    )
    # What is stale, for the households that have something stale only.
    seen: dict[int, dict[int, datetime]] = {}
    partly_fresh = [pk for pk, _path, fresh in found if fresh < len(required)]
    paths = {pk: path for pk, path, _fresh in found}
    for start in range(0, len(partly_fresh), 2000):
        chunk = partly_fresh[start : start + 2000]
        for household_id, indicator_id, verified_at, path in IndicatorFreshness.objects.filter(
            household_id__in=chunk, indicator__in=required
        ).values_list("household_id", "indicator_id", "verified_at", "scope_path"):
            if path == paths[household_id]:
                seen.setdefault(household_id, {})[indicator_id] = verified_at
    rows = []
    for pk, path, fresh in found:
        stale = []
        if fresh < len(required):
            verified = seen.get(pk, {})
            stale = [
                i.code
                for i in required
                if (at := verified.get(i.pk)) is None or at < now - timedelta(days=i.frequency_days)
            ]
        reason = VisitTask.Reason.STALE if stale else VisitTask.Reason.CYCLE
        rows.append(_DueRow(pk, path, reason, stale))
    return rows


def households_due(grid: OrgUnit, *, now: datetime | None = None) -> list[Due]:
    """Households of a grid that need a visit, and why."""
    rows = _due_rows(
        Household.objects.filter(scope_path=grid.path),
        now=now or timezone.now(),
        without_open_task=False,
    )
    households = Household.objects.in_bulk([row.household_id for row in rows])
    return [Due(households[row.household_id], row.reason, row.stale) for row in rows]


def collectors(grid: OrgUnit) -> list[User]:
    """The grid's workers who may collect visits (full- and part-time, assigned today)."""
    return _collectors(grid)


def _collectors(grid: OrgUnit) -> list[User]:
    today = timezone.localdate()
    assignments = (
        GridAssignment.objects.filter(
            grid=grid,
            duty__in=[GridAssignment.Duty.FULL_TIME, GridAssignment.Duty.PART_TIME],
            start_date__lte=today,
            user__is_active=True,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("user")
        .order_by("user__username")
    )
    seen, users = set(), []
    for a in assignments:
        if a.user_id not in seen and path_in_scope(a.user, grid.path, "visits.collect"):
            seen.add(a.user_id)
            users.append(a.user)
    return users


def _loads(users: list[User]) -> dict[int, int]:
    counts = dict(
        VisitTask.objects.filter(assignee__in=users, status=VisitTask.Status.OPEN)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return {u.pk: counts.get(u.pk, 0) for u in users}


def tasks_generate(*, grid: OrgUnit, actor=None, now: datetime | None = None) -> int:
    """Open a task for every due household of the grid that has none, each for the grid's
    collector with the fewest open tasks. Idempotent: a second run adds nothing."""
    now = now or timezone.now()
    due = _due_rows(Household.objects.filter(scope_path=grid.path), now=now, without_open_task=True)
    return _open_tasks(grid, due, actor or SystemActor("visits.tasks"), now)


def tasks_generate_all(*, now: datetime | None = None) -> int:
    """The scheduled job: every active grid, the due households found in one query."""
    now = now or timezone.now()
    actor = SystemActor("visits.tasks", batch_id=f"visits-{uuid.uuid4().hex[:12]}")
    active_grids = OrgUnit.objects.filter(level=OrgUnit.Level.GRID, is_active=True)
    grids = {unit.path: unit for unit in active_grids}
    due_by_grid: dict[str, list[_DueRow]] = {}
    for row in _due_rows(
        Household.objects.filter(scope_path__in=active_grids.values("path")),
        now=now,
        without_open_task=True,
    ):
        due_by_grid.setdefault(row.scope_path, []).append(row)
    return sum(
        _open_tasks(grids[path], rows, actor, now) for path, rows in sorted(due_by_grid.items())
    )


def _open_tasks(grid: OrgUnit, due: list[_DueRow], actor, now: datetime) -> int:
    """One task per due household, each for the grid's collector with the fewest open
    tasks; in one insert, or row by row when another run opened some meanwhile."""
    if not due:
        return 0
    workers = _collectors(grid)
    loads = _loads(workers)
    due_date = timezone.localdate(now) + timedelta(days=policy_get("visits.cycle").task_due_days)

    def task(item: _DueRow) -> VisitTask:
        worker = min(workers, key=lambda u: (loads[u.pk], u.username)) if workers else None
        if worker is not None:
            loads[worker.pk] += 1
        return VisitTask(
            household_id=item.household_id,
            scope_path=grid.path,
            assignee=worker,
            reason=item.reason,
            stale=item.stale,
            due_date=due_date,
            created_by_name=_name(actor),
        )

    tasks = [task(item) for item in due]
    try:
        with transaction.atomic():
            VisitTask.objects.bulk_create(tasks, batch_size=1000)
            created = len(tasks)
            _audit_generated(actor, grid, created)
        return created
    except IntegrityError:
        pass  # another run opened some of them meanwhile: one by one, skipping those
    created = 0
    for item in tasks:
        try:
            with transaction.atomic():
                item.save(force_insert=True)
            created += 1
        except IntegrityError:
            continue
    if created:
        with transaction.atomic():
            _audit_generated(actor, grid, created)
    return created


def _audit_generated(actor, grid: OrgUnit, created: int) -> None:
    audit_record(
        "visits.task.generate",
        actor=actor,
        target=grid,
        changes={"grid": grid.code, "created": created},
    )


def _assignee(grid_path: str, username: str) -> User:
    user = User.objects.filter(username=username[:150], is_active=True).first()
    if user is None or not path_in_scope(user, grid_path, "visits.collect"):
        raise ValidationFailed(
            details={"assignee": [_("Choose someone who collects visits in this grid.")]}
        )
    return user


def task_create(
    *, actor, household: Household, due_date: date, assignee: str = "", note: str = ""
) -> VisitTask:
    """Staff ask for a visit."""
    require_in_scope(actor, household.scope_path, "visits.assign")
    try:
        note = normalise_text(note, max_length=200)
    except TextInvalid as exc:
        raise ValidationFailed(details={"note": [exc.message]}) from None
    worker = _assignee(household.scope_path, assignee) if assignee else None
    try:
        with transaction.atomic():
            task = VisitTask.objects.create(
                household=household,
                scope_path=household.scope_path,
                assignee=worker,
                reason=VisitTask.Reason.REQUESTED,
                note=note,
                due_date=due_date,
                created_by_name=_name(actor),
            )
            audit_record(
                "visits.task.create",
                actor=actor,
                target=task,
                changes={"household": household.number, "assignee": assignee},
            )
    except IntegrityError:
        raise Conflict(
            _("This household already has an open visit task."), code="task_open"
        ) from None
    return task


def task_reassign(*, actor, task: VisitTask, assignee: str, version: int) -> VisitTask:
    require_in_scope(actor, task.scope_path, "visits.assign")
    worker = _assignee(task.scope_path, assignee)
    with transaction.atomic():
        current = VisitTask.objects.select_for_update().get(pk=task.pk)
        if current.version != version:
            raise Conflict()
        if current.status != VisitTask.Status.OPEN:
            raise Conflict(_("This task is closed."), code="task_closed")
        before = current.assignee.username if current.assignee_id else ""
        current.assignee = worker
        current.version += 1
        current.save(update_fields=["assignee", "version"])
        audit_record(
            "visits.task.reassign",
            actor=actor,
            target=current,
            changes={"before": before, "after": worker.username},
        )
    notifications.inbox(
        [worker],
        kind="visit_task",
        message=_("A household visit was given to you, due %(d)s.") % {"d": current.due_date},
        key=f"visit_task:{current.uid}:{current.version}",
    )
    return current


def task_cancel(*, actor, task: VisitTask, version: int, note: str = "") -> VisitTask:
    require_in_scope(actor, task.scope_path, "visits.assign")
    with transaction.atomic():
        current = VisitTask.objects.select_for_update().get(pk=task.pk)
        if current.version != version:
            raise Conflict()
        if current.status != VisitTask.Status.OPEN:
            raise Conflict(_("This task is closed."), code="task_closed")
        current.status = VisitTask.Status.CANCELLED
        current.closed_at = timezone.now()
        current.version += 1
        current.save(update_fields=["status", "closed_at", "version"])
        audit_record(
            "visits.task.cancel", actor=actor, target=current, changes={"note": note[:200]}
        )
    return current


# Visit records ------------------------------------------------------------------------------


@dataclass
class VisitInput:
    """One visit as the collector's device sends it."""

    client_uuid: str
    household: str
    outcome: str
    started_at: str
    ended_at: str
    purpose: str = "visit"
    channel: str = "app"
    refusal_reason: str = ""
    note: str = ""
    notice_given: bool = False
    commitment_signed: bool = False
    lon: float | None = None
    lat: float | None = None
    versions: dict[str, int] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    corrections: list[dict] = field(default_factory=list)
    needs: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    companions: list[str] = field(default_factory=list)
    task: str = ""

    def body_hash(self) -> str:
        body = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


def _moment(raw, key: str, errors: dict) -> datetime | None:
    value = raw if isinstance(raw, datetime) else parse_datetime(str(raw or ""))
    if value is None:
        errors[key] = [_("Give a date and time (ISO 8601).")]
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _clean_text(value, key: str, errors: dict, max_length: int, multiline=False) -> str:
    try:
        return normalise_text(value or "", multiline=multiline, max_length=max_length)
    except TextInvalid as exc:
        errors[key] = [exc.message]
        return ""


def _mask(field_name: str, value) -> str:
    if field_name == "phone":
        return mask_phone(str(value))
    if field_name == "birth_date":
        return mask_birth_date(value)
    return str(value)[:60]


def _overlapping(resident: Resident, field_name: str, base_version: int) -> bool:
    """Someone changed this field of the resident after ``base_version`` was read."""
    for changes in ResidentHistory.objects.filter(
        resident=resident, version__gt=base_version
    ).values_list("changes", flat=True):
        if isinstance(changes, dict) and field_name in changes:
            return True
    return False


def _clean_corrections(
    data: VisitInput, household: Household, errors: dict
) -> list[tuple[Resident | None, str, str, Any, int | None]]:
    """(resident, kind, field, value, version read) for each proposed correction."""
    members = {
        str(r.uid): r
        for r in Resident.objects.filter(household=household, archived_at__isnull=True)
    }
    out = []
    if len(data.corrections) > MAX_ITEMS:
        errors["corrections"] = [_("At most %(n)d items.") % {"n": MAX_ITEMS}]
        return out
    for i, item in enumerate(data.corrections):
        key = f"corrections.{i}"
        if not isinstance(item, dict):
            errors[key] = [_("Each correction is an object.")]
            continue
        resident = members.get(str(item.get("resident", "")))
        if resident is None:
            errors[f"{key}.resident"] = [_("Not a member of this household.")]
            continue
        read = data.versions.get(str(resident.uid))
        if not isinstance(read, int) or isinstance(read, bool):
            errors[f"{key}.version"] = [_("Give the version of this resident you read (versions).")]
            continue
        if item.get("confirm") is True:
            out.append((resident, Correction.Kind.CONFIRM, "", None, read))
            continue
        if item.get("archive") is not None:
            reason = item.get("archive")
            if reason not in (Resident.Residence.MOVED_OUT, Resident.Residence.DECEASED):
                errors[f"{key}.archive"] = [_("Choose moved out or deceased.")]
                continue
            out.append((resident, Correction.Kind.ARCHIVE, "residence", reason, read))
            continue
        name = str(item.get("field", ""))[:20]
        values, problems = people.clean_resident(
            {name: item.get("value")}, purpose="visit", partial=True
        )
        if problems or name not in values:
            errors[f"{key}.{name or 'field'}"] = [
                str(m) for msgs in problems.values() for m in msgs
            ] or [_("Give a field and its new value.")]
            continue
        out.append((resident, Correction.Kind.UPDATE, name, values[name], read))
    return out


def _json_value(value) -> str:
    return json.dumps(value.isoformat() if isinstance(value, date) else value, ensure_ascii=False)


def _store_correction(visit, resident, kind, field_name, value, read, round_no) -> Correction:
    correction = Correction(
        visit=visit,
        round=round_no,
        scope_path=visit.scope_path,
        resident=resident,
        kind=kind,
        field=field_name,
        base_version=read,
    )
    if value is not None:
        correction.value_encrypted = encrypt_field(
            _json_value(value), associated_data=f"visits.correction/{correction.uid}"
        )
        correction.value_masked = _mask(field_name, value)
    if (
        kind == Correction.Kind.UPDATE
        and resident is not None
        and read is not None
        and _overlapping(resident, field_name, read)
    ):
        correction.status = Correction.Status.CONFLICT
        correction.server_value_masked = _server_value(resident, field_name)
    correction.save()
    return correction


def _server_value(resident: Resident, field_name: str) -> str:
    if field_name == "phone":
        return resident.phone_masked
    value = getattr(resident, field_name, "")
    return _mask(field_name, value) if value not in (None, "") else ""


def correction_value(correction: Correction):
    raw = decrypt_field(
        correction.value_encrypted, associated_data=f"visits.correction/{correction.uid}"
    )
    return json.loads(raw)


def _store_answers(visit: Visit, values: dict, round_no: int) -> None:
    rows = []
    for indicator, value in values.items():
        answer = VisitAnswer(
            visit=visit, indicator=indicator, indicator_version=indicator.version, round=round_no
        )
        if indicator.is_sensitive:
            answer.value_encrypted = encrypt_field(
                json.dumps(value, ensure_ascii=False),
                associated_data=f"visits.answer/{visit.uid}/{indicator.code}/{round_no}",
            )
        else:
            answer.value = value
        rows.append(answer)
    VisitAnswer.objects.bulk_create(rows)


def answer_value(answer: VisitAnswer):
    if not answer.value_encrypted:
        return answer.value
    raw = decrypt_field(
        answer.value_encrypted,
        associated_data=f"visits.answer/{answer.visit.uid}/{answer.indicator.code}/{answer.round}",
    )
    return json.loads(raw)


def _check_form(data: VisitInput, household: Household) -> tuple[dict, dict, list]:
    """Everything a visit says, checked; raises ValidationFailed with every problem."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if data.outcome not in Outcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    if data.channel not in Visit.Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    purposes = policy_get("people.collection").purposes
    if data.purpose not in purposes:
        errors["purpose"] = [_("Unknown collection purpose %(p)s.") % {"p": data.purpose[:40]}]
    if data.outcome == Outcome.REFUSED and data.refusal_reason not in Visit.RefusalReason.values:
        errors["refusal_reason"] = [_("Say why the household refused.")]
    if data.outcome != Outcome.REFUSED and data.refusal_reason:
        errors["refusal_reason"] = [_("Only a refused visit has a reason for refusal.")]
    started = _moment(data.started_at, "started_at", errors)
    ended = _moment(data.ended_at, "ended_at", errors)
    if started and ended:
        if ended < started:
            errors["ended_at"] = [_("The visit ends before it starts.")]
        elif ended > timezone.now() + timedelta(minutes=10):
            errors["ended_at"] = [_("The visit ends in the future.")]
    clean.update(started_at=started, ended_at=ended)
    clean["note"] = _clean_text(data.note, "note", errors, 500, multiline=True)
    if (data.lon is None) != (data.lat is None):
        errors["location"] = [_("Give both longitude and latitude.")]
    if not isinstance(data.versions, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in data.versions.values()
    ):
        errors["versions"] = [_("Give the version read of each record (uid → number).")]
        data.versions = {}
    if str(household.uid) not in data.versions:
        errors["versions"] = [_("Give the version of the household you read.")]
    allowed = sensitive_allowed(household)
    values: dict = {}
    if data.answers and data.outcome not in VISITED:
        errors["answers"] = [_("Only a completed or partial visit has answers.")]
    elif data.answers:
        if not isinstance(data.answers, dict):
            errors["answers"] = [_("Answers are indicator code → value.")]
        else:
            values, answer_errors, _refused = clean_answers(
                data.answers, purpose=data.purpose, sensitive_allowed=allowed
            )
            errors.update(answer_errors)
    if data.outcome == Outcome.COMPLETED and not any(k.startswith("answers.") for k in errors):
        errors.update(
            missing_required(
                values, sensitive_allowed=allowed, short_form=data.channel == Visit.Channel.PAPER
            )
        )
    corrections = _clean_corrections(data, household, errors)
    for name, items in (("needs", data.needs), ("problems", data.problems)):
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            errors[name] = [_("At most %(n)d items.") % {"n": MAX_ITEMS}]
    needs = []
    for i, need in enumerate(data.needs if isinstance(data.needs, list) else []):
        if not isinstance(need, dict):
            errors[f"needs.{i}"] = [_("Each need is an object.")]
            continue
        needs.append(
            {
                "category": _clean_text(need.get("category"), f"needs.{i}.category", errors, 40),
                "text": _clean_text(need.get("text"), f"needs.{i}.text", errors, 500, True),
            }
        )
    clean["needs"] = needs
    companions = []
    for name in data.companions[:10] if isinstance(data.companions, list) else []:
        user = User.objects.filter(username=str(name)[:150], is_active=True).first()
        if user is None or not path_in_scope(user, household.scope_path, "visits.collect"):
            errors["companions"] = [
                _("%(u)s does not collect visits here.") % {"u": str(name)[:150]}
            ]
        else:
            companions.append(user)
    clean["companions"] = companions
    if errors:
        raise ValidationFailed(details=errors)
    return clean, values, corrections


def _task_for(data: VisitInput, household: Household) -> VisitTask | None:
    tasks = VisitTask.objects.select_for_update().filter(
        household=household, status=VisitTask.Status.OPEN
    )
    if data.task:
        try:
            return tasks.filter(uid=uuid.UUID(str(data.task))).first()
        except ValueError:
            return None
    return tasks.first()


def _close_task(task: VisitTask | None, outcome: str, now: datetime) -> None:
    if task is None:
        return
    cycle = policy_get("visits.cycle")
    if outcome in CLOSING:
        task.status = VisitTask.Status.DONE
        task.closed_at = now
    else:  # nobody at home: try again, and after the last attempt the office decides
        task.attempts += 1
        task.due_date = timezone.localdate(now) + timedelta(days=cycle.not_home_retry_days)
        if task.attempts >= cycle.not_home_max_attempts:
            task.assignee = None
    task.version += 1
    task.save()


def visit_submit(*, actor, data: VisitInput) -> tuple[Visit, bool]:
    """Store one visit record. Returns (visit, created): a resend of the same record
    answers the stored one; another record under the same client UUID is a 409."""
    try:
        client_uuid = uuid.UUID(str(data.client_uuid))
    except ValueError:
        raise ValidationFailed(details={"client_uuid": [_("Give a UUID.")]}) from None
    digest = data.body_hash()
    # Scope first: a household outside it is a 404 whatever the client id says.
    household = household_for(actor, data.household)
    existing = Visit.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        return _replayed(actor, existing, digest), False
    clean, values, corrections = _check_form(data, household)
    now = timezone.now()
    location = _location(household, data)
    try:
        with transaction.atomic():
            task = _task_for(data, household)
            visit = Visit.objects.create(
                client_uuid=client_uuid,
                body_hash=digest,
                household=household,
                scope_path=household.scope_path,
                task=task,
                collector=actor,
                outcome=data.outcome,
                refusal_reason=data.refusal_reason,
                note=clean["note"],
                purpose=data.purpose,
                channel=data.channel,
                notice_given=bool(data.notice_given),
                commitment_signed=bool(data.commitment_signed),
                started_at=clean["started_at"],
                ended_at=clean["ended_at"],
                lon=data.lon,
                lat=data.lat,
                distance_m=location[0],
                location_flagged=location[1],
                versions_read=data.versions,
                needs=clean["needs"],
                submitted_at=now,
            )
            visit.companions.set(clean["companions"])
            _store_answers(visit, values, 1)
            for resident, kind, field_name, value, read in corrections:
                _store_correction(visit, resident, kind, field_name, value, read, 1)
            if data.outcome in (Outcome.MOVED_OUT, Outcome.DISSOLVED):
                _store_correction(
                    visit,
                    None,
                    Correction.Kind.HOUSEHOLD,
                    "status",
                    data.outcome,
                    data.versions.get(str(household.uid)),
                    1,
                )
            _raise_problems(actor, visit, household, data.problems)
            _close_task(task, data.outcome, now)
            audit_record(
                "visits.visit.submit",
                actor=actor,
                target=visit,
                changes={
                    "household": household.number,
                    "outcome": data.outcome,
                    "answers": len(values),
                    "corrections": len(corrections),
                    "location_flagged": location[1],
                },
            )
    except IntegrityError:
        # The same record raced in twice: the first one won.
        existing = Visit.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _replayed(actor, existing, digest), False
    return visit, True


def _replayed(actor, visit: Visit, digest: str) -> Visit:
    if visit.collector_id != getattr(actor, "pk", None) or visit.body_hash != digest:
        raise Conflict(
            _("This client id was already used for a different visit record."),
            code="client_uuid_reused",
        )
    return visit


def _location(household: Household, data: VisitInput) -> tuple[int | None, bool]:
    """(distance from the building, flagged): far is flagged, never refused."""
    building = household.room.building if household.room_id else None
    if data.lon is None or building is None or building.lon is None or building.lat is None:
        return None, False
    metres = distance_m(data.lon, data.lat, building.lon, building.lat)
    return round(metres), metres > policy_get("visits.cycle").location_tolerance_m


def _raise_problems(actor, visit: Visit, household: Household, problems: list[dict]) -> None:
    """Problems found on the visit become grid events (channel "visit")."""
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event

    for i, problem in enumerate(problems):
        if not isinstance(problem, dict):
            raise ValidationFailed(details={f"problems.{i}": [_("Each problem is an object.")]})
        try:
            event, _created = report_event(
                actor=actor,
                data=ReportInput(
                    channel=Channel.VISIT,
                    title=str(problem.get("title", ""))[:200],
                    description=str(problem.get("description", ""))[:4000],
                    address=household.address,
                    grid_code=household.grid.code,
                    client_id=f"{visit.client_uuid}:{i}",
                ),
            )
        except ValidationFailed as exc:
            details = {f"problems.{i}.{k}": v for k, v in (exc.details or {}).items()}
            raise ValidationFailed(details=details) from None
        visit.raised_events.add(event)


def visits_sync(*, actor, records: list[VisitInput | dict]) -> list[dict]:
    """A phone's outbox: each record stored once and answered on its own (stored, already
    stored, or its error); one bad record does not stop the others."""
    results = []
    for i, record in enumerate(records):
        client_uuid = (
            record.get("client_uuid", "") if isinstance(record, dict) else record.client_uuid
        )
        try:
            data = record if isinstance(record, VisitInput) else _input_from(record)
            visit, created = visit_submit(actor=actor, data=data)
        except GridGovError as exc:
            results.append(
                {
                    "index": i,
                    "client_uuid": str(client_uuid)[:64],
                    "status": exc.status,
                    **exc.as_body(),
                }
            )
            continue
        results.append(
            {
                "index": i,
                "client_uuid": str(visit.client_uuid),
                "status": 201 if created else 200,
                "code": "created" if created else "already_stored",
                "visit": str(visit.uid),
                "state": visit.state,
                "conflicts": visit.corrections.filter(status=Correction.Status.CONFLICT).count(),
            }
        )
    return results


def _input_from(record: dict) -> VisitInput:
    known = set(VisitInput.__dataclass_fields__)
    extra = sorted(set(record) - known)
    if extra:
        raise ValidationFailed(details={k: [_("Unknown field.")] for k in extra[:20]})
    try:
        return VisitInput(**record)
    except TypeError:
        raise ValidationFailed(
            details={
                "record": [
                    _("A record needs client_uuid, household, outcome, started_at and ended_at.")
                ]
            }
        ) from None


# Review ---------------------------------------------------------------------------------------


def visit_review(
    *, actor, visit: Visit, decision: str, version: int, comments: dict | None = None
) -> Visit:
    """双人复核: a second person passes the record (its corrections then reach the
    registry) or returns it with comments per field. The collector never reviews."""
    action = {"pass": "review_pass", "return": "review_return"}.get(decision)
    if action is None:
        raise ValidationFailed(details={"decision": [_("Pass or return.")]})
    comments = comments or {}
    if not isinstance(comments, dict) or len(comments) > 100:
        raise ValidationFailed(details={"comments": [_("Comments are field → text.")]})
    clean_comments = {}
    for key, text in comments.items():
        try:
            clean_comments[str(key)[:40]] = normalise_text(str(text), max_length=300)
        except TextInvalid as exc:
            raise ValidationFailed(details={f"comments.{key}"[:60]: [exc.message]}) from None
    if decision == "return" and not any(clean_comments.values()):
        raise ValidationFailed(details={"comments": [_("Say what to correct.")]})
    with transaction.atomic():
        current = Visit.objects.select_for_update().get(pk=visit.pk)
        refusal = MACHINE.refusal(actor, current, action, version=version)
        if refusal is not None:
            raise refusal
        now = timezone.now()
        VisitReview.objects.create(
            visit=current,
            round=current.round,
            reviewer=actor,
            decision=decision,
            comments=clean_comments,
        )
        current.reviewed_at = current.reviewed_at or now
        current.version += 1
        if decision == "pass":
            current.state = Visit.State.APPROVED
            current.approved_at = now
            current.save()
            _apply_corrections(actor, current)
            _mark_fresh(current)
            # The needs raised on the visit enter the needs list (需求清单) once it passes.
            from gridgov.lists.services import needs_from_visit

            needs_from_visit(actor=actor, visit=current)
        else:
            current.state = Visit.State.RETURNED
            current.save()
        audit_record(
            "visits.visit.review",
            actor=actor,
            target=current,
            changes={
                "decision": decision,
                "round": current.round,
                "fields": sorted(clean_comments),
            },
        )
    if decision == "return":
        notifications.inbox(
            [current.collector],
            kind="visit_returned",
            message=_("A visit record was returned for correction."),
            key=f"visit_returned:{current.uid}:{current.round}",
        )
    return current


def visit_resubmit(
    *,
    actor,
    visit: Visit,
    version: int,
    answers: dict[str, Any],
    corrections: list[dict],
    versions: dict[str, int],
    note: str = "",
) -> Visit:
    """The collector corrects a returned record; it goes back for review as a new round
    (the answers and corrections of earlier rounds are kept)."""
    with transaction.atomic():
        current = Visit.objects.select_for_update().select_related("household").get(pk=visit.pk)
        refusal = MACHINE.refusal(actor, current, "resubmit", version=version)
        if refusal is not None:
            raise refusal
        data = VisitInput(
            client_uuid=str(current.client_uuid),
            household=str(current.household.uid),
            outcome=current.outcome,
            started_at=current.started_at.isoformat(),
            ended_at=current.ended_at.isoformat(),
            purpose=current.purpose,
            channel=current.channel,
            refusal_reason=current.refusal_reason,
            note=note or current.note,
            versions={**current.versions_read, **(versions or {})},
            answers=answers or {},
            corrections=corrections or [],
        )
        clean, values, cleaned = _check_form(data, current.household)
        current.round += 1
        current.state = Visit.State.SUBMITTED
        current.note = clean["note"]
        current.versions_read = data.versions
        current.version += 1
        current.save()
        current.corrections.filter(
            status__in=[Correction.Status.PROPOSED, Correction.Status.CONFLICT]
        ).exclude(kind=Correction.Kind.HOUSEHOLD).update(status=Correction.Status.SUPERSEDED)
        _store_answers(current, values, current.round)
        for resident, kind, field_name, value, read in cleaned:
            _store_correction(current, resident, kind, field_name, value, read, current.round)
        current.corrections.filter(kind=Correction.Kind.HOUSEHOLD).update(round=current.round)
        audit_record(
            "visits.visit.resubmit",
            actor=actor,
            target=current,
            changes={"round": current.round, "answers": len(values)},
        )
    return current


def _apply_corrections(actor, visit: Visit) -> None:
    """Apply the round's proposals through the people services; overlapping ones wait."""
    for correction in visit.corrections.filter(
        round=visit.round, status=Correction.Status.PROPOSED
    ).select_related("resident"):
        _apply_one(actor, correction)


def _apply_one(actor, correction: Correction, *, force: bool = False) -> None:
    now = timezone.now()
    if correction.kind == Correction.Kind.HOUSEHOLD:
        household = Household.objects.get(pk=correction.visit.household_id)
        people.household_update(
            actor=actor,
            household=household,
            address=household.address,
            kind=household.kind,
            status=Household.Status.MOVED_OUT,
        )
        correction.status = Correction.Status.APPLIED
    else:
        resident = Resident.objects.get(pk=correction.resident_id)
        if resident.archived_at is not None:
            correction.status = Correction.Status.KEPT_SERVER
            correction.server_value_masked = _("archived")
        elif correction.kind == Correction.Kind.CONFIRM:
            people.resident_verify(
                actor=actor, resident=resident, expected_version=resident.version
            )
            correction.status = Correction.Status.APPLIED
        elif correction.kind == Correction.Kind.ARCHIVE:
            people.resident_archive(
                actor=actor,
                resident=resident,
                reason=correction_value(correction),
                expected_version=resident.version,
            )
            correction.status = Correction.Status.APPLIED
        else:
            changed = resident.version != correction.base_version
            if (
                changed
                and not force
                and _overlapping(resident, correction.field, correction.base_version)
            ):
                correction.status = Correction.Status.CONFLICT
                correction.server_value_masked = _server_value(resident, correction.field)
                correction.save()
                return
            people.resident_update(
                actor=actor,
                resident=resident,
                data={correction.field: _as_form_value(correction_value(correction))},
                expected_version=resident.version,
                purpose="visit",
            )
            merged = changed and not force  # a decided conflict is applied by a person
            correction.status = Correction.Status.MERGED if merged else Correction.Status.APPLIED
    correction.decided_by = _user(actor)
    correction.decided_at = now
    correction.save()


def _as_form_value(value):
    return value if isinstance(value, str) else str(value)


def _mark_fresh(visit: Visit) -> None:
    """The approved round's answers verify their indicators for the household."""
    answered = visit.answers.filter(round=visit.round).values_list("indicator_id", flat=True)
    for indicator_id in answered:
        row, created = IndicatorFreshness.objects.get_or_create(
            household_id=visit.household_id,
            indicator_id=indicator_id,
            defaults={"scope_path": visit.scope_path, "verified_at": visit.ended_at},
        )
        if not created and row.verified_at < visit.ended_at:
            row.verified_at = visit.ended_at
            row.save(update_fields=["verified_at"])


def correction_resolve(*, actor, correction: Correction, take: str) -> Correction:
    """The conflict queue: the community decides between the registry's value and the
    visit's proposal; nothing is overwritten without that decision."""
    require_in_scope(actor, correction.scope_path, "visits.review")
    if take not in ("proposal", "registry"):
        raise ValidationFailed(
            details={"take": [_("Take the proposal or keep the registry value.")]}
        )
    with transaction.atomic():
        current = (
            Correction.objects.select_for_update().select_related("visit").get(pk=correction.pk)
        )
        if current.status != Correction.Status.CONFLICT:
            raise Conflict(
                _("This correction is not waiting for a decision."), code="not_in_conflict"
            )
        if current.visit.state != Visit.State.APPROVED:
            raise Conflict(_("The visit has not passed review yet."), code="not_reviewed")
        if take == "proposal":
            _apply_one(actor, current, force=True)
        else:
            current.status = Correction.Status.KEPT_SERVER
            current.decided_by = _user(actor)
            current.decided_at = timezone.now()
            current.save()
        audit_record(
            "visits.correction.resolve",
            actor=actor,
            target=current,
            changes={"take": take, "field": current.field},
        )
    return current


# Spot checks ---------------------------------------------------------------------------------


def _period_bounds(kind: str, label: str) -> tuple[datetime, datetime]:
    from gridgov.kpis.registry import period_containing

    try:
        if kind == "month":
            year, month = (int(x) for x in label.split("-"))
            day = date(year, month, 1)
        else:
            year, quarter = label.split("-Q")
            day = date(int(year), (int(quarter) - 1) * 3 + 1, 1)
    except (ValueError, TypeError):
        raise ValidationFailed(
            details={"period": [_("Give the period as YYYY-MM (or YYYY-Qn).")]}
        ) from None
    period = period_containing(kind, day)
    return period.start, period.end


def draw_sample(population: list[tuple[int, int]], *, seed: str, rate: float) -> list[int]:
    """A reproducible stratified sample of (visit id, collector id) pairs: ``rate`` of the
    population rounded up, and at least one visit of every collector."""
    rng = random.Random(int(seed, 16))
    ordered = sorted(population)
    by_collector: dict[int, list[int]] = {}
    for visit_id, collector_id in ordered:
        by_collector.setdefault(collector_id, []).append(visit_id)
    chosen = [rng.choice(by_collector[c]) for c in sorted(by_collector)]
    size = max(math.ceil(rate * len(ordered)), len(chosen))
    rest = [v for v, _c in ordered if v not in set(chosen)]
    chosen += rng.sample(rest, min(size - len(chosen), len(rest)))
    return sorted(chosen)


def spot_check_draw(*, actor, community: OrgUnit, period_label: str) -> SpotCheckDraw:
    """The period's random sample of a community's visited households. Drawing twice gives
    the first draw; the seed (from community and period) is stored, so anyone can redo it."""
    require_in_scope(actor, community.path, "visits.spot_check")
    if community.level != OrgUnit.Level.COMMUNITY:
        raise ValidationFailed(details={"community": [_("Choose a community.")]})
    existing = SpotCheckDraw.objects.filter(community=community, period_label=period_label).first()
    if existing is not None:
        return existing
    in_force = policy_in_force("visits.quality")
    start, end = _period_bounds(in_force.value.spot_check_period, period_label)
    visits = (
        Visit.objects.filter(
            scope_path__startswith=community.path,
            state=Visit.State.APPROVED,
            outcome__in=VISITED,
            ended_at__gte=start,
            ended_at__lt=end,
        )
        .order_by("household_id", "-ended_at")
        .values_list("pk", "collector_id", "household_id")
    )
    latest: dict[int, tuple[int, int]] = {}
    for pk, collector_id, household_id in visits:
        latest.setdefault(household_id, (pk, collector_id))  # one visit per household
    seed = hashlib.sha256(f"{community.code}:{period_label}".encode()).hexdigest()
    chosen = draw_sample(list(latest.values()), seed=seed, rate=in_force.value.spot_check_rate)
    try:
        with transaction.atomic():
            draw = SpotCheckDraw.objects.create(
                community=community,
                scope_path=community.path,
                period_label=period_label,
                seed=seed,
                rate=in_force.value.spot_check_rate,
                policy_version=in_force.version,
                population=len(latest),
                created_by_name=_name(actor),
            )
            for visit in Visit.objects.filter(pk__in=chosen):
                SpotCheck.objects.create(
                    draw=draw,
                    visit=visit,
                    scope_path=visit.scope_path,
                    collector_id=visit.collector_id,
                )
            Visit.objects.filter(pk__in=chosen).update(spot_checked=True)
            audit_record(
                "visits.spot_check.draw",
                actor=actor,
                target=draw,
                changes={"period": period_label, "population": len(latest), "sample": len(chosen)},
            )
    except IntegrityError:
        return SpotCheckDraw.objects.get(community=community, period_label=period_label)
    return draw


def spot_check_record(*, actor, check: SpotCheck, fields: dict[str, bool]) -> SpotCheck:
    """The checker's finding per field; a mismatch opens a correction task for the collector.
    The checker is neither the collector nor a reviewer of the record."""
    require_in_scope(actor, check.scope_path, "visits.spot_check")
    if not isinstance(fields, dict) or not fields or len(fields) > 200:
        raise ValidationFailed(
            details={"fields": [_("Give each checked field: true if it matches.")]}
        )
    if not all(isinstance(v, bool) for v in fields.values()):
        raise ValidationFailed(details={"fields": [_("Each field is true (matches) or false.")]})
    visit = check.visit
    reviewers = set(visit.reviews.values_list("reviewer_id", flat=True))
    if actor.pk == visit.collector_id or visit.companions.filter(pk=actor.pk).exists():
        raise PermissionDenied(
            _("You collected this record: someone else checks it."), code="checker_is_collector"
        )
    if actor.pk in reviewers:
        raise PermissionDenied(
            _("You reviewed this record: someone else checks it."), code="checker_is_reviewer"
        )
    with transaction.atomic():
        current = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if current.checked_at is not None:
            raise Conflict(_("This spot check is already recorded."), code="already_checked")
        mismatched = sorted(str(k)[:40] for k, v in fields.items() if not v)
        current.fields = {str(k)[:40]: v for k, v in fields.items()}
        current.result = SpotCheck.Result.MISMATCH if mismatched else SpotCheck.Result.MATCH
        current.checker = actor
        current.checked_at = timezone.now()
        if mismatched:
            task = VisitTask.objects.filter(
                household_id=visit.household_id, status=VisitTask.Status.OPEN
            ).first()
            if task is None:
                task = VisitTask.objects.create(
                    household_id=visit.household_id,
                    scope_path=visit.scope_path,
                    assignee_id=visit.collector_id,
                    reason=VisitTask.Reason.CORRECTION,
                    stale=mismatched,
                    note=_("Spot check found a mismatch."),
                    due_date=timezone.localdate()
                    + timedelta(days=policy_get("visits.cycle").task_due_days),
                    created_by_name=_name(actor),
                )
            current.correction_task = task
        current.save()
        audit_record(
            "visits.spot_check.record",
            actor=actor,
            target=current,
            changes={"result": current.result, "mismatched": mismatched},
        )
    return current


# Attachments ------------------------------------------------------------------------------

ATTACHMENT_FOLDER = "visit_attachments"
ATTACHMENT_FIELD = "file"


def visit_attach(*, actor, visit: Visit, files: list, kind: str = "") -> list[VisitAttachment]:
    """Add scans of the paper form and photos to a visit record (``core.attachments``:
    sniffed, limited by policy ``visits.attachments``, photos re-encoded without metadata,
    PDFs inspected). The whole set is checked before anything is stored; a failure stores
    nothing. A PDF is always a scan; a photo is a photo unless ``kind`` says it is a scan
    of the form. An approved record is closed: what the review passed stays as it was."""
    require_in_scope(actor, visit.scope_path, "visits.collect")
    if kind not in ("", *VisitAttachment.Kind.values):
        raise ValidationFailed(details={"kind": [_("Choose a paper form scan or a photo.")]})
    if not files:
        raise ValidationFailed(details={ATTACHMENT_FIELD: [_("Choose a file to add.")]})
    limits = policy_get("visits.attachments")
    present = VisitAttachment.objects.filter(visit=visit).count()
    room = max(0, limits.max_per_visit - present)
    attachments.check_uploads(
        files,
        field=ATTACHMENT_FIELD,
        max_files=room,
        max_mb=limits.max_photo_mb,
        max_pdf_mb=limits.max_scan_mb,
        too_many=_("A visit record holds at most %(n)d files.") % {"n": limits.max_per_visit}
        if room == 0
        else _("At most %(n)d more files on this visit record."),
    )
    prepared = [
        attachments.prepare(
            upload,
            field=ATTACHMENT_FIELD,
            accept_pdf=True,
            max_pdf_pages=limits.max_scan_pages,
        )
        for upload in files
    ]
    with attachments.written_files(), transaction.atomic():
        current = Visit.objects.select_for_update().get(pk=visit.pk)
        if current.state == Visit.State.APPROVED:
            raise Conflict(
                _("The review has passed this record; nothing more can be added to it."),
                code="visit_closed",
            )
        stored = []
        for item in prepared:
            row = VisitAttachment(
                visit=current,
                scope_path=current.scope_path,
                round=current.round,
                uploaded_by=actor,
                kind=VisitAttachment.Kind.SCAN
                if item.kind == attachments.PDF or kind == VisitAttachment.Kind.SCAN
                else VisitAttachment.Kind.PHOTO,
            )
            # The GPS a photo carried is dropped: the household's address is known, and
            # the visit's own location check is the record of where the worker was.
            kept = attachments.write(item, folder=ATTACHMENT_FOLDER, uid=row.uid)
            row.content_type = kept.content_type
            row.stored_path = str(kept.path)
            row.size, row.sha256 = kept.size, kept.sha256
            row.width, row.height, row.pages = kept.width, kept.height, kept.pages
            row.save()
            stored.append(row)
        audit_record(
            "visits.attachment.add",
            actor=actor,
            target=current,
            changes={
                "attachments": [
                    {"uid": str(a.uid), "kind": a.kind, "size": a.size, "sha256": a.sha256}
                    for a in stored
                ]
            },
        )
    return stored


def attachment_opened(*, actor, attachment: VisitAttachment, outcome: str = "success") -> None:
    """A scan or photo was opened: it shows personal data as it is, so it is audited."""
    with transaction.atomic():
        audit_record(
            "visits.attachment.view",
            actor=actor,
            target=attachment,
            changes={"visit": str(attachment.visit.uid), "kind": attachment.kind},
            outcome=outcome,
        )


def attachment_content(*, actor, attachment: VisitAttachment) -> bytes:
    """The plain bytes of a scan or photo for the scoped views that serve it, decrypted
    (``core.attachments.read``) and audited; a file that fails its integrity check is
    refused (``AttachmentDamaged``) and the refusal is audited as a failed opening."""
    try:
        data = attachments.read(attachment.stored_path, sha256=attachment.sha256)
    except attachments.AttachmentDamaged:
        attachment_opened(actor=actor, attachment=attachment, outcome="fail")
        raise
    attachment_opened(actor=actor, attachment=attachment)
    return data
