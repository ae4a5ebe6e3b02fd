"""The catalogue of audited actions. Every ``audit_record`` call names one of these."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    # accounts
    "accounts.login.success": _("login succeeded"),
    "accounts.login.fail": _("login failed"),
    "accounts.login.locked": _("account locked after failed logins"),
    "accounts.login.otp_fail": _("two-factor code rejected"),
    "accounts.login.ip_throttled": _("sign-ins from a network address throttled"),
    "accounts.logout": _("logout"),
    "accounts.session.expired": _("session expired"),
    "accounts.password.change": _("password changed"),
    "accounts.otp.enrol": _("two-factor enrolled"),
    "accounts.otp.reset": _("two-factor reset"),
    "accounts.user.create": _("user created"),
    "accounts.user.disable": _("user disabled"),
    "accounts.user.enable": _("user enabled"),
    "accounts.user.unlock": _("user unlocked"),
    "accounts.role.grant": _("role granted"),
    "accounts.role.revoke": _("role revoked"),
    "accounts.token.create": _("API token created"),
    "accounts.token.revoke": _("API token revoked"),
    "accounts.token.revoke_all": _("all API tokens of an account revoked"),
    "accounts.inactive.disable": _("inactive accounts disabled"),
    # any page or API operation refused for want of its declared permission
    "access.denied": _("access refused"),
    # policies
    "policy.update": _("policy changed"),
    # org
    "org.unit.create": _("org unit created"),
    "org.unit.update": _("org unit updated"),
    "org.divisions.import": _("administrative divisions imported"),
    "org.grids.import": _("grid boundaries imported"),
    "org.grid.assign": _("grid staff assigned"),
    "org.grid.unassign": _("grid staff assignment ended"),
    "org.demo.seed": _("demo district seeded"),
    # people
    "people.household.create": _("household created"),
    "people.household.update": _("household updated"),
    "people.resident.create": _("resident created"),
    "people.resident.update": _("resident updated"),
    "people.resident.archive": _("resident moved out or deceased"),
    "people.resident.verify": _("resident record verified unchanged"),
    "people.resident.reveal": _("personal data revealed"),
    "people.resident.merge": _("duplicate residents merged"),
    "people.duplicate.dismiss": _("possible duplicate dismissed"),
    "people.tag.add": _("special-population tag added"),
    "people.tag.remove": _("special-population tag removed"),
    "people.consent.record": _("consent recorded"),
    "people.consent.withdraw": _("consent withdrawn"),
    "people.import": _("residents imported"),
    "people.export": _("residents exported"),
    "people.anonymise": _("archived residents anonymised"),
    "people.keys.rotate": _("field encryption keys rotated"),
    # events
    "events.event.report": _("event reported"),
    "events.event.transition": _("event moved on in its loop"),
    "events.event.escalate_overdue": _("overdue event escalated"),
    "events.event.rate": _("event rated by the reporter"),
    "events.event.reveal_contact": _("reporter's phone revealed"),
    "events.category.change": _("event category changed"),
    "events.calendar.change": _("working calendar changed"),
    "events.device.create": _("alarm device registered"),
    "events.classifier.train": _("event classifier trained"),
    # KPIs
    "kpis.alert.acknowledge": _("KPI alert acknowledged"),
    "kpis.report.generate": _("KPI report generated"),
    "kpis.report.download": _("KPI report downloaded"),
    # backups
    "backups.create": _("backup made"),
    "backups.restore": _("backup restored"),
    "backups.prune": _("old backups removed after retention"),
    # audit
    "audit.export": _("audit trail exported"),
    "audit.purge": _("audit records purged after retention"),
    "audit.anchor": _("chain heads anchored"),
}
