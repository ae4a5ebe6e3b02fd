"""The volunteer's own pages under /participation/me/volunteer/ (phone first, big
buttons): register, profile and star level, open shifts, sign-up and cancel, check-in and
check-out with the phone's location, hours; and, for a resident named as the person served,
the hours waiting for their approval."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, NotFound, error_text
from gridgov.core.masking import mask_name
from gridgov.core.permissions import requires
from gridgov.core.policies import policy_get
from gridgov.participation import selectors_volunteers as sel
from gridgov.participation import services_volunteers as services
from gridgov.participation.models import ShiftRecord, Skill, TimeBand
from gridgov.residents.selectors import resident_for

R = ShiftRecord.State


def _weekdays():
    from django.utils.dates import WEEKDAYS

    return [(d, WEEKDAYS[d]) for d in range(7)]


def _mine(request):
    resident = resident_for(request.user)
    return resident, sel.volunteer_for(resident)


def _volunteer_or_404(request):
    """The caller's volunteer profile; someone who has none has no shift records either, so
    what they ask for reads as missing."""
    _resident, volunteer = _mine(request)
    if volunteer is None:
        raise NotFound()
    return volunteer


@requires("participation.take_part")
def me_volunteer(request):
    resident, volunteer = _mine(request)
    context = {"resident": resident, "volunteer": volunteer}
    if volunteer is None:
        context.update(
            {"skills": Skill.choices, "weekdays": _weekdays(), "bands": TimeBand.choices}
        )
        return render(request, "participation/me_register.html", context)
    now = timezone.now()
    records = list(
        sel.own_records(volunteer).filter(
            state__in=[R.SIGNED_UP, R.CHECKED_IN], shift__end_at__gt=now
        )
    )
    context.update(
        {
            "stars": sel.volunteer_stars(volunteer),
            "records": records,
            "skill_labels": dict(Skill.choices),
            "waiting": sel.approval_queue(actor=request.user, resident=resident)
            .filter(shift__recipient=resident)
            .count(),
        }
    )
    return render(request, "participation/me_volunteer.html", context)


@require_POST
@requires("participation.take_part")
def me_register(request):
    data = {
        "skills": request.POST.getlist("skills"),
        "weekdays": request.POST.getlist("weekdays"),
        "time_bands": request.POST.getlist("time_bands"),
    }
    try:
        services.register_volunteer(actor=request.user, data=data)
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Welcome: you are registered as a volunteer."))
    return redirect("participation:me_volunteer")


@requires("participation.take_part")
def me_shifts(request):
    _resident, volunteer = _mine(request)
    if volunteer is None:
        return redirect("participation:me_volunteer")
    shifts = list(sel.open_shifts(volunteer)[:100])
    mine = set(
        sel.own_records(volunteer)
        .filter(state__in=ShiftRecord.HOLDING, shift__in=shifts)
        .values_list("shift_id", flat=True)
    )
    for s in shifts:
        s.free = max(0, s.slots - s.taken)
        s.mine = s.pk in mine
        s.blocked = s.activity.touches_personal_data and not sel.may_touch_personal_data(volunteer)
    return render(request, "participation/me_shifts.html", {"shifts": shifts})


@require_POST
@requires("participation.take_part")
def me_sign_up(request, uid):
    volunteer = _volunteer_or_404(request)
    shift = sel.shift_for_volunteer(volunteer, uid)
    try:
        record = services.sign_up(actor=request.user, shift=shift)
    except GridGovError as exc:
        messages.error(request, error_text(exc))
        return redirect("participation:me_shifts")
    messages.success(request, _("You are signed up."))
    return redirect("participation:me_record", uid=record.uid)


@requires("participation.take_part")
def me_record(request, uid):
    volunteer = _volunteer_or_404(request)
    record = sel.own_record(volunteer, uid)
    early = policy_get("participation.volunteers").checkin_early_minutes
    return render(
        request,
        "participation/me_record.html",
        {"record": record, "activity": record.shift.activity, "early": early},
    )


def _step(request, uid, step):
    volunteer = _volunteer_or_404(request)
    record = sel.own_record(volunteer, uid)
    data = {k: request.POST.get(k, "") for k in ("lon", "lat", "client_id")}
    try:
        step(actor=request.user, record=record, data=data)
    except GridGovError as exc:
        messages.error(request, error_text(exc))
        return False, record
    return True, record


@require_POST
@requires("participation.take_part")
def me_check_in(request, uid):
    ok, record = _step(request, uid, services.check_in)
    if ok:
        messages.success(request, _("Checked in. Thank you for coming!"))
    return redirect("participation:me_record", uid=record.uid)


@require_POST
@requires("participation.take_part")
def me_check_out(request, uid):
    ok, record = _step(request, uid, services.check_out)
    if ok:
        messages.success(request, _("Checked out: your hours wait for approval."))
    return redirect("participation:me_record", uid=record.uid)


@require_POST
@requires("participation.take_part")
def me_cancel(request, uid):
    volunteer = _volunteer_or_404(request)
    record = sel.own_record(volunteer, uid)
    try:
        services.cancel(actor=request.user, record=record)
    except GridGovError as exc:
        messages.error(request, error_text(exc))
        return redirect("participation:me_record", uid=record.uid)
    messages.success(request, _("Sign-up cancelled."))
    return redirect("participation:me_volunteer")


@requires("participation.take_part")
def me_hours(request):
    _resident, volunteer = _mine(request)
    if volunteer is None:
        return redirect("participation:me_volunteer")
    records = list(sel.own_records(volunteer).exclude(state=R.CANCELLED)[:200])
    return render(
        request,
        "participation/me_hours.html",
        {"records": records, "stars": sel.volunteer_stars(volunteer)},
    )


@requires("participation.take_part")
def me_approvals(request):
    resident, _volunteer = _mine(request)
    rows = []
    if resident is not None:
        rows = list(
            sel.approval_queue(actor=request.user, resident=resident).filter(
                shift__recipient=resident
            )[:100]
        )
        for r in rows:
            r.name_masked = mask_name(r.volunteer.resident.name)
    return render(request, "participation/me_approvals.html", {"rows": rows})


@require_POST
@requires("participation.take_part")
def me_approve(request, uid):
    resident = resident_for(request.user)
    record = (
        ShiftRecord.objects.filter(uid=uid, shift__recipient=resident)
        .select_related("shift__recipient", "volunteer__resident")
        .first()
        if resident is not None
        else None
    )
    if record is None:
        raise NotFound()
    try:
        services.approve(actor=request.user, record=record, rating=request.POST.get("rating", ""))
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Thank you: the hours are approved."))
    return redirect("participation:me_approvals")
