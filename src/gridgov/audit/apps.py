from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "gridgov.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from gridgov.audit.services import audit_record
        from gridgov.core import ports

        ports.install_audit_writer(audit_record)
        from gridgov.audit import workbench  # noqa: F401 - registers the home section
