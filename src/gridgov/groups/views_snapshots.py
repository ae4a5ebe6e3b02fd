"""The monthly report form of one group (phone-first): every measure may be left empty
("not measured", 未测量); the class placed with its rule is shown on the group's page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.groups import selectors
from gridgov.groups import services_snapshots as services
from gridgov.groups.models import Snapshot

SECTIONS = [
    ("basic", ("activity_pct", "messages_per_day")),
    (
        "members",
        (
            "members_total",
            "age_0_18",
            "age_19_60",
            "age_60_plus",
            "occupation_students",
            "occupation_employed",
            "occupation_retired",
            "occupation_other",
            "special_elderly_alone",
            "special_pregnant",
            "special_chronic",
            "admin_contact",
        ),
    ),
    ("management", ("publish_hours", "response_hours", "allocation_hours")),
    (
        "quality",
        (
            "satisfaction_pct",
            "false_information",
            "service_missing",
            "mixed_function",
            "leak_incidents",
            "complaints",
        ),
    ),
]


def section_titles():
    return {
        "basic": _("Group basics (群组基础信息)"),
        "members": _("Members (成员构成数据)"),
        "management": _("Management (管理效能)"),
        "quality": _("Satisfaction and safety"),
    }


def _field(key: str, posted: dict, errors: dict) -> dict:
    return {
        "key": key,
        "label": Snapshot._meta.get_field(key).verbose_name,
        "flag": key in services.FLAGS,
        "value": posted.get(key, ""),
        "errors": errors.get(key),
    }


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


@requires("groups.register")
def snapshot_form(request, uid):
    user = request.user
    group = selectors.group_get(actor=user, uid=uid, action="register")
    errors: dict = {}
    month_text = request.POST.get("month") or request.GET.get("month") or ""
    if not month_text:
        month_text = timezone.localdate().strftime("%Y-%m")
    first = services.month_of(month_text)
    existing = (
        selectors.snapshot_list(actor=user, group=group, month=first).first() if first else None
    )
    if request.method == "POST":
        posted = {k: request.POST.get(k, "").strip() for k in Snapshot.MEASURES}
        posted["remarks"] = request.POST.get("remarks", "")
        version = request.POST.get("version", "")
        try:
            snapshot = services.snapshot_save(
                actor=user,
                group=group,
                month=month_text,
                data=posted,
                version=int(version) if version.isdigit() else None,
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
            messages.error(request, exc.message)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("Saved: %(class)s.") % {"class": snapshot.get_klass_display()},
            )
            return redirect("groups:group_detail", uid=group.uid)
    elif existing is not None:
        posted = {k: _as_text(getattr(existing, k)) for k in Snapshot.MEASURES}
        posted["remarks"] = existing.remarks
    else:  # a new month starts from the member counts the registry holds
        posted = {
            k: _as_text(getattr(group, k)) for k in Snapshot.MEASURES if k in group.STAT_FIELDS
        }
    titles = section_titles()
    return render(
        request,
        "groups/snapshot_form.html",
        {
            "group": group,
            "month": month_text,
            "existing": existing,
            "errors": errors,
            "remarks": posted.get("remarks", ""),
            "sections": [
                {"title": titles[key], "fields": [_field(f, posted, errors) for f in fields]}
                for key, fields in SECTIONS
            ],
        },
    )
