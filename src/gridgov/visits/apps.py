from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "gridgov.visits"
    label = "visits"
    verbose_name = _("Household visits")

    def ready(self):
        from gridgov.visits import kpis, policies, workbench  # noqa: F401 - registers KPIs, policies, home sections
