"""Registry pages: search, household file (一户一档), resident forms, reveal, duplicates."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.access_limits import resident_reads_note
from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import access_object, path_in_scope
from gridgov.org.models import OrgUnit
from gridgov.people import exports, privacy, quality, selectors, services
from gridgov.people.models import Consent, DuplicateCandidate, Household, Resident, ResidentTag
from gridgov.people.policies import ALL_RESIDENT_FIELDS
from gridgov.people.privacy import minor_cutoff
from gridgov.people.selectors import AGE_BRACKETS, ResidentFilters

FORM_FIELDS = ALL_RESIDENT_FIELDS


FILTER_FIELDS = ("q", "address", "tag", "age", "grid", "archived", "sort", "unit", "check")


def _filters(g) -> ResidentFilters:
    """The list's filters from a query string (the list) or a form (the export)."""
    return ResidentFilters(
        q=g.get("q", "")[:50],
        address=g.get("address", "")[:100],
        tag=g.get("tag", "")[:40],
        age=g.get("age", "")[:10],
        grid=g.get("grid", "")[:20],
        include_archived=g.get("archived") == "1",
        sort=g.get("sort", "name")[:10],
        unit=g.get("unit", "")[:20],
        check=g.get("check", "")[:12],
    )


@requires("people.view")
def resident_list(request):
    filters = _filters(request.GET)
    page = Paginator(selectors.resident_list(actor=request.user, filters=filters), 25).get_page(
        request.GET.get("page")
    )
    resident_reads_note(actor=request.user, count=len(page.object_list), via="web.resident_list")
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "query": params.urlencode(),
        "tags": selectors.tag_catalogue(actor=request.user),
        "ages": list(AGE_BRACKETS),
        "checks": [("incomplete", _("incomplete records")), ("stale", _("due for verification"))],
        "can_export": request.user.has_permission("people.export"),
        # The export form repeats the list's filters (it is a POST: exports are audited).
        "export_filters": [(k, request.GET[k]) for k in FILTER_FIELDS if request.GET.get(k)],
        "can_export_full": request.user.has_permission("people.export_full"),
        "can_change": request.user.has_permission("people.change"),
        "grids": OrgUnit.objects.visible_to(request.user).filter(level="grid").order_by("code"),
    }
    template = "people/_resident_rows.html" if request.htmx else "people/resident_list.html"
    return render(request, template, context)


@requires("people.view")
def household_list(request):
    page = Paginator(
        selectors.household_list(
            actor=request.user, grid=request.GET.get("grid", ""), q=request.GET.get("q", "")[:50]
        ),
        25,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "people/household_list.html",
        {
            "page": page,
            "q": request.GET.get("q", ""),
            "can_change": request.user.has_permission("people.change"),
        },
    )


@requires("people.view")
def household_detail(request, uid):
    household = selectors.household_get(actor=request.user, uid=uid)
    members = list(selectors.household_members(actor=request.user, household=household))
    resident_reads_note(actor=request.user, count=len(members), via="web.household_detail")
    for member in members:
        member.consent_list = list(selectors.resident_consents(actor=request.user, resident=member))
        member.history_list = list(selectors.resident_history(resident=member)[:20])
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "members": members,
            "can_change": path_in_scope(request.user, household.scope_path, "people.change"),
            "can_reveal": path_in_scope(request.user, household.scope_path, "people.reveal"),
            "tags": selectors.tag_catalogue(actor=request.user),
            "household_kinds": Household.Kind.choices,
            "household_statuses": Household.Status.choices,
            "consent_methods": Consent.Method.choices,
            "minor_cutoff": minor_cutoff(),
            "stale_before": quality.verification_cutoff(),
        },
    )


@requires("people.change")
def household_create(request):
    errors: dict = {}
    values = {"grid": request.GET.get("grid", ""), "number": "", "address": "", "kind": "family"}
    grids = list(selectors.grids_where_actor_keeps_records(actor=request.user))
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        grid = next((g for g in grids if g.code == values["grid"]), None)
        try:
            if grid is None:
                raise ValidationFailed(details={"grid": [_("Choose a grid.")]})
            household = services.household_create(
                actor=request.user,
                grid=grid,
                number=values["number"],
                address=values["address"],
                kind=values["kind"],
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            messages.success(request, _("Household created."))
            return redirect("people:household_detail", uid=household.uid)
    return render(
        request,
        "people/household_form.html",
        {"values": values, "errors": errors, "grids": grids, "kinds": Household.Kind.choices},
        status=400 if errors else 200,
    )


@requires("people.change")
@require_POST
def household_edit(request, uid):
    household = selectors.household_get(actor=request.user, uid=uid, action="change")
    try:
        services.household_update(
            actor=request.user,
            household=household,
            address=request.POST.get("address", ""),
            kind=request.POST.get("kind", ""),
            status=request.POST.get("status", ""),
        )
        messages.success(request, _("Saved."))
    except ValidationFailed as exc:
        messages.error(request, _error_text(exc))
    return redirect("people:household_detail", uid=household.uid)


def _posted_version(request) -> int:
    """The form's record version; garbage reads as 0, which no record has (a conflict)."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else 0


def _error_text(exc: GridGovError) -> str:
    return error_text(exc, model=Resident)


def _resident_form(request, *, household, resident=None):
    errors: dict = {}
    if resident is not None:
        values = {
            "name": resident.name,
            "sex": resident.sex,
            "birth_date": resident.birth_date,
            "ethnicity": resident.ethnicity,
            "id_type": resident.id_type,
            "id_number": "",
            "phone": "",
            "relation": resident.relation,
            "registration": resident.registration,
            "residence": resident.residence,
            "occupation": resident.occupation,
            "education": resident.education,
        }
        if not privacy.actor_sees_birth_date(request.user, resident):
            values["birth_date"] = ""  # the year is shown as a hint; empty keeps the date
    else:
        values = {f: "" for f in FORM_FIELDS}
        values.update(id_type="resident_id", registration="registered", residence="present")
    if request.method == "POST":
        values = {f: request.POST.get(f, "").strip() for f in FORM_FIELDS}
        data = {k: v for k, v in values.items() if v or resident is None}
        if resident is not None:
            data = {k: v for k, v in data.items() if k not in {"id_number", "phone"} or v}
        try:
            if request.POST.get("validate_only") or request.htmx:
                _values, errs = services.clean_resident(data, partial=resident is not None)
                if errs:
                    raise ValidationFailed(details=errs)
                if request.htmx:
                    return render(request, "people/_form_errors.html", {"errors": {}})
            if resident is None:
                saved = services.resident_create(actor=request.user, household=household, data=data)
            else:
                saved = services.resident_update(
                    actor=request.user,
                    resident=resident,
                    data=data,
                    expected_version=_posted_version(request),
                )
        except ValidationFailed as exc:
            errors = exc.details or {"__all__": [str(exc.message)]}
            if request.htmx:
                return render(
                    request,
                    "people/_form_errors.html",
                    {"errors": errors, "error_model": "people.resident"},
                )
        except GridGovError as exc:
            errors = {"__all__": [str(exc.message)]}
        else:
            messages.success(request, _("Saved."))
            return redirect("people:household_detail", uid=saved.household.uid)
    return render(
        request,
        "people/resident_form.html",
        {
            "household": household,
            "resident": resident,
            "values": values,
            "errors": errors,
            "choices": {
                "sex": Resident.Sex.choices,
                "id_type": Resident.IdType.choices,
                "relation": Resident.Relation.choices,
                "registration": Resident.Registration.choices,
                "residence": Resident.Residence.choices[:2],
                "occupation": Resident.Occupation.choices,
                "education": Resident.Education.choices,
            },
        },
        status=400 if errors else 200,
    )


@requires("people.change")
def resident_create(request, uid):
    household = selectors.household_get(actor=request.user, uid=uid, action="change")
    return _resident_form(request, household=household)


@requires("people.change")
def resident_edit(request, uid):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    resident_reads_note(actor=request.user, count=1, via="web.resident_edit")
    return _resident_form(request, household=resident.household, resident=resident)


@requires("people.change")
@require_POST
def resident_archive(request, uid):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    try:
        services.resident_archive(
            actor=request.user,
            resident=resident,
            reason=request.POST.get("reason", ""),
            expected_version=_posted_version(request),
        )
        messages.success(request, _("Saved."))
    except GridGovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("people:household_detail", uid=resident.household.uid)


@requires("people.change")
@require_POST
def resident_verify(request, uid):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    try:
        services.resident_verify(
            actor=request.user,
            resident=resident,
            expected_version=_posted_version(request),
        )
        messages.success(request, _("Recorded as verified."))
    except GridGovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("people:household_detail", uid=resident.household.uid)


@requires("people.reveal")
@require_POST
def resident_reveal(request, uid):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="reveal")
    field = request.POST.get("field", "")
    try:
        value = services.resident_reveal(
            actor=request.user,
            resident=resident,
            field=field,
            reason=request.POST.get("reason", ""),
        )
    except ValidationFailed as exc:
        return HttpResponse(_error_text(exc), status=400)
    return render(request, "people/_revealed.html", {"value": value})


@requires("people.change")
@require_POST
def resident_tag(request, uid):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    try:
        if request.POST.get("action") == "remove":
            tag = access_object(
                request.user,
                ResidentTag.objects.filter(resident=resident),
                "change",
                pk=request.POST.get("tag"),
            )
            services.resident_tag_remove(actor=request.user, tag=tag)
        else:
            category = (
                selectors.tag_catalogue(actor=request.user)
                .filter(code=request.POST.get("category", ""))
                .first()
            )
            if category is None:
                raise ValidationFailed(details={"category": [_("Choose a tag.")]})
            services.resident_tag_add(
                actor=request.user,
                resident=resident,
                category=category,
                source=request.POST.get("source", ""),
                detail=request.POST.get("detail", ""),
            )
        messages.success(request, _("Saved."))
    except GridGovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("people:household_detail", uid=resident.household.uid)


@requires("people.change")
@require_POST
def resident_consent(request, uid):
    resident = selectors.resident_get(actor=request.user, uid=uid, action="change")
    try:
        if request.POST.get("action") == "withdraw":
            consent = access_object(
                request.user,
                Consent.objects.filter(resident=resident),
                "change",
                pk=request.POST.get("consent"),
            )
            services.consent_withdraw(actor=request.user, consent=consent)
        else:
            services.consent_record(
                actor=request.user,
                resident=resident,
                purpose=request.POST.get("purpose", "care_services"),
                notice_version=request.POST.get("notice_version", ""),
                method=request.POST.get("method", ""),
            )
        messages.success(request, _("Saved."))
    except GridGovError as exc:
        messages.error(request, _error_text(exc))
    return redirect("people:household_detail", uid=resident.household.uid)


@requires("people.merge")
def duplicate_list(request):
    if request.method == "POST":
        candidate = access_object(
            request.user,
            DuplicateCandidate.objects.filter(status="open"),
            "merge",
            pk=request.POST.get("candidate"),
        )
        if request.POST.get("action") == "merge":
            services.duplicate_merge(actor=request.user, candidate=candidate)
            messages.success(request, _("Merged; both histories are kept."))
        else:
            services.duplicate_dismiss(actor=request.user, candidate=candidate)
            messages.success(request, _("Marked as different people."))
        return redirect("people:duplicate_list")
    candidates = list(selectors.duplicate_list(actor=request.user)[:200])
    # Each candidate shows two residents side by side.
    resident_reads_note(actor=request.user, count=2 * len(candidates), via="web.duplicate_list")
    return render(request, "people/duplicate_list.html", {"candidates": candidates})


@requires("people.export")
@require_POST
def resident_export(request):
    """A POST under the CSRF check: a link on another site cannot make anyone export."""
    fmt = "xlsx" if request.POST.get("format") == "xlsx" else "csv"
    name, content_type, file = exports.resident_export(
        actor=request.user,
        filters=_filters(request.POST),
        fmt=fmt,
        full=request.POST.get("full") == "1",
    )
    return FileResponse(file, as_attachment=True, filename=name, content_type=content_type)
