"""Pages of smart devices (phone-first): the devices board of a street or district (access
and good-condition rates, repair tickets, alarm accuracy per type, devices past their
replacement date, the registry with filters), a device with its actions, tickets and
alarms, registering a device (its webhook secret shown once), the repair tickets and the
alarms to judge. They call the same services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.permissions import requires
from gridgov.operations import selectors_devices as selectors
from gridgov.operations import services_devices as services
from gridgov.operations.models import Device
from gridgov.operations.policies_devices import devices_policy

PAGE = 200


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _act(request, transition, record_key: str, record, success: str) -> None:
    """Apply one of a machine's actions from a posted form (action, version, note); a
    refusal becomes the page's message, a record out of scope stays a 404."""
    try:
        transition(
            actor=request.user,
            **{record_key: record},
            action=request.POST.get("action", ""),
            version=_version(request),
            note=request.POST.get("note", ""),
        )
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)


def _offered(machine, user, record) -> list:
    """The actions ``user`` may take on ``record`` now (the machine's own answer)."""
    return [
        t
        for action, t in machine.transitions.items()
        if machine.refusal(user, record, action) is None
    ]


@requires("operations.view")
def device_board(request):
    user = request.user
    policy = devices_policy()
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()[:40]
    devices = selectors.device_list(
        actor=user,
        status=status if status in Device.Status.values else "",
        kind=kind if kind in policy.types else "",
        q=q,
    )
    board = selectors.board(actor=user)
    return render(
        request,
        "operations/device_board.html",
        {
            "board": board,
            "status_counts": [
                (value, label, board.by_status.get(value, 0))
                for value, label in Device.Status.choices
            ],
            "devices": list(devices[:PAGE]),
            "count": devices.count(),
            "replacement_due": list(selectors.replacement_due(actor=user)[:20]),
            "statuses": Device.Status.choices,
            "types": policy.types,
            "policy": policy,
            "filters": {"status": status, "kind": kind, "q": q},
            "can_manage": user.has_permission("operations.manage"),
        },
    )


@requires("operations.manage")
def device_create(request):
    policy = devices_policy()
    errors, posted = {}, {}
    if request.method == "POST":
        posted = request.POST
        try:
            device, secret = services.device_register(actor=request.user, data=request.POST.dict())
        except GridGovError as exc:
            if exc.status == 404:
                raise
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, error_text(exc, Device))
        else:
            messages.success(request, _("Device registered."))
            return render(
                request, "operations/device_secret.html", {"device": device, "secret": secret}
            )
    return render(
        request,
        "operations/device_form.html",
        {"errors": errors, "posted": posted, "types": policy.types, "policy": policy},
        status=422 if errors else 200,
    )


@requires("operations.view")
def device_detail(request, uid):
    user = request.user
    device = selectors.device_get(actor=user, uid=uid)
    device_type = devices_policy().types.get(device.kind)
    return render(
        request,
        "operations/device_detail.html",
        {
            "device": device,
            "type_label": device_type.label() if device_type else device.kind,
            "actions": _offered(services.DEVICE_MACHINE, user, device),
            "tickets": list(device.tickets.select_related("device").order_by("-opened_at")[:20]),
            "alarms": list(device.alarms.select_related("event")[:20]),
            "now": timezone.now(),
        },
    )


@require_POST
@requires("operations.view")
def device_action(request, uid):
    device = selectors.device_get(actor=request.user, uid=uid)
    _act(request, services.device_transition, "device", device, _("Done."))
    return redirect("operations:device_detail", device.uid)


@requires("operations.view")
def ticket_list(request):
    user = request.user
    show = request.GET.get("show", "open")
    tickets = list(
        selectors.ticket_list(actor=user, open_only=show != "all", overdue_only=show == "overdue")[
            :PAGE
        ]
    )
    for t in tickets:
        t.actions = _offered(services.TICKET_MACHINE, user, t)
    return render(
        request,
        "operations/ticket_list.html",
        {
            "tickets": tickets,
            "show": show,
            "tabs": [("open", _("open")), ("overdue", _("overdue")), ("all", _("all"))],
            "now": timezone.now(),
        },
    )


@require_POST
@requires("operations.maintain")
def ticket_action(request, uid):
    ticket = selectors.ticket_get(actor=request.user, uid=uid)
    fixed = request.POST.get("action") == "fix"
    _act(
        request,
        services.ticket_transition,
        "ticket",
        ticket,
        _("Repair recorded; the device is back online.") if fixed else _("Repair started."),
    )
    if request.POST.get("next") == "device":
        return redirect("operations:device_detail", ticket.device.uid)
    return redirect("operations:ticket_list")


@requires("operations.view")
def alarm_list(request):
    user = request.user
    pending = request.GET.get("show", "pending") == "pending"
    alarms = list(selectors.alarm_list(actor=user, pending_only=pending)[:PAGE])
    return render(
        request,
        "operations/alarm_list.html",
        {
            "alarms": alarms,
            "pending": pending,
            "can_judge": user.has_permission("operations.maintain"),
        },
    )


@require_POST
@requires("operations.maintain")
def alarm_verdict(request, uid):
    alarm = selectors.alarm_get(actor=request.user, uid=uid)
    verdict = {"true": True, "false": False}.get(request.POST.get("verdict", ""))
    try:
        services.alarm_verify(
            actor=request.user, alarm=alarm, is_true=verdict, note=request.POST.get("note", "")
        )
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Verdict recorded."))
    return redirect("operations:alarm_list")
