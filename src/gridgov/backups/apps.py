from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "gridgov.backups"
    label = "backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from gridgov.backups import checks, policies  # noqa: F401  (registers both)
