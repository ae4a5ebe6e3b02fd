from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "gridgov.kpis"
    label = "kpis"
    verbose_name = _("KPIs")

    def ready(self):
        # Each capability registers its own KPIs in its app's ready().
        from gridgov.kpis import policies, workbench  # noqa: F401 - the targets policy, the board
