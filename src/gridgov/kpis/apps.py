from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "gridgov.kpis"
    label = "kpis"
    verbose_name = _("KPIs")

    def ready(self):
        from gridgov.kpis import definitions, policies  # noqa: F401 - registers KPIs and targets
        from gridgov.people import kpis  # noqa: F401 - the registry's KPIs
