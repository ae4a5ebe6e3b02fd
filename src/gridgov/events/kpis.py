"""The event KPIs, registered with the KPI registry. Each is defined once; nothing else
computes them.

They follow the plans' definitions. Outcomes closed without being resolved (不予受理,
重复, 不属实, 不属于本辖区, 挂账) never count as resolved.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.events.models import Channel, Event, State
from gridgov.kpis.registry import Kpi, register

NOT_A_CASE = [State.REJECTED, State.MERGED, State.UNFOUNDED, State.OUT_OF_AREA]
PUBLIC_CHANNELS = [Channel.RESIDENT, Channel.HOTLINE, Channel.OPEN311]
EVENT_GROUPS = {
    "grid": "grid_id",
    "worker": "assignee_id",
    "department": "department_id",
    "category": "category_id",
}


def _events():
    return Event.objects.all()


def _in(field, period):
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _minus(later, earlier):
    return lambda: ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def _event_records(code):
    def link(unit_code: str, period) -> str:
        start = timezone.localtime(period.start).date().isoformat()
        query = urlencode({"kpi": code, "unit": unit_code, "period": period.kind, "date": start})
        return f"{reverse('events:event_list')}?{query}"

    return link


def _event_kpi(**kwargs) -> Kpi:
    return register(
        Kpi(
            source=_events,
            capability="events",
            group_fields=EVENT_GROUPS,
            records=_event_records(kwargs["code"]),
            **kwargs,
        )
    )


_event_kpi(
    code="events.on_time_handling",
    name=_("On-time handling rate (按期处置率)"),
    definition=_("Of the events handled in the period, the share handled by their deadline."),
    formula=_("handled by the deadline ÷ handled"),
    date_field="handled_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("handled_at", p) & Q(handle_due__isnull=False),
    numerator=lambda p: Q(handled_at__lte=F("handle_due")),
)
_event_kpi(
    code="events.closure_rate",
    name=_("Closure rate (结案率)"),
    definition=_("Of the events registered in the period, the share closed as resolved."),
    formula=_("closed as resolved ÷ registered"),
    date_field="classified_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("classified_at", p),
    numerator=lambda p: Q(state=State.CLOSED),
)
_event_kpi(
    code="events.on_time_closure",
    name=_("On-time closure rate (按期结案率)"),
    definition=_(
        "Of the cases whose deadline fell in the period and has passed (应结案数; rejected, "
        "duplicate, unfounded and out-of-area reports are not cases), the share closed as "
        "resolved by their deadline."
    ),
    formula=_("closed as resolved by the deadline ÷ cases due"),
    date_field="handle_due",
    unit="%",
    higher_is_better=True,
    # Only deadlines already passed: a case due later this month is not late yet.
    denominator=lambda p: _in("handle_due", p) & Q(handle_due__lt=Now()) & ~Q(state__in=NOT_A_CASE),
    numerator=lambda p: Q(state=State.CLOSED, closed_at__lte=F("handle_due")),
)
_event_kpi(
    code="events.rework_rate",
    name=_("Rework rate (返工率)"),
    definition=_("Of the events handled in the period, the share sent back at least once."),
    formula=_("reworked ÷ handled"),
    date_field="handled_at",
    unit="%",
    higher_is_better=False,
    denominator=lambda p: _in("handled_at", p),
    numerator=lambda p: Q(rework_count__gt=0),
)
_event_kpi(
    code="events.extension_rate",
    name=_("Extension rate (延期率)"),
    definition=_("Of the events registered in the period, the share given more time."),
    formula=_("extended ÷ registered"),
    date_field="classified_at",
    unit="%",
    higher_is_better=False,
    denominator=lambda p: _in("classified_at", p),
    numerator=lambda p: Q(extension_count__gt=0),
)
_event_kpi(
    code="events.avg_accept_minutes",
    name=_("Average time to accept (平均受理时长)"),
    definition=_("For events accepted in the period, the mean time from report to acceptance."),
    formula=_("mean of (accepted − reported), in minutes"),
    date_field="accepted_at",
    unit="min",
    higher_is_better=False,
    denominator=lambda p: _in("accepted_at", p),
    duration=_minus("accepted_at", "reported_at"),
    scale=60,
)
_event_kpi(
    code="events.avg_handle_hours",
    name=_("Average handling time (平均处置时长)"),
    definition=_("For events handled in the period, the mean time from registration to handled."),
    formula=_("mean of (handled − registered), in hours"),
    date_field="handled_at",
    unit="h",
    higher_is_better=False,
    denominator=lambda p: _in("handled_at", p) & Q(classified_at__isnull=False),
    duration=_minus("handled_at", "classified_at"),
    scale=3600,
)
_event_kpi(
    code="events.feedback_rate",
    name=_("Feedback rate (反馈率)"),
    definition=_(
        "Of the public reports closed in the period, the share whose reporter was reached "
        "for feedback (rated, or asked again by the follow-up)."
    ),
    formula=_("reporter reached ÷ public reports closed"),
    date_field="closed_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("closed_at", p) & Q(state=State.CLOSED, channel__in=PUBLIC_CHANNELS),
    numerator=lambda p: Q(rated_at__isnull=False) | Q(rating_followup_sent=True),
)
_event_kpi(
    code="events.satisfaction",
    name=_("Satisfaction rate (满意率)"),
    definition=_("Of the events rated in the period, the share rated 4 or 5 and actually fixed."),
    formula=_("rated 4–5 and fixed ÷ rated"),
    date_field="rated_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("rated_at", p),
    numerator=lambda p: Q(rating__gte=4) & ~Q(actually_fixed=False),
)
_event_kpi(
    code="events.discovery_rate",
    name=_("Discovery rate (问题发现率)"),
    definition=_("Of the cases reported in the period, the share found by grid workers."),
    formula=_("found on patrol ÷ cases reported"),
    date_field="reported_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("reported_at", p) & ~Q(state__in=NOT_A_CASE),
    numerator=lambda p: Q(found_by_grid_worker=True),
)
_event_kpi(
    code="events.missed_rate",
    name=_("Missed-report rate (漏报率)"),
    definition=_(
        "Of the cases registered in the period, the share that came from the public and "
        "proved true (closed as resolved): problems the grid worker did not find first."
    ),
    formula=_("public reports closed as resolved ÷ registered"),
    date_field="classified_at",
    unit="%",
    higher_is_better=False,
    denominator=lambda p: _in("classified_at", p),
    numerator=lambda p: Q(state=State.CLOSED, channel__in=PUBLIC_CHANNELS),
)
_event_kpi(
    code="events.valid_report_rate",
    name=_("Valid report rate (有效上报率)"),
    definition=_("Of the grid workers' reports in the period, the share that were real cases."),
    formula=_("patrol reports that are cases ÷ patrol reports"),
    date_field="reported_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("reported_at", p) & Q(channel=Channel.PATROL),
    numerator=lambda p: ~Q(state__in=NOT_A_CASE),
)
_event_kpi(
    code="events.on_time_acceptance",
    name=_("On-time verification rate (按时核实率)"),
    definition=_("Of the reports accepted in the period, the share accepted within the limit."),
    formula=_("accepted by the acceptance deadline ÷ accepted"),
    date_field="accepted_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("accepted_at", p) & Q(accept_due__isnull=False),
    numerator=lambda p: Q(accepted_at__lte=F("accept_due")),
)
_event_kpi(
    code="events.on_time_check",
    name=_("On-time check rate (按时核查率)"),
    definition=_(
        "Of the events closed after handling in the period, the share verified on site "
        "within 24 hours of being handled."
    ),
    formula=_("verified within 24 h of handling ÷ verified"),
    date_field="closed_at",
    unit="%",
    higher_is_better=True,
    denominator=lambda p: _in("closed_at", p) & Q(state=State.CLOSED, handled_at__isnull=False),
    numerator=lambda p: Q(closed_at__lte=F("handled_at") + timedelta(hours=24)),
)
_event_kpi(
    code="events.repeat_rate",
    name=_("Repeat complaint rate (重复投诉率)"),
    definition=_("Of the reports in the period, the share merged into an earlier event."),
    formula=_("merged as duplicates ÷ reports"),
    date_field="reported_at",
    unit="%",
    higher_is_better=False,
    denominator=lambda p: _in("reported_at", p),
    numerator=lambda p: Q(state=State.MERGED),
)
