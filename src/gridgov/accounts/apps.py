from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from gridgov.accounts.services import bearer_token_user
        from gridgov.core import ports

        ports.install_bearer_authenticator(bearer_token_user)
        from gridgov.accounts import workbench  # noqa: F401 - registers the home section
