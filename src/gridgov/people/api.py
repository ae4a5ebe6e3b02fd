from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import File, Form, Schema, Status
from ninja.files import UploadedFile

from gridgov.accounts.access_limits import resident_reads_note
from gridgov.core.api_support import (
    Limit,
    Line,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    page_slice,
)
from gridgov.core.errors import ValidationFailed
from gridgov.core.scoping import access_object
from gridgov.org.models import OrgUnit
from gridgov.people import imports, privacy, selectors, services
from gridgov.people.selectors import CHECKS, ResidentFilters

router = PermissionRouter(tags=["people"])


class HouseholdOut(Schema):
    uid: UUID
    grid: str
    number: str
    address: str
    kind: str
    status: str
    version: int

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code


class HouseholdIn(Schema):
    grid: line(20)
    number: line(32)
    address: line(200)
    kind: line(12) = "family"


class HouseholdPatch(Schema):
    address: line(200) | None = None
    kind: line(12) | None = None
    status: line(12) | None = None


class TagOut(Schema):
    code: str
    name: str


class ResidentOut(Schema):
    """Personal numbers are always masked here; use the reveal action for a full value."""

    uid: UUID
    household: UUID
    name: str
    sex: str
    # The full date only for roles that may reveal the ID number (it is eight of its
    # digits); the year for everyone.
    birth_date: date | None
    birth_year: int
    ethnicity: str
    id_type: str
    id_number: str
    phone: str
    relation: str
    registration: str
    residence: str
    occupation: str
    education: str
    archived: bool
    verified_at: datetime | None
    version: int

    @staticmethod
    def resolve_household(obj):
        return obj.household.uid

    @staticmethod
    def resolve_birth_date(obj):
        # Hidden unless the view marked the resident as one the actor may see in full.
        return obj.birth_date if getattr(obj, "birth_date_visible", False) else None

    @staticmethod
    def resolve_birth_year(obj):
        return obj.birth_date.year

    @staticmethod
    def resolve_id_number(obj):
        return obj.id_number_masked

    @staticmethod
    def resolve_phone(obj):
        return obj.phone_masked

    @staticmethod
    def resolve_archived(obj):
        return obj.archived_at is not None


def _as_seen_by(actor, resident):
    """Marks what ``ResidentOut`` may show of the resident to this actor."""
    resident.birth_date_visible = privacy.actor_sees_birth_date(actor, resident)
    return resident


class ResidentPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[ResidentOut]


class HouseholdPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[HouseholdOut]


class ResidentIn(Schema):
    """``data``: field → text (JSON strings, or null to leave a field empty); each is
    checked by the registry's rules, and a number, list or object is refused."""

    household: UUID
    purpose: line(40) = "registry"
    data: dict[str, Any]


class ResidentPatch(Schema):
    version: Version
    purpose: line(40) = "registry"
    data: dict[str, Any]


class RevealIn(Schema):
    field: line(20)
    reason: line(200)


class RevealOut(Schema):
    field: str
    value: str


class ImportOut(Schema):
    """``columns`` lists every column of the file: the field it fills (``mapped``), left out
    (``ignored``) or waiting for a decision (``undecided``, with a reason and maybe a
    suggestion); status ``decide`` means the import waits for those decisions.
    ``households`` describes how the rows form households (counts, sizes, the first ones)."""

    uid: UUID
    file_name: str
    mode: str
    status: str
    total_rows: int
    processed_rows: int
    created_rows: int
    unchanged_rows: int
    rejected_rows: int
    message: str
    target_grid: str | None
    grouping: str
    columns: list[dict[str, str]]
    households: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_target_grid(obj):
        return obj.target_grid.code if obj.target_grid_id else None


class ImportPatch(Schema):
    """Decisions after a check: ``columns`` maps a column (its header, or ``#F`` for column F
    without one) to one of our fields (key or template header) or ``ignore``; ``grid`` is
    the grid of rows without a grid code; ``grouping`` is ``relation`` or ``address``.
    With decisions, the file is checked again and ``mode`` (default ``preview``) says what
    follows; with ``mode`` alone (``all`` or ``valid``) a checked import goes ahead."""

    columns: dict[line(200), line(200)] | None = None
    grid: line(20) | None = None
    grouping: line(20) | None = None
    mode: line(20) | None = None


class ImportReportOut(ImportOut):
    """``problems``: row, column (our field's key), rule, message, and the column's and
    rule's names in the request's language (``column_label``, ``rule_label``)."""

    problems: list[dict[str, Any]]

    @staticmethod
    def resolve_problems(job) -> list[dict[str, Any]]:
        return imports.readable_problems(job.problems)


@router.get("/households", response=HouseholdPage)
@api_requires("people.view")
def household_list(
    request, grid: line(20) = "", q: Line = "", offset: Offset = 0, limit: Limit = 50
):
    qs = selectors.household_list(actor=request.user, grid=grid, q=q)
    items, limit, offset = page_slice(qs, offset, limit)
    return HouseholdPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/households", response={201: HouseholdOut})
@api_requires("people.change")
def household_create(request, payload: HouseholdIn):
    grid = access_object(request.user, OrgUnit.objects.filter(level="grid"), code=payload.grid)
    household = services.household_create(
        actor=request.user,
        grid=grid,
        number=payload.number,
        address=payload.address,
        kind=payload.kind,
    )
    return Status(201, household)


@router.get("/households/{uid}", response=HouseholdOut)
@api_requires("people.view")
def household_get(request, uid: UUID):
    return selectors.household_get(actor=request.user, uid=uid)


@router.patch("/households/{uid}", response=HouseholdOut)
@api_requires("people.change")
def household_patch(request, uid: UUID, payload: HouseholdPatch):
    household = selectors.household_get(actor=request.user, uid=uid, action="change")
    return services.household_update(
        actor=request.user,
        household=household,
        address=payload.address if payload.address is not None else household.address,
        kind=payload.kind or household.kind,
        status=payload.status or household.status,
    )


@router.get("/residents", response=ResidentPage)
@api_requires("people.view")
def resident_list(
    request,
    q: Line = "",
    address: line(200) = "",
    tag: line(40) = "",
    age: line(20) = "",
    grid: line(20) = "",
    unit: line(20) = "",
    check: line(40) = "",
    archived: bool = False,
    sort: line(20) = "name",
    offset: Offset = 0,
    limit: Limit = 50,
):
    if check and check not in CHECKS:
        raise ValidationFailed(details={"check": [_("One of: %(c)s.") % {"c": ", ".join(CHECKS)}]})
    filters = ResidentFilters(
        q=q,
        address=address,
        tag=tag,
        age=age,
        grid=grid,
        unit=unit,
        check=check,
        include_archived=archived,
        sort=sort,
    )
    qs = selectors.resident_list(actor=request.user, filters=filters)
    items, limit, offset = page_slice(qs, offset, limit)
    items = [_as_seen_by(request.user, r) for r in items]
    resident_reads_note(actor=request.user, count=len(items), via="api.resident_list")
    return ResidentPage(count=qs.count(), offset=offset, limit=limit, items=items)


@router.post("/residents", response={201: ResidentOut})
@api_requires("people.change")
def resident_create(request, payload: ResidentIn):
    household = selectors.household_get(actor=request.user, uid=payload.household, action="change")
    resident = services.resident_create(
        actor=request.user, household=household, data=payload.data, purpose=payload.purpose
    )
    return Status(201, _as_seen_by(request.user, resident))


@router.get("/residents/{uid}", response=ResidentOut)
@api_requires("people.view")
def resident_get(request, uid: UUID):
    resident = selectors.resident_get(actor=request.user, uid=uid)
    resident_reads_note(actor=request.user, count=1, via="api.resident_get")
    return _as_seen_by(request.user, resident)


@router.patch("/residents/{uid}", response=ResidentOut)
@api_requires("people.change")
def resident_patch(request, uid: UUID, payload: ResidentPatch):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    updated = services.resident_update(
        actor=request.user,
        resident=resident,
        data=payload.data,
        expected_version=payload.version,
        purpose=payload.purpose,
    )
    return _as_seen_by(request.user, updated)


@router.post("/residents/{uid}/reveal", response=RevealOut)
@api_requires("people.reveal")
def resident_reveal(request, uid: UUID, payload: RevealIn):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="reveal")
    value = services.resident_reveal(
        actor=request.user, resident=resident, field=payload.field, reason=payload.reason
    )
    return RevealOut(field=payload.field, value=value)


class VerifyIn(Schema):
    version: Version


@router.post("/residents/{uid}/verify", response=ResidentOut)
@api_requires("people.change")
def resident_verify(request, uid: UUID, payload: VerifyIn):
    """Record that the resident's information was checked with them and is unchanged (核实)."""
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    verified = services.resident_verify(
        actor=request.user, resident=resident, expected_version=payload.version
    )
    return _as_seen_by(request.user, verified)


@router.get("/residents/{uid}/tags", response=list[TagOut])
@api_requires("people.view")
def resident_tags(request, uid: UUID):
    resident = selectors.resident_get(actor=request.user, uid=uid)
    resident_reads_note(actor=request.user, count=1, via="api.resident_tags")
    return [
        TagOut(code=t.category.code, name=t.category.name)
        for t in selectors.resident_tags(actor=request.user, resident=resident)
    ]


@router.post("/imports", response={202: ImportOut})
@api_requires("people.import")
def import_create(
    request,
    file: File[UploadedFile],
    # Form fields: checked by InputTextMiddleware like every form post.
    mode: Form[str] = "all",
    grid: Form[str] = "",
    grouping: Form[str] = "relation",
    columns: Form[str] = "",
):
    """Upload a resident file. ``grid``: the grid of rows without a grid code (default: the
    uploader's own grid when their scope holds one). ``grouping``: how rows without a
    household number form households. ``columns``: a JSON object of decisions, as in
    PATCH."""
    mapping, ignored = imports.decisions_split(_json_object(columns, "columns"))
    job = imports.job_start(
        actor=request.user,
        upload=file,
        mode=mode,
        mapping=mapping,
        ignored_columns=ignored,
        target_grid=grid,
        grouping=grouping,
    )
    return Status(202, job)


def _json_object(text: str, field: str) -> dict[str, str]:
    import json

    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(
            details={field: [_("A JSON object of column → our column or “ignore”.")]}
        )
    return value


@router.patch("/imports/{uid}", response={202: ImportOut})
@api_requires("people.import")
def import_patch(request, uid: UUID, payload: ImportPatch):
    job = selectors.import_job_get(actor=request.user, uid=uid)
    if payload.columns is not None or payload.grid is not None or payload.grouping is not None:
        job = imports.job_configure(
            actor=request.user,
            job=job,
            columns=payload.columns,
            target_grid=payload.grid,
            grouping=payload.grouping,
            mode=payload.mode or "preview",
        )
    elif payload.mode:
        job = imports.job_proceed(actor=request.user, job=job, mode=payload.mode)
    else:
        raise ValidationFailed(details={"mode": [_("Send decisions, a mode, or both.")]})
    return Status(202, job)


@router.get("/imports/{uid}", response=ImportReportOut)
@api_requires("people.import")
def import_get(request, uid: UUID):
    return selectors.import_job_get(actor=request.user, uid=uid)
