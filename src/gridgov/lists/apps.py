from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    name = "gridgov.lists"
    label = "lists"
    verbose_name = _("Needs, resources and service orders")

    def ready(self):
        from gridgov.lists import (  # noqa: F401 - registers KPIs, the report, policies, home sections
            kpis,
            policies,
            report,
            workbench,
        )
