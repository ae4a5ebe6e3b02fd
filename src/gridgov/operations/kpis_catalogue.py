"""The KPI of the grid service models (docs/kpis.md): ``services.featured_share``
特色网格服务占比 = active grids offering a running signature-service model ÷ active grids,
as the models stand now."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Kpi, Period, register
from gridgov.operations.models import ServiceModel
from gridgov.operations.selectors_catalogue import featured_by_grid


def _link(unit_code: str, period: Period) -> str:
    return reverse("operations:model_list")


register(
    Kpi(
        code="services.featured_share",
        name=_("Grids with a signature service (特色网格服务占比)"),
        definition=_(
            "Of the active grids, the share where a running (pilot or active) 网格+X model "
            "of the signature-service type (特色服务) is offered."
        ),
        formula=_("grids with a signature service ÷ grids"),
        unit="%",
        higher_is_better=True,
        capability="operations",
        levels=("district", "street", "community", "grid"),
        periods=("month",),
        source=lambda: ServiceModel.objects.all(),
        records=_link,
        snapshot=lambda prefix, moment: featured_by_grid(prefix),
    )
)
