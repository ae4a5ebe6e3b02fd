from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "gridgov.participation"
    label = "participation"
    verbose_name = _("Resident participation")

    def ready(self):
        from gridgov.participation import (  # noqa: F401 - registers the landing, cards, policies, KPIs
            boards_policies,
            hub_boards,
            hub_volunteers,
            kpis_volunteers,
            policies_volunteers,
            workbench,
        )
