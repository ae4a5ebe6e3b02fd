from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gridgov.people"
    label = "people"
    verbose_name = _("Residents and households")

    def ready(self) -> None:
        from gridgov.people import kpis, policies, workbench  # noqa: F401  (KPIs, policies, home)
