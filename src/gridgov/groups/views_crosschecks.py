"""Pages of the quarterly cross-check 季度复核: the check of one group's quarter (phone-first:
each month's report confirmed or with up to three discrepancies), the section on the
group's page and the community's board of the quarter (due, overdue, done)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.groups import selectors, selectors_crosschecks
from gridgov.groups import services_crosschecks as services
from gridgov.groups.models import Snapshot

SLOTS = 3  # discrepancy rows offered per report on the form
# The figures shown beside each month on the form (the rest are in the indicator list).
KEY_VALUES = ("members_total", "activity_pct", "response_hours", "satisfaction_pct")


def _quarter(request, today):
    raw = request.POST.get("quarter") or request.GET.get("quarter") or ""
    return services.quarter_of(raw) or services.quarter_for(today)


def _snapshots(user, group, quarter) -> list[Snapshot]:
    months = services.quarter_months(quarter)
    return list(
        selectors.snapshot_list(actor=user, group=group)
        .filter(month__gte=months[0], month__lte=months[-1])
        .order_by("month")
    )


def crosscheck_context(user, group) -> dict:
    """The cross-check section of a group's page: the quarter asked for today, its status,
    who may check it, and the group's last checks."""
    today = timezone.localdate()
    span = services.window(services.quarter_for(today))
    history = list(selectors_crosschecks.crosscheck_list(actor=user, group=group)[:4])
    check = next((c for c in history if c.quarter == span.quarter), None)
    status = span.status(today, check)
    may = services.may_check(user, group) and group.is_registered
    reporter = any(
        services.entered_by_actor(s, user) for s in services.quarter_snapshots(group, span.quarter)
    )
    return {
        "xc_window": span,
        "xc_status": status,
        "xc_status_label": services.STATUS_LABELS[status],
        "xc_can_check": may and check is None and status != services.UPCOMING and not reporter,
        "xc_reporter": may and check is None and reporter,
        "xc_history": [_check_view(c) for c in history],
    }


def _check_view(check) -> dict:
    labels = _indicator_labels()
    return {
        "check": check,
        "items": [
            {
                "item": item,
                "corrected": services.discrepancy_corrected(item),
                "discrepancies": [
                    {"d": d, "label": labels.get(d.indicator, d.indicator)}
                    for d in item.discrepancies.all()
                ],
            }
            for item in check.items.all()
        ],
    }


def _indicator_labels() -> dict:
    return {k: Snapshot._meta.get_field(k).verbose_name for k in Snapshot.MEASURES}


def _posted_items(request, snapshots) -> tuple[list[dict], dict]:
    """The service's items from the form, and where each discrepancy index sits on it."""
    items, where = [], {}
    for i, s in enumerate(snapshots):
        uid = str(s.uid)
        answer = request.POST.get(f"confirm-{uid}", "")
        rows = []
        for k in range(SLOTS):
            indicator = request.POST.get(f"ind-{uid}-{k}", "").strip()
            found = request.POST.get(f"found-{uid}-{k}", "")
            note = request.POST.get(f"note-{uid}-{k}", "")
            if not indicator and not found.strip() and not note.strip():
                continue
            where[(i, len(rows))] = k
            rows.append({"indicator": indicator, "found": found, "note": note})
        items.append(
            {
                "snapshot": uid,
                "version": request.POST.get(f"version-{uid}", ""),
                "confirmed": {"yes": True, "no": False}.get(answer, "?"),
                "discrepancies": rows if answer == "no" else [],
            }
        )
    return items, where


def _field_errors(details: dict, snapshots, where) -> dict:
    """Service error keys (``items.0.discrepancies.1.found``) → the form's field names."""
    out: dict[str, list] = {}
    for key, texts in details.items():
        parts = key.split(".")
        name = key
        if parts[0] == "items" and len(parts) >= 2 and parts[1].isdigit():
            uid = str(snapshots[int(parts[1])].uid)
            name = f"confirm-{uid}"
            if len(parts) >= 5 and parts[2] == "discrepancies" and parts[3].isdigit():
                k = where.get((int(parts[1]), int(parts[3])), 0)
                field = {"indicator": "ind", "found": "found", "note": "note"}[parts[4]]
                name = f"{field}-{uid}-{k}"
        out.setdefault(name, []).extend(texts)
    return out


@requires("groups.approve")
def crosscheck_form(request, uid):
    user = request.user
    group = selectors.group_get(actor=user, uid=uid, action="approve")
    today = timezone.localdate()
    quarter = _quarter(request, today)
    span = services.window(quarter)
    snapshots = _snapshots(user, group, quarter)
    errors: dict = {}
    if request.method == "POST":
        items, where = _posted_items(request, snapshots)
        try:
            services.crosscheck_record(
                actor=user,
                group=group,
                quarter=quarter,
                items=items,
                note=request.POST.get("note", ""),
            )
        except ValidationFailed as exc:
            errors = _field_errors(exc.details or {}, snapshots, where)
            messages.error(request, error_text(exc))
        except GridGovError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, _("Cross-check of %(quarter)s recorded.") % {"quarter": span.label}
            )
            return redirect("groups:group_detail", uid=group.uid)
    labels = _indicator_labels()
    post = request.POST
    reports = []
    for s in snapshots:
        uid_s = str(s.uid)
        reports.append(
            {
                "snapshot": s,
                "answer": post.get(f"confirm-{uid_s}", ""),
                "errors": errors.get(f"confirm-{uid_s}"),
                "values": [(labels[k], services.value_text(getattr(s, k))) for k in KEY_VALUES],
                "slots": [
                    {
                        "k": k,
                        "indicator": post.get(f"ind-{uid_s}-{k}", ""),
                        "found": post.get(f"found-{uid_s}-{k}", ""),
                        "note": post.get(f"note-{uid_s}-{k}", ""),
                        "errors": (errors.get(f"ind-{uid_s}-{k}") or [])
                        + (errors.get(f"found-{uid_s}-{k}") or [])
                        + (errors.get(f"note-{uid_s}-{k}") or []),
                    }
                    for k in range(SLOTS)
                ],
                "choices": [
                    (k, labels[k], services.value_text(getattr(s, k))) for k in Snapshot.MEASURES
                ],
            }
        )
    return render(
        request,
        "groups/crosscheck_form.html",
        {
            "group": group,
            "window": span,
            "status": span.status(today),
            "status_label": services.STATUS_LABELS[span.status(today)],
            "reports": reports,
            "missing": 3 - len(snapshots),
            "note": post.get("note", ""),
            "errors": errors,
        },
    )


@requires("groups.view")
def crosscheck_list(request):
    user = request.user
    today = timezone.localdate()
    quarter = _quarter(request, today)
    board = selectors_crosschecks.crosscheck_board(actor=user, quarter=quarter, today=today)
    show = request.GET.get("show", "")
    rows = [r for r in board["rows"] if not show or r["status"] == show]
    previous = services.quarter_of(quarter - timedelta(days=1))
    following = services.next_quarter(quarter)
    return render(
        request,
        "groups/crosscheck_list.html",
        {
            "window": board["window"],
            "rows": [
                {
                    **r,
                    "label": services.STATUS_LABELS[r["status"]],
                    "may": services.may_check(user, r["group"]),
                }
                for r in rows[:500]
            ],
            "counts": [
                (key, services.STATUS_LABELS[key], board["counts"][key])
                for key in (
                    services.OVERDUE,
                    services.DUE,
                    services.DONE,
                    services.DONE_LATE,
                    services.UPCOMING,
                )
            ],
            "total": len(board["rows"]),
            "show": show,
            "previous": services.quarter_label(previous),
            "following": services.quarter_label(following) if following <= today else "",
        },
    )
