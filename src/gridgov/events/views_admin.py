"""Admin pages of the event loop: the category catalogue, the working calendar and the
classifier's measured accuracy."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import NotFound, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.events import admin_services, classify, selectors
from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import CalendarDay, Category, Department, Urgency


@requires("events.manage")
def category_list(request):
    latest = classify.latest_model()
    return render(
        request,
        "events/category_list.html",
        {"categories": selectors.category_tree(active_only=False), "model": latest},
    )


@requires("events.manage")
def category_edit(request, pk: int):
    category = Category.objects.select_related("parent").filter(pk=pk).first()
    if category is None:
        raise NotFound()
    errors: dict = {}
    if request.method == "POST":
        try:
            admin_services.category_update(
                actor=request.user,
                category=category,
                name=request.POST.get("name", ""),
                name_en=request.POST.get("name_en", ""),
                default_urgency=request.POST.get("default_urgency", ""),
                keywords=request.POST.get("keywords", ""),
                sla_overrides=request.POST.get("sla_overrides", ""),
                on_site_resolvable=request.POST.get("on_site_resolvable") == "1",
                sensitive=request.POST.get("sensitive") == "1",
                is_active=request.POST.get("is_active") == "1",
                expected_version=int(request.POST.get("version", "0") or 0),
                department_code=request.POST.get("department", ""),
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        except Exception as exc:  # Conflict and friends
            messages.error(
                request, error_text(exc, model=Category) if hasattr(exc, "message") else str(exc)
            )
        else:
            messages.success(request, _("Saved as version %(v)d.") % {"v": category.version})
            return redirect("events:category_list")
    return render(
        request,
        "events/category_edit.html",
        {
            "category": category,
            "errors": errors,
            "urgencies": Urgency.choices,
            "departments": Department.objects.visible_to(request.user, "manage"),
            "revisions": category.revisions.select_related("changed_by").order_by("-version")[:20],
        },
        status=400 if errors else 200,
    )


@requires("events.manage")
def calendar(request):
    today = date.today()
    years = [today.year, today.year + 1]
    work_calendar = WorkCalendar.load()
    return render(
        request,
        "events/calendar.html",
        {
            "days": CalendarDay.objects.filter(date__year__gte=today.year - 1),
            "years": [(y, work_calendar.year_known(y)) for y in years],
        },
    )


@requires("events.manage")
@require_POST
def calendar_change(request):
    try:
        if request.POST.get("confirm_year"):
            _row, recalculation = admin_services.calendar_confirm_year(
                actor=request.user, year=request.POST["confirm_year"]
            )
        else:
            _row, recalculation = admin_services.calendar_set_day(
                actor=request.user,
                day=request.POST.get("date", ""),
                is_workday=request.POST.get("is_workday") == "1",
                name=request.POST.get("name", ""),
            )
    except ValidationFailed as exc:
        messages.error(request, error_text(exc, model=CalendarDay))
    else:
        messages.success(request, _("Saved."))
        if recalculation.queued:
            messages.info(
                request,
                _("The deadlines of %(n)d open events are being recalculated in the background.")
                % {"n": recalculation.events},
            )
        elif recalculation.events:
            messages.info(
                request,
                _("The deadlines of %(n)d open events were recalculated.")
                % {"n": recalculation.events},
            )
    return redirect("events:calendar")


@requires("events.manage")
@require_POST
def classifier_train(request):
    from gridgov.events.tasks import train_classifier

    labelled = classify.labelled_count()
    if labelled < classify.MIN_TRAINING_EVENTS:
        messages.error(
            request,
            _("Training needs at least %(n)d classified events; there are %(m)d.")
            % {"n": classify.MIN_TRAINING_EVENTS, "m": labelled},
        )
        return redirect("events:category_list")
    train_classifier.enqueue(actor_id=request.user.pk)
    messages.success(request, _("Training started; the accuracy appears here when it is done."))
    return redirect("events:category_list")
