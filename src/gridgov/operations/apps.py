from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "gridgov.operations"
    label = "operations"
    verbose_name = _("Grid operations")

    def ready(self):
        from gridgov.operations import (  # noqa: F401 - registers the policies and KPIs
            kpis_supplies,
            policies_supplies,
        )
