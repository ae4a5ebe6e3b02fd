from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "gridgov.events"
    label = "events"
    verbose_name = _("Grid events")

    def ready(self):
        from gridgov.core.offline import register_offline_page
        from gridgov.events import kpis, policies, workbench  # noqa: F401 - registers KPIs, policies, home sections

        # A grid worker's task list stays readable in a stairwell without a signal.
        register_offline_page("/events/mine/")
