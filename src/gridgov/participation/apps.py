from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "gridgov.participation"
    label = "participation"
    verbose_name = _("Resident participation")

    def ready(self):
        from gridgov.participation import (  # noqa: F401 - registers the landing, cards, policies, KPIs, receivers
            hub_boards,
            hub_deliberation,
            hub_points,
            hub_surveys,
            hub_volunteers,
            hub_votes,
            kpis_deliberation,
            kpis_participation,
            kpis_points,
            kpis_surveys,
            kpis_volunteers,
            kpis_votes,
            policies_boards,
            policies_deliberation,
            policies_participation,
            policies_points,
            policies_surveys,
            policies_volunteers,
            policies_votes,
            receivers_points,
            survey_subjects,
            workbench,
        )
