from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "gridgov.groups"
    label = "groups"
    verbose_name = _("Community chat groups")

    def ready(self):
        # Registers the policies, the KPIs, the map layers and the workbench cards.
        from gridgov.groups import (  # noqa: F401
            kpis_groups,
            kpis_warnings,
            map_layers,
            policies,
            policies_campaigns,
            policies_collection,
            policies_warnings,
            workbench,
        )
