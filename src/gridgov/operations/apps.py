from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "gridgov.operations"
    label = "operations"
    verbose_name = _("Grid operations")

    def ready(self):
        from gridgov.events import services as events
        from gridgov.operations import (  # noqa: F401 - registers the policies, KPIs, layers
            kpis_catalogue,
            kpis_devices,
            kpis_facilities,
            kpis_supplies,
            kpis_workforce,
            map_layers,
            policies_catalogue,
            policies_devices,
            policies_facilities,
            policies_supplies,
            policies_workforce,
            services_devices,
            workbench,
        )

        # Devices speak through the events app's signed webhook.
        events.register_device_message("heartbeat", services_devices.heartbeat)
        events.register_device_message("fault", services_devices.fault_report)
        events.observe_device_alarms(services_devices.record_alarm)
