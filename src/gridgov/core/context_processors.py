from django.utils.translation import gettext_lazy as _

from gridgov.core import notifications

# The menu's groups, in order; a group is shown when the user has one of its pages.
NAV_GROUPS = [
    ("events", _("Events")),
    ("residents", _("Residents")),
    ("visits", _("Visits & lists")),
    ("participation", _("Participation")),
    ("operations", _("Operations")),
    ("command", _("Command & KPIs")),
    ("admin", _("Administration")),
]

# Who uses a page, beyond holding its permission (role names as accounts.roles spells them;
# core imports no app): the field keeps to its work, the office reads the boards,
# reporters follow their reports.
OFFICE = frozenset({"district_staff", "street_staff", "community_staff", "grid_leader"})
FIELD = frozenset({"grid_worker", "grid_leader", "department_handler"})
REPORTERS = frozenset({"grid_worker", "grid_leader", "volunteer", "resident"})
ADMINS = frozenset({"system_admin", "security_admin"})

# (group, permission, url name, label, roles or None for every role holding the
# permission). A new app's page is one line here.
NAV = [
    ("events", "events.handle", "events:my_events", _("My tasks"), FIELD | OFFICE),
    ("events", "events.view", "events:event_list", _("Events"), None),
    ("events", "events.view", "events:event_map", _("Event map"), OFFICE),
    ("events", "events.report", "events:event_report", _("Report"), None),
    ("events", "events.report", "events:my_reports", _("My reports"), REPORTERS),
    ("participation", "participation.take_part", "participation:me_home", _("Take part"), None),
    (
        "participation",
        "groups.take_part",
        "groups:resident_groups",
        _("My compound's chat groups"),
        None,
    ),
    ("residents", "people.view", "people:resident_list", _("Residents"), None),
    ("residents", "people.view", "people:household_list", _("Households"), None),
    ("residents", "people.merge", "people:duplicate_list", _("Possible duplicates"), None),
    ("residents", "people.import", "people:import_list", _("Import"), None),
    ("residents", "org.view", "org:grid_list", _("Grids"), OFFICE | ADMINS),
    ("residents", "org.view", "org:grid_map", _("Grid map"), OFFICE | ADMINS),
    ("visits", "visits.collect", "visits:today", _("Today's visits"), FIELD | OFFICE),
    ("visits", "visits.assign", "visits:task_board", _("Visits due in the area"), OFFICE),
    ("visits", "visits.review", "visits:review_queue", _("Visit reviews"), None),
    ("visits", "visits.spot_check", "visits:spot_check_list", _("Spot checks"), OFFICE),
    ("visits", "kpis.view", "kpis:visit_board", _("Visit campaign board"), OFFICE),
    ("visits", "lists.view", "lists:need_list", _("Needs list"), OFFICE),
    ("visits", "lists.view", "lists:resource_list", _("Resource list"), OFFICE),
    ("visits", "lists.dispatch", "lists:matching_index", _("Matching proposals"), OFFICE),
    ("visits", "lists.dispatch", "lists:order_list", _("Service orders"), OFFICE),
    ("visits", "lists.view", "lists:need_map", _("Needs map"), OFFICE),
    ("visits", "lists.serve", "lists:provider_home", _("My service orders"), None),
    ("visits", "lists.view", "lists:project_list", _("Projects"), OFFICE),
    ("visits", "lists.view", "lists:gap", _("Service gaps"), OFFICE),
    ("visits", "lists.view", "lists:booking_list", _("Rooms and equipment"), FIELD | OFFICE),
    ("visits", "groups.view", "groups:group_list", _("Community chat groups"), OFFICE),
    ("visits", "groups.register", "groups:my_groups", _("My chat groups"), FIELD),
    ("visits", "groups.view", "groups:collection_plan", _("Collection plan"), FIELD | OFFICE),
    ("visits", "groups.view", "groups:rectification_list", _("Chat-group rectification"), OFFICE),
    ("visits", "groups.view", "groups:score_board", _("Chat-group scores"), OFFICE),
    ("visits", "groups.view", "groups:crosscheck_list", _("Chat-group cross-checks"), OFFICE),
    ("visits", "groups.view", "groups:warning_list", _("Chat-group warnings"), FIELD | OFFICE),
    ("visits", "groups.view", "groups:risk_list", _("Compound risk index"), OFFICE),
    ("visits", "groups.view", "groups:treatment_list", _("Treatments of the classes"), OFFICE),
    ("visits", "groups.view", "groups:suggestion_list", _("Residents' suggestions"), OFFICE),
    ("visits", "groups.view", "groups:campaign_list", _("Inventory campaigns"), OFFICE),
    ("participation", "participation.view", "participation:volunteer_list", _("Volunteers"), None),
    (
        "participation",
        "participation.view",
        "participation:activity_list",
        _("Volunteer activities"),
        None,
    ),
    ("participation", "participation.view", "participation:team_list", _("Volunteer teams"), None),
    (
        "participation",
        "participation.manage",
        "participation:approval_queue",
        _("Hours to approve"),
        None,
    ),
    (
        "participation",
        "participation.take_part",
        "participation:me_volunteer",
        _("Volunteering"),
        None,
    ),
    # Deliberation: the office runs topics; residents reach theirs from their page too.
    (
        "participation",
        "participation.view",
        "participation:topic_list",
        _("Deliberation topics"),
        OFFICE,
    ),
    ("participation", "participation.view", "participation:proposal_list", _("Proposals"), OFFICE),
    (
        "participation",
        "participation.take_part",
        "participation:me_topics",
        _("Topics of my community"),
        None,
    ),
    ("participation", "participation.view", "participation:vote_list", _("Votes"), OFFICE),
    (
        "participation",
        "participation.view",
        "participation:points_overview",
        _("Points and time bank"),
        OFFICE,
    ),
    (
        "participation",
        "participation.view",
        "participation:catalogue",
        _("Redemption catalogue"),
        OFFICE,
    ),
    (
        "participation",
        "participation.view",
        "participation:redemption_list",
        _("Redemptions and pick-up"),
        OFFICE,
    ),
    ("participation", "participation.view", "participation:survey_list", _("Surveys"), OFFICE),
    (
        "participation",
        "participation.assist",
        "participation:assist_list",
        _("Enter survey answers"),
        FIELD | OFFICE,
    ),
    ("participation", "participation.take_part", "participation:my_surveys", _("My surveys"), None),
    (
        "participation",
        "participation.view",
        "participation:board_staff",
        _("Red/black boards"),
        OFFICE,
    ),  # noqa: E501
    (
        "participation",
        "participation.view",
        "participation:entry_list",
        _("Bylaw compliance"),
        OFFICE,
    ),  # noqa: E501
    (
        "participation",
        "participation.view",
        "participation:bylaw_list",
        _("Community bylaws"),
        OFFICE,
    ),  # noqa: E501
    (
        "participation",
        "participation.take_part",
        "participation:board_mine",
        _("Community boards"),
        None,
    ),  # noqa: E501
    (
        "operations",
        "operations.view",
        "operations:supply_board",
        _("Emergency supplies"),
        OFFICE | {"grid_worker"},
    ),
    (
        "operations",
        "operations.view",
        "operations:device_board",
        _("Smart devices"),
        OFFICE | {"grid_worker"},
    ),
    (
        "operations",
        "operations.view",
        "operations:facility_board",
        _("Service facilities"),
        OFFICE,
    ),
    (
        "operations",
        "operations.view",
        "operations:model_list",
        _("Grid services (网格+X)"),
        OFFICE | {"grid_worker"},
    ),
    (
        "operations",
        "operations.view",
        "operations:worker_list",
        _("Grid workforce"),
        OFFICE,
    ),
    ("command", "kpis.view", "kpis:dashboard", _("Dashboard"), OFFICE),
    ("command", "events.handle", "kpis:my_numbers", _("My numbers"), FIELD),
    ("command", "kpis.view", "kpis:kpi_list", _("KPIs"), OFFICE),
    ("command", "kpis.view", "kpis:alert_list", _("Alerts"), OFFICE),
    ("command", "kpis.view", "kpis:report_list", _("Reports"), OFFICE),
    ("admin", "org.view", "org:unit_tree", _("Hierarchy"), OFFICE | ADMINS),
    ("admin", "accounts.view", "accounts:user_list", _("Users and roles"), None),
    ("admin", "events.manage", "events:category_list", _("Event categories"), None),
    ("admin", "events.manage", "events:calendar", _("Working calendar"), None),
    ("admin", "visits.manage", "visits:catalogue", _("Visit indicators"), None),
    ("admin", "lists.catalogue", "lists:category_list", _("Need categories"), None),
    ("admin", "policy.view", "core:policy_list", _("Policies"), None),
    ("admin", "audit.view", "audit:record_list", _("Audit trail"), None),
]


def nav_for(user) -> list[dict]:
    """The user's menu: the groups that have a page for them, each with its pages."""
    roles = user.roles
    groups: dict[str, list[dict]] = {}
    for group, permission, url_name, label, for_roles in NAV:
        if for_roles is not None and not (roles & for_roles):
            continue
        if user.has_permission(permission):
            groups.setdefault(group, []).append({"url_name": url_name, "label": label})
    return [
        {"key": key, "label": label, "items": groups[key]}
        for key, label in NAV_GROUPS
        if key in groups
    ]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_groups": [], "nav_items": []}
    groups = nav_for(user)
    return {
        "nav_groups": groups,
        "nav_items": [item for group in groups for item in group["items"]],
        "inbox_unread": notifications.unread_count(user),
    }
