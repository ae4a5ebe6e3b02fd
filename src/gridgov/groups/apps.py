from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "gridgov.groups"
    label = "groups"
    verbose_name = _("Community chat groups")

    def ready(self):
        from gridgov.groups import (  # noqa: F401 - registers policies, KPIs, map layers, cards
            kpis_warnings,
            map_layers,
            policies,
            policies_warnings,
            workbench,
        )
