from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "gridgov.visits"
    label = "visits"
    verbose_name = _("Household visits")

    def ready(self):
        from gridgov.core.offline import register_offline_page
        from gridgov.visits import kpis, policies, workbench  # noqa: F401 - registers KPIs, policies, home sections

        # The worker's visits of the day stay readable without a signal; records made
        # offline go to the outbox and /api/v1/visits/sync (docs/visits.md).
        register_offline_page("/visits/today/")
        # The visit forms of the day's households, fetched ahead by the list (outbox.js).
        register_offline_page("/visits/households/")
