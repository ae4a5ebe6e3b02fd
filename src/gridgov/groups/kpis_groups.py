"""The KPIs of the chat-group inventory, registered with the KPI registry (docs/kpis.md).
Each is a snapshot as of the period's end, counted per group path (the group's grid, or its
community) in grouped queries, so units add up their groups. "Registered" groups are those
the committee approved and that are active, registered before the moment:

- ``groups.four_haves``: registered groups with 章程, 管理员, 审核机制 and 应急预案 ÷ registered
  groups (「四有」达标率, ≥ 90 %);
- ``groups.class_high`` / ``class_potential`` / ``class_rectify`` / ``class_restructure``:
  the month's snapshots placed in each of the four classes ÷ the month's snapshots;
- ``groups.average_score``: the mean of the month's scores (0–100);
- ``groups.rectification_on_time``: rectification items due in the month (up to the
  moment) done by their due time ÷ those items;
- ``groups.freshness``: registered groups whose month's snapshot was saved by the policy's
  day (the 5th) and that were cross-checked for the last quarter finished (or were not due
  that check) ÷ registered groups (数据鲜活度, ≥ 95 %);
- ``groups.monthly_update``: registered groups whose month's snapshot was saved by the
  policy's day (the 5th) ÷ registered groups;
- ``groups.function_match``: compounds whose registered groups cover every function their
  kind needs ÷ compounds with a registered group (群功能与需求匹配度, 95 %), counted per
  community path (no grid level: a compound may span grids).
- ``groups.crosscheck_rate``: of the last quarter finished by the moment, the registered
  groups due its check (on file before it ended, or with a report of one of its months)
  cross-checked by the moment ÷ those groups (季度复核完成率);
- ``groups.crosscheck_discrepancy``: of that quarter's cross-checked snapshots, the share
  with at least one discrepancy.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.groups.models import (
    CrossCheck,
    CrossCheckItem,
    Group,
    RectificationItem,
    Score,
    Snapshot,
)
from gridgov.groups.policies_campaigns import campaign_policy
from gridgov.kpis.registry import Kpi, Period, period_containing, register

LEVELS = ("district", "street", "community", "grid")


def _month(moment: datetime) -> date:
    """The month the moment closes or runs in (``moment`` is exclusive)."""
    return timezone.localtime(moment - timedelta(microseconds=1)).date().replace(day=1)


def _registered(prefix: str, moment: datetime):
    return Group.objects.filter(
        scope_path__startswith=prefix,
        state=Group.State.APPROVED,
        status=Group.Status.ACTIVE,
        created_at__lt=moment,
    )


def _per_path(rows, numerator: Q, path: str = "scope_path") -> dict[str, list]:
    counted = rows.values(path).annotate(
        n=Count("pk", distinct=True), num=Count("pk", distinct=True, filter=numerator)
    )
    return {r[path]: [r["num"], r["n"]] for r in counted.order_by()}


def four_haves(prefix: str, moment: datetime) -> dict[str, list]:
    return _per_path(
        _registered(prefix, moment),
        Q(has_charter=True, has_admin=True, has_review=True, has_emergency_plan=True),
    )


def freshness(prefix: str, moment: datetime) -> dict[str, list]:
    """Updated by the month's deadline (the 5th) and verified: cross-checked for the last
    quarter finished, or not due that check (registered after it, nothing reported in it)."""
    from gridgov.groups.selectors_campaigns import update_deadline
    from gridgov.groups.selectors_crosschecks import due_of_quarter

    month = _month(moment)
    deadline = min(update_deadline(month, campaign_policy()), moment)
    quarter, _end = _finished_quarter(moment)
    checked = CrossCheck.objects.filter(
        group=OuterRef("pk"), quarter=quarter, checked_at__lt=moment
    )
    return _per_path(
        _registered(prefix, moment),
        Q(snapshots__month=month, snapshots__entered_at__lt=deadline)
        & (~due_of_quarter(quarter) | Q(Exists(checked))),
    )


def monthly_update(prefix: str, moment: datetime) -> dict[str, list]:
    from gridgov.groups.selectors_campaigns import update_deadline

    month = _month(moment)
    deadline = min(update_deadline(month, campaign_policy()), moment)
    return _per_path(
        _registered(prefix, moment),
        Q(snapshots__month=month, snapshots__entered_at__lt=deadline),
    )


def _finished_quarter(moment: datetime) -> tuple[date, datetime]:
    """The last calendar quarter ended by the moment, and its end."""
    period = period_containing(
        "quarter", timezone.localtime(moment - timedelta(microseconds=1)).date()
    )
    if period.end > moment:
        period = period.previous()
    return timezone.localtime(period.start).date(), period.end


def crosscheck_rate(prefix: str, moment: datetime) -> dict[str, list]:
    from gridgov.groups.selectors_crosschecks import due_of_quarter

    quarter, _end = _finished_quarter(moment)
    rows = _registered(prefix, moment).filter(due_of_quarter(quarter))
    return _per_path(rows, Q(crosschecks__quarter=quarter, crosschecks__checked_at__lt=moment))


def crosscheck_discrepancy(prefix: str, moment: datetime) -> dict[str, list]:
    quarter, _end = _finished_quarter(moment)
    rows = CrossCheckItem.objects.filter(
        crosscheck__scope_path__startswith=prefix,
        crosscheck__quarter=quarter,
        crosscheck__checked_at__lt=moment,
    )
    return _per_path(rows, Q(discrepancies__isnull=False), path="crosscheck__scope_path")


def _class_share(klass: str):
    def share(prefix: str, moment: datetime) -> dict[str, list]:
        rows = Snapshot.objects.filter(scope_path__startswith=prefix, month=_month(moment))
        return _per_path(rows, Q(klass=klass))

    return share


def average_score(prefix: str, moment: datetime) -> dict[str, list]:
    """{path: [sum of the month's scores, scores]}: the registry's ratio with scale 1 is
    their mean."""
    rows = (
        Score.objects.filter(scope_path__startswith=prefix, month=_month(moment))
        .values("scope_path")
        .annotate(total=Sum("total"), n=Count("pk"))
        .order_by()
    )
    return {r["scope_path"]: [r["total"] or 0, r["n"]] for r in rows}


def rectification_on_time(prefix: str, moment: datetime) -> dict[str, list]:
    start = period_containing("month", _month(moment)).start
    rows = RectificationItem.objects.filter(
        case__scope_path__startswith=prefix, due_at__gte=start, due_at__lt=moment
    )
    return _per_path(
        rows,
        Q(done_at__isnull=False, done_at__lte=F("due_at")),
        path="case__scope_path",
    )


def _link(unit_code: str, period: Period) -> str:
    return reverse("groups:group_list")


def _kpi(**kwargs) -> Kpi:
    kwargs.setdefault("unit", "%")
    kwargs.setdefault("periods", ("month",))
    return register(
        Kpi(
            capability="groups",
            levels=LEVELS,
            source=lambda: Group.objects.all(),
            records=_link,
            **kwargs,
        )
    )


_kpi(
    code="groups.four_haves",
    name=_("Groups with the four essentials (「四有」达标率)"),
    definition=_(
        "Of the registered chat groups, the share that has a charter, admins, content review "
        "and an emergency plan (章程, 管理员, 审核机制, 应急预案)."
    ),
    formula=_("registered groups with all four ÷ registered groups"),
    higher_is_better=True,
    snapshot=four_haves,
)
for klass, label, name in [
    ("high", "class_high", _("High-performing groups (高效能群占比)")),
    ("potential", "class_potential", _("Groups with potential (潜力提升群占比)")),
    ("rectify", "class_rectify", _("Groups to be rectified (问题整改群占比)")),
    ("restructure", "class_restructure", _("Groups to be restructured (功能重构群占比)")),
]:
    _kpi(
        code=f"groups.{label}",
        name=name,
        definition=_(
            "Of the month's reports of chat groups, the share the rule engine placed in this "
            "class; the four shares add up to 100 %."
        ),
        formula=_("the month's snapshots in the class ÷ the month's snapshots"),
        higher_is_better=klass in ("high", "potential"),
        snapshot=_class_share(klass),
    )
_kpi(
    code="groups.average_score",
    name=_("Average monthly score of chat groups (月度平均分)"),
    definition=_("The mean of the month's scores of chat groups (0–100, four dimensions)."),
    formula=_("sum of the month's scores ÷ groups scored"),
    unit=pgettext_lazy("KPI unit", "points"),
    higher_is_better=True,
    snapshot=average_score,
    scale=1.0,
)
_kpi(
    code="groups.rectification_on_time",
    name=_("Rectification items done on time (整改按期完成率)"),
    definition=_(
        "Of the rectification items of chat groups due in the month so far, the share done "
        "by their due time."
    ),
    formula=_("items due in the month done by their due time ÷ items due in the month"),
    higher_is_better=True,
    snapshot=rectification_on_time,
)
_kpi(
    code="groups.freshness",
    name=_("Chat-group data freshness (数据鲜活度)"),
    definition=_(
        "Of the registered chat groups, the share whose report for the month was entered by "
        "the day of the month the campaign policy sets (the 5th) and that were cross-checked "
        "for the last quarter finished (groups not due that check count as checked)."
    ),
    formula=_(
        "registered groups updated by the 5th and cross-checked for the last quarter ÷ "
        "registered groups"
    ),
    higher_is_better=True,
    snapshot=freshness,
)
_kpi(
    code="groups.monthly_update",
    name=_("Chat groups updated by the 5th (月度更新率)"),
    definition=_(
        "Of the registered chat groups, the share whose report for the month was entered by "
        "the day of the month the campaign policy sets (the 5th)."
    ),
    formula=_("registered groups with the month's snapshot saved by the 5th ÷ registered groups"),
    higher_is_better=True,
    snapshot=monthly_update,
)


def function_match(prefix: str, moment: datetime) -> dict[str, list]:
    """{community path: [compounds whose registered groups cover every needed function,
    compounds with at least one registered group]} (policy ``groups.function_match``)."""
    from gridgov.groups.policies_collection import function_match_policy
    from gridgov.groups.selectors_collection import registered_functions, unmet_functions
    from gridgov.org.models import Compound

    policy = function_match_policy()
    compounds = list(
        Compound.objects.filter(community__path__startswith=prefix).values_list(
            "pk", "kind", "community__path"
        )
    )
    functions = registered_functions([pk for pk, _kind, _path in compounds], moment)
    out: dict[str, list] = {}
    for pk, kind, path in compounds:
        if pk not in functions:
            continue
        entry = out.setdefault(path, [0, 0])
        entry[1] += 1
        if not unmet_functions(kind, functions[pk], policy):
            entry[0] += 1
    return out


def _compounds_link(unit_code: str, period: Period) -> str:
    return reverse("groups:collection_plan")


register(
    Kpi(
        code="groups.function_match",
        name=_("Group functions matching the compounds' needs (群功能与需求匹配度)"),
        definition=_(
            "Of the compounds with at least one registered chat group, the share whose "
            "registered, active groups cover every function the compound's kind needs "
            "(policy \u201cChat groups: the functions each kind of compound needs\u201d; a "
            "综合群 counts for none by default)."
        ),
        formula=_(
            "compounds whose groups cover every needed function ÷ compounds with a registered group"
        ),
        unit="%",
        higher_is_better=True,
        capability="groups",
        levels=("district", "street", "community"),
        periods=("month",),
        source=lambda: Group.objects.all(),
        records=_compounds_link,
        snapshot=function_match,
    )
)
_kpi(
    code="groups.crosscheck_rate",
    name=_("Chat groups cross-checked by quarter (季度复核完成率)"),
    definition=_(
        "Of the registered chat groups, the share whose monthly reports of the last finished "
        "quarter a second person cross-checked (社区季度复核, 双人复核)."
    ),
    formula=_(
        "registered groups cross-checked for the last finished quarter ÷ registered groups "
        "on file before it ended or with a report of it"
    ),
    higher_is_better=True,
    snapshot=crosscheck_rate,
    periods=("month", "quarter"),
)
_kpi(
    code="groups.crosscheck_discrepancy",
    name=_("Cross-checked reports with discrepancies (复核差异率)"),
    definition=_(
        "Of the monthly reports cross-checked for the last finished quarter, the share in "
        "which the second person found at least one indicator different."
    ),
    formula=_("cross-checked reports with a discrepancy ÷ cross-checked reports"),
    higher_is_better=False,
    snapshot=crosscheck_discrepancy,
    periods=("month", "quarter"),
)
