from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from gridgov.core import checks  # noqa: F401  (registers system checks)
        from gridgov.core.crypto import sm4_self_test

        # GB/T 39786: the cipher must prove itself before it protects anything.
        sm4_self_test()
