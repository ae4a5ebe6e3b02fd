from django.utils.translation import gettext_lazy as _

from gridgov.core import notifications

# (permission, url name, label) — shown when the user holds the permission.
NAV = [
    ("events.handle", "events:my_events", _("My tasks")),
    ("events.view", "events:event_list", _("Events")),
    ("events.view", "events:event_map", _("Event map")),
    ("events.report", "events:event_report", _("Report")),
    ("events.report", "events:my_reports", _("My reports")),
    ("kpis.view", "kpis:dashboard", _("Dashboard")),
    ("events.handle", "kpis:my_numbers", _("My numbers")),
    ("kpis.view", "kpis:kpi_list", _("KPIs")),
    ("kpis.view", "kpis:alert_list", _("Alerts")),
    ("kpis.view", "kpis:report_list", _("Reports")),
    ("org.view", "org:unit_tree", _("Hierarchy")),
    ("org.view", "org:grid_map", _("Grid map")),
    ("org.view", "org:grid_list", _("Grids")),
    ("people.view", "people:resident_list", _("Residents")),
    ("people.view", "people:household_list", _("Households")),
    ("people.import", "people:import_list", _("Import")),
    ("people.merge", "people:duplicate_list", _("Possible duplicates")),
    ("accounts.view", "accounts:user_list", _("Users and roles")),
    ("events.manage", "events:category_list", _("Event categories")),
    ("events.manage", "events:calendar", _("Working calendar")),
    ("policy.view", "core:policy_list", _("Policies")),
    ("audit.view", "audit:record_list", _("Audit trail")),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"url_name": url_name, "label": label}
        for permission, url_name, label in NAV
        if user.has_permission(permission)
    ]
    return {"nav_items": items, "inbox_unread": notifications.unread_count(user)}
