"""The visits' part of each home (core/workbench.py): the collector's visits and returned
records, the reviewer's queue and conflicts; each count from the selector of its list."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.workbench import Queue, Section, register_section
from gridgov.visits import selectors


@register_section(15)
def visits_section(user) -> Section | None:
    out = []
    if user.has_permission("visits.collect"):
        today = reverse("visits:today")
        mine = selectors.task_list(actor=user, mine=True)
        if mine.exists() or not user.has_permission("visits.review"):
            out.append(
                Queue("visits_mine", _("My visits"), mine.count(), f"{today}#mine", "primary")
            )
        returned = selectors.returned_to_me(actor=user)
        if returned.exists():
            out.append(
                Queue(
                    "visits_returned",
                    _("Visits returned for correction"),
                    returned.count(),
                    f"{today}#returned",
                    "warning",
                )
            )
    if user.has_permission("visits.review"):
        queue = reverse("visits:review_queue")
        out.append(
            Queue(
                "visits_review",
                _("Visits to review"),
                selectors.review_queue(actor=user).count(),
                f"{queue}#to-review",
                "primary",
            )
        )
        out.append(
            Queue(
                "visits_conflicts",
                _("Registry conflicts from visits"),
                selectors.conflict_list(actor=user).count(),
                f"{queue}#conflicts",
                "warning",
            )
        )
    if user.has_permission("visits.assign"):
        area = selectors.task_list(actor=user)
        if area.exists():
            out.append(
                Queue(
                    "visits_due",
                    _("Visits due in the area"),
                    area.count(),
                    reverse("visits:task_board"),
                    "secondary",
                )
            )
    if user.has_permission("visits.spot_check"):
        pending = selectors.spot_check_list(actor=user)
        if pending.exists():
            out.append(
                Queue(
                    "visits_spot_checks",
                    _("Spot checks waiting"),
                    pending.count(),
                    f"{reverse('visits:spot_check_list')}#pending",
                    "primary",
                )
            )
    # The office's campaign board (入户走访调度看板), the KPI app's page of the visits' board.
    office = {"district_staff", "street_staff", "community_staff", "grid_leader"}
    actions = []
    if user.roles & office and user.has_permission("kpis.view"):
        actions.append((_("Visit campaign board"), reverse("kpis:visit_board")))
    if not out and not actions:
        return None
    return Section("visits", _("Household visits"), out, actions=actions)
