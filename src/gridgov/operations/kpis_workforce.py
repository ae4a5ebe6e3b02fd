"""The KPIs of the grid workforce's training (docs/kpis.md), per grid path as of the
period's end, over the grid workers (full-time and part-time) whose assignment runs then:

- ``workforce.training_hours`` 专业培训达标率: workers with the policy's professional hours
  (40) in the year so far ÷ workers;
- ``workforce.tool_training`` 智能工具培训达标率: workers with the smart-tool hours (20) ÷
  workers;
- ``workforce.certified`` 持证上岗率: workers holding a valid certificate ÷ workers.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Period, registrar
from gridgov.operations.policies_workforce import workforce_policy
from gridgov.operations.selectors_workforce import by_grid, certified_on, hours_in_year
from gridgov.org.models import GridAssignment


def _meeting(kind: str):
    def test(user_ids, on):
        policy = workforce_policy()
        minimum = (
            policy.professional_hours_min if kind == "professional" else policy.tools_hours_min
        )
        hours = hours_in_year(user_ids, on.year)
        return {u for u, h in hours.items() if getattr(h, kind) >= minimum}

    return lambda prefix, moment: by_grid(prefix, moment, test)


def _link(unit_code: str, period: Period) -> str:
    return reverse("operations:worker_list")


_kpi = registrar(
    capability="operations",
    levels=("district", "street", "community", "grid"),
    periods=("month", "year"),
    source=lambda: GridAssignment.objects.all(),
    records=_link,
    unit="%",
    higher_is_better=True,
)


_kpi(
    code="workforce.training_hours",
    name=_("Grid workers with their professional training hours (专业培训达标率)"),
    definition=_(
        "Of the grid workers, the share with the year's professional training hours "
        "(law, psychology, first aid …: 40 h by the workforce policy) so far."
    ),
    formula=_("workers with the professional hours ÷ workers"),
    snapshot=_meeting("professional"),
)
_kpi(
    code="workforce.tool_training",
    name=_("Grid workers with their smart-tool training hours (智能工具培训达标率)"),
    definition=_(
        "Of the grid workers, the share with the year's smart-tool training hours (20 h by "
        "the workforce policy) so far."
    ),
    formula=_("workers with the smart-tool hours ÷ workers"),
    snapshot=_meeting("tools"),
)
_kpi(
    code="workforce.certified",
    name=_("Grid workers holding a valid certificate (持证上岗率)"),
    definition=_("Of the grid workers, the share holding a certificate valid at the period's end."),
    formula=_("workers with a valid certificate ÷ workers"),
    snapshot=lambda prefix, moment: by_grid(prefix, moment, certified_on),
)
