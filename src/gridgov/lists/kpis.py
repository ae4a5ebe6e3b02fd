"""The KPIs of the three lists (需求满足率, 需求匹配率, 平均需求响应天数, 接单及时率, 服务满意度,
服务成效达标率, 服务项目与需求匹配度, 资源利用率, 需求识别准确率), registered with the KPI
registry; nothing else computes them (docs/kpis.md, docs/lists.md).

Needs and orders carry their household's grid path, so every KPI is read by district,
street, community and grid from the daily figures like the events' KPIs; by need category
and, for the orders' KPIs, by provider from the records. Each is one aggregate query over
its rows: the conditions that look at other rows (an order of the need, an earlier start)
are ``Exists`` subqueries, never a Python loop.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gridgov.core.policies import policy_get
from gridgov.kpis.registry import Kpi, KpiValue, Period, as_of, register
from gridgov.lists.models import Need, NeedCategory, NeedLog, Resource, ServiceOrder

UNIT_LEVELS = ("district", "street", "community", "grid")
NEED_LEVELS = (*UNIT_LEVELS, "category")
ORDER_LEVELS = (*UNIT_LEVELS, "category", "provider")
NEED_GROUPS = {"grid": "household__grid_id", "category": "category_id"}
ORDER_GROUPS = {
    "grid": "need__household__grid_id",
    "category": "need__category_id",
    "provider": "resource__provider_name",
}
O = ServiceOrder.State  # noqa: E741


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def category_labels(level: str, keys: list) -> dict:
    """Need categories by id in the reader's language; providers by their own name."""
    if level != "category":
        return {k: str(k) for k in keys}
    english = (translation.get_language() or "").startswith("en")
    rows = NeedCategory.objects.filter(pk__in=keys).values_list("pk", "name", "name_en")
    return {pk: (name_en or name) if english else name for pk, name, name_en in rows}


def _link(name: str):
    def link(unit_code: str, period: Period) -> str:
        return reverse(name)

    return link


def _kpi(**kwargs) -> Kpi:
    kwargs.setdefault("higher_is_better", True)
    return register(Kpi(capability="lists", labels=category_labels, **kwargs))


def _needs():
    return Need.objects.all()


def _orders():
    return ServiceOrder.objects.all()


# A need closed as met: its order was rated "met" (the only way into 已满足, kept when the
# need is followed up afterwards).
_MET = Exists(ServiceOrder.objects.filter(need=OuterRef("pk"), need_met=ServiceOrder.Met.YES))


def _matched_in_time(period: Period) -> Q:
    days = policy_get("lists.orders").match_days
    dispatched = ServiceOrder.objects.filter(
        need=OuterRef("pk"), dispatched_at__lte=OuterRef("created_at") + timedelta(days=days)
    )
    return Q(Exists(dispatched)) | Q(route=Need.Route.PROJECT)


def _first_start() -> Q:
    earlier = ServiceOrder.objects.filter(
        need=OuterRef("need"), started_at__lt=OuterRef("started_at")
    )
    return ~Q(Exists(earlier))


def _answered_orders():
    """Orders with the moment their acceptance was settled: accepted, or timed out at the
    deadline (a refused or cancelled order is not counted by 接单及时率)."""
    return ServiceOrder.objects.annotate(answered_at=Coalesce("accepted_at", "accept_due"))


def _identification_rows():
    return NeedLog.objects.annotate(scope_path=F("need__scope_path"))


# The check of a need as registered: verified (or sent straight to matching) confirms it;
# marked no longer valid before verification by staff rejects it. Needs closed because the
# registry archived the person or household are not a finding about the need.
_CHECKED = (
    Q(action="verify")
    | Q(action="start_matching", from_state=Need.State.REGISTERED)
    | (Q(action="expire", from_state=Need.State.REGISTERED) & ~Q(note="registry_archive"))
)


_kpi(
    code="lists.fulfilment_rate",
    name=_("Need fulfilment rate (需求满足率)"),
    definition=_(
        "Of the needs closed in the period (met, partly met or cannot be met; needs no longer "
        "valid are not counted), the share the resident said the service fully met."
    ),
    formula=_("needs closed as met ÷ needs closed"),
    unit="%",
    levels=NEED_LEVELS,
    source=_needs,
    date_field="closed_at",
    denominator=lambda p: _in("closed_at", p) & ~Q(state=Need.State.EXPIRED),
    numerator=lambda p: Q(_MET),
    group_fields=NEED_GROUPS,
    records=_link("lists:need_list"),
)
_kpi(
    code="lists.match_rate",
    name=_("Need match rate (需求匹配率)"),
    definition=_(
        "Of the needs registered in the period and still valid, the share given a service "
        "order within the policy's days of being registered (7 by default), or sent to a "
        "project."
    ),
    formula=_("needs dispatched in time or sent to a project ÷ needs registered"),
    unit="%",
    levels=NEED_LEVELS,
    source=_needs,
    date_field="created_at",
    denominator=lambda p: _in("created_at", p) & ~Q(state=Need.State.EXPIRED),
    numerator=_matched_in_time,
    group_fields=NEED_GROUPS,
    records=_link("lists:need_list"),
)
_kpi(
    code="lists.avg_response_days",
    name=_("Average days to service (平均需求响应天数)"),
    definition=_(
        "For the needs whose first service started in the period, the mean number of days "
        "from the need being registered to that start."
    ),
    formula=_("mean of (first service started − need registered), in days"),
    unit="d",
    higher_is_better=False,
    levels=ORDER_LEVELS,
    source=_orders,
    date_field="started_at",
    denominator=lambda p: _in("started_at", p) & _first_start(),
    duration=lambda: ExpressionWrapper(
        F("started_at") - F("need__created_at"), output_field=DurationField()
    ),
    scale=86400,
    group_fields=ORDER_GROUPS,
    records=_link("lists:order_list"),
)
_kpi(
    code="lists.on_time_accept",
    name=_("On-time acceptance rate (接单及时率)"),
    definition=_(
        "Of the service orders accepted in the period or not accepted by their deadline "
        "(超时), the share accepted within the policy limit (1 working day by default). "
        "A refused order is an answer and is matched again; it is not counted."
    ),
    formula=_("accepted by the deadline ÷ (accepted + timed out)"),
    unit="%",
    levels=ORDER_LEVELS,
    source=_answered_orders,
    date_field="answered_at",
    denominator=lambda p: (
        _in("answered_at", p) & (Q(accepted_at__isnull=False) | Q(state=O.TIMED_OUT))
    ),
    numerator=lambda p: Q(accepted_at__lte=F("accept_due")),
    group_fields=ORDER_GROUPS,
    records=_link("lists:order_list"),
)
_kpi(
    code="lists.satisfaction",
    name=_("Service satisfaction (服务满意度)"),
    definition=_("Of the service orders the resident rated in the period, the share rated 4 or 5."),
    formula=_("orders rated 4–5 ÷ orders rated"),
    unit="%",
    levels=ORDER_LEVELS,
    source=_orders,
    date_field="rated_at",
    denominator=lambda p: _in("rated_at", p),
    numerator=lambda p: Q(resident_rating__gte=4),
    group_fields=ORDER_GROUPS,
    records=_link("lists:order_list"),
)
_kpi(
    code="lists.effectiveness",
    name=_("Service effectiveness rate (服务成效达标率)"),
    definition=_(
        "Of the service orders rated in the period, the share that passed both ratings "
        "(双指标): the resident said the need was met, and staff rated the outcome 4 or 5."
    ),
    formula=_("orders met and rated 4–5 by staff ÷ orders rated"),
    unit="%",
    levels=ORDER_LEVELS,
    source=_orders,
    date_field="rated_at",
    denominator=lambda p: _in("rated_at", p),
    numerator=lambda p: Q(need_met=ServiceOrder.Met.YES, outcome_rating__gte=4),
    group_fields=ORDER_GROUPS,
    records=_link("lists:order_list"),
)
_kpi(
    code="lists.service_match",
    name=_("Service–need match (服务项目与需求匹配度)"),
    definition=_(
        "Of the service orders rated in the period, the share whose service answered the need "
        "the household registered: the resident said it met the need fully or in part."
    ),
    formula=_("orders that met the need fully or in part ÷ orders rated"),
    unit="%",
    levels=ORDER_LEVELS,
    source=_orders,
    date_field="rated_at",
    denominator=lambda p: _in("rated_at", p),
    numerator=lambda p: Q(need_met__in=[ServiceOrder.Met.YES, ServiceOrder.Met.PARTLY]),
    group_fields=ORDER_GROUPS,
    records=_link("lists:order_list"),
)
_kpi(
    code="lists.identification_accuracy",
    name=_("Need identification accuracy (需求识别准确率)"),
    definition=_(
        "Of the needs checked in the period — verified, sent to matching, or marked no longer "
        "valid by staff before verification — the share confirmed as real needs (verified or "
        "sent to matching). Needs closed because the registry archived the person or the "
        "household are not counted."
    ),
    formula=_("needs confirmed ÷ needs checked"),
    unit="%",
    levels=NEED_LEVELS,
    source=_identification_rows,
    date_field="created_at",
    denominator=lambda p: _in("created_at", p) & _CHECKED,
    numerator=lambda p: Q(action__in=["verify", "start_matching"]),
    group_fields={"grid": "need__household__grid_id", "category": "need__category_id"},
    records=_link("lists:need_list"),
)


# 资源利用率: capacity used ÷ capacity offered. Each resource's capacity is per week or per
# month; an order dispatched in that period and not refused, timed out or cancelled uses one
# unit (the rule matching applies). Capacity used beyond the capacity (lowered after the
# orders were made) counts as full, not more.


def _period_starts(moment: datetime) -> tuple[datetime, datetime]:
    """The starts of the week and of the month holding the last instant before ``moment``."""
    day = timezone.localtime(moment - timedelta(microseconds=1)).date()
    week = day - timedelta(days=day.weekday())

    def aware(d):
        return timezone.make_aware(datetime.combine(d, time.min))

    return aware(week), aware(day.replace(day=1))


def _used(moment: datetime):
    week, month = _period_starts(moment)

    def count(start):
        orders = (
            ServiceOrder.objects.filter(
                resource=OuterRef("pk"),
                state__in=ServiceOrder.USING_STATES,
                dispatched_at__gte=start,
                dispatched_at__lt=moment,
            )
            .order_by()
            .values("resource")
            .annotate(c=Count("pk"))
            .values("c")
        )
        return Coalesce(Subquery(orders, output_field=IntegerField()), Value(0))

    return Least(
        Case(
            When(capacity_period=Resource.Period.WEEK, then=count(week)),
            default=count(month),
            output_field=IntegerField(),
        ),
        F("capacity"),
        output_field=IntegerField(),
    )


def _resources_in_pool(rows, moment: datetime):
    return rows.filter(
        status=Resource.Status.ACTIVE, created_at__lt=moment, capacity__gt=0
    ).annotate(kpi_used=_used(moment))


def utilisation(prefix: str, moment: datetime) -> dict[str, list]:
    """{keeper's path: [capacity used, capacity offered]} of the resources in the pool, in
    each resource's own capacity period up to ``moment``."""
    rows = _resources_in_pool(Resource.objects.filter(scope_path__startswith=prefix), moment)
    counted = rows.values("scope_path").annotate(num=Sum("kpi_used"), den=Sum("capacity"))
    return {r["scope_path"]: [r["num"] or 0, r["den"] or 0] for r in counted.order_by()}


def _utilisation_grouped(rows, period: Period, group: str | None) -> dict:
    rows = _resources_in_pool(rows, as_of(period))
    aggregates = {"num": Sum("kpi_used"), "den": Sum("capacity")}
    if group is None:
        total = rows.aggregate(**aggregates)
        return {None: _ratio(total["num"], total["den"])}
    counted = rows.values(group).annotate(**aggregates).order_by()
    return {r[group]: _ratio(r["num"], r["den"]) for r in counted}


def _ratio(num, den) -> KpiValue:
    num, den = num or 0, den or 0
    return KpiValue(num, den, round(num * 100.0 / den, 2) if den else None)


_kpi(
    code="lists.resource_utilisation",
    name=_("Resource utilisation (资源利用率)"),
    definition=_(
        "Of the capacity the resources in the pool offer in their own period (a week or a "
        "month), the share used by service orders dispatched in it (refused, timed-out and "
        "cancelled orders free their place), as of the end of the period. A resource counts "
        "under the unit that keeps it."
    ),
    formula=_("capacity used ÷ capacity offered"),
    unit="%",
    levels=(*UNIT_LEVELS, "provider"),
    source=lambda: Resource.objects.all(),
    snapshot=utilisation,
    group=_utilisation_grouped,
    group_fields={"provider": "provider_name"},
    records=_link("lists:resource_list"),
)
