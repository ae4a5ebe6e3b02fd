"""Roles and the permissions each grants. A permission held through a membership applies
to the membership's org unit and everything below it.

三员分立 (GB/T 22239): the system, security and audit administrators are separate
accounts; none holds another role, none reads resident data by default, only the
security admin grants roles and scopes, only the audit admin reads the audit trail.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")
    DISTRICT_STAFF = "district_staff", _("district command staff")
    STREET_STAFF = "street_staff", _("street office staff")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    GRID_LEADER = "grid_leader", _("grid leader")
    GRID_WORKER = "grid_worker", _("grid worker")
    DEPARTMENT_HANDLER = "department_handler", _("department handler")
    VOLUNTEER = "volunteer", _("volunteer")
    RESIDENT = "resident", _("resident")
    SERVICE_PROVIDER = "service_provider", _("service provider")


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Staff roles that must use two-factor sign-in (mandatory for the admin roles).
TWO_FACTOR_REQUIRED = ADMIN_ROLES

# Personal API tokens (bearer, no second factor) for every role but the three admin roles,
# whose sign-in must pass the second factor: they use the API through their session.
API_TOKEN_PERMISSION = "accounts.api_token"  # noqa: S105 - a permission name
_TOKENS = {API_TOKEN_PERMISSION}

_ORG_READ = {"org.view"}
_ORG_WRITE = {"org.view", "org.change"}
_PEOPLE_READ = {"people.view"}
_PEOPLE_KEEP = {"people.view", "people.change", "people.import"}

# Events: report; dispatch (accept, register, dispatch, escalate, approve); handle (check
# in, handle); verify (on site); manage (the district's catalogue and working calendar).
_EV_DISPATCH = {"events.view", "events.report", "events.dispatch", "events.reveal"}
_EV_HANDLE = {"events.view", "events.handle"}

# Visits: collect (the visit itself), review (双人复核 and the conflict queue), assign (add,
# reassign and cancel tasks), spot_check (draw and record), manage (the indicator catalogue).
_VI_READ = {"visits.view"}
_VI_OFFICE = {
    "visits.view",
    "visits.collect",
    "visits.review",
    "visits.assign",
    "visits.spot_check",
}

# Lists: register (record a need), manage (verify, close, keep resources), dispatch (match,
# dispatch and follow service orders on the provider's and resident's behalf), approve (a
# project's budget: the street and the district, above the communities that propose), book
# (book a room or equipment for a resident or group, cancel it; approving is manage's).
_LI_READ = {"lists.view"}
_LI_OFFICE = {"lists.view", "lists.register", "lists.manage", "lists.dispatch", "lists.book"}
# A provider's account (服务提供方) acts on the service orders of the resources it operates
# (lists.ResourceOperator): accept, refuse, start, complete. It reads nothing else.
_LI_SERVE = {"lists.serve"}

# Participation: view (topics, votes, volunteers, ledgers, surveys of the scope), manage
# (run topics and votes, moderate, organise activities, approve hours, run surveys), assist
# (act on a resident's behalf: 代办 proposals, door-to-door survey answers), ledger (keep
# the redemption catalogue, approve ledger corrections), take_part (a resident's own acts:
# propose, co-sign, comment, vote, volunteer, redeem, answer; needs a bound resident).
_PA_READ = {"participation.view"}
_PA_OFFICE = {"participation.view", "participation.manage", "participation.assist"}
_PA_TAKE_PART = {"participation.take_part"}

# Chat groups 小区群盘点: view (the registry, snapshots, classes, scores and rectification
# cases of the scope), register (register and change groups, enter the monthly report),
# approve (the 居委会's approval of a registered group), supervise (run rectification
# cases as 督导员: the street), take_part (a verified resident rates the groups serving
# their compound and sends suggestions),
# campaign (run the street's inventory campaign 盘点: create it, mark milestones done, ask
# for extensions, pause and resume; community staff send their daily report with register),
# campaign_approve (decide extensions: the district, above the street that asks).
_GR_READ = {"groups.view"}
_GR_KEEP = {"groups.view", "groups.register"}
_GR_TAKE_PART = {"groups.take_part"}
# Operations (网格业态): view (stores, stock, coverage boards, devices), manage (add stores,
# receive, issue, transfer and dispose of stock, record stock checks; register devices, take
# them out of service) within the holder's units; maintain (report a device fault, work its
# repair ticket, judge a device alarm true or false: the grid's staff who handle them).
_OP_READ = {"operations.view", "operations.maintain"}
_OP_MANAGE = {"operations.view", "operations.manage", "operations.maintain"}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        {
            "org.view",
            "org.change",
            "org.import",
            "accounts.view",
            "accounts.manage_users",
            "policy.view",
            "policy.change_system",
        }
    ),
    Role.SECURITY_ADMIN: frozenset(
        {
            "org.view",
            "accounts.view",
            "accounts.grant",
            "accounts.reset_two_factor",
            "policy.view",
            "policy.change_security",
        }
    ),
    Role.AUDIT_ADMIN: frozenset({"audit.view", "audit.export"}),
    Role.DISTRICT_STAFF: frozenset(
        _TOKENS
        | _ORG_WRITE
        | _PEOPLE_READ
        | _EV_DISPATCH
        | _EV_HANDLE
        | _VI_READ
        | {"org.import", "policy.view", "people.export", "events.manage", "kpis.view"}
        | {"visits.manage"}
        | _LI_READ
        | {"lists.manage", "lists.catalogue", "lists.approve", "lists.book"}
        | _PA_READ
        | _GR_READ
        | {"groups.campaign", "groups.campaign_approve"}
        | _OP_MANAGE
    ),
    Role.STREET_STAFF: frozenset(
        _TOKENS
        | _ORG_WRITE
        | _PEOPLE_READ
        | _EV_DISPATCH
        | _EV_HANDLE
        | _VI_READ
        | {"people.export", "people.export_full", "kpis.view"}
        | _LI_OFFICE
        | {"lists.approve"}
        | _PA_OFFICE
        | {"participation.ledger"}
        | _GR_READ
        | {"groups.supervise", "groups.campaign"}
        | _OP_MANAGE
    ),
    Role.COMMUNITY_STAFF: frozenset(
        _TOKENS
        | _ORG_WRITE
        | _PEOPLE_KEEP
        | _EV_DISPATCH
        | _EV_HANDLE
        | _VI_OFFICE
        | _LI_OFFICE
        | {"events.verify", "kpis.view"}
        | {"people.reveal", "people.export", "people.export_full", "people.merge"}
        | _PA_OFFICE
        | {"participation.ledger"}
        | _GR_KEEP
        | {"groups.approve"}
        | _OP_MANAGE
    ),
    Role.GRID_LEADER: frozenset(
        _TOKENS
        | _ORG_READ
        | _PEOPLE_KEEP
        | _EV_DISPATCH
        | _EV_HANDLE
        | _VI_OFFICE
        | _LI_OFFICE
        | {"people.reveal", "events.verify", "kpis.view"}
        | _PA_OFFICE
        | _GR_KEEP
        | _OP_READ
    ),
    Role.GRID_WORKER: frozenset(
        _TOKENS
        | _ORG_READ
        | _EV_HANDLE
        | {"people.view", "people.change", "events.report", "events.verify", "kpis.view"}
        | {"visits.view", "visits.collect"}
        | {"lists.view", "lists.register", "lists.book"}
        | {"participation.view", "participation.assist"}
        | _GR_KEEP
        | _OP_READ
    ),
    Role.DEPARTMENT_HANDLER: frozenset(_TOKENS | _ORG_READ | _EV_HANDLE),
    Role.VOLUNTEER: frozenset(
        _TOKENS | _ORG_READ | {"events.report"} | _PA_TAKE_PART | _GR_TAKE_PART
    ),
    Role.RESIDENT: frozenset(_TOKENS | {"events.report"} | _PA_TAKE_PART | _GR_TAKE_PART),
    Role.SERVICE_PROVIDER: frozenset(_TOKENS | _LI_SERVE),
}

# The org level each role is normally scoped to (used to validate grants).
ROLE_LEVELS: dict[str, set[str]] = {
    Role.SYSTEM_ADMIN: {"province", "city", "district"},
    Role.SECURITY_ADMIN: {"province", "city", "district"},
    Role.AUDIT_ADMIN: {"province", "city", "district"},
    Role.DISTRICT_STAFF: {"district"},
    Role.STREET_STAFF: {"street"},
    Role.COMMUNITY_STAFF: {"community"},
    Role.GRID_LEADER: {"grid", "community"},
    Role.GRID_WORKER: {"grid"},
    Role.DEPARTMENT_HANDLER: {"district", "street"},
    Role.VOLUNTEER: {"community", "grid"},
    Role.RESIDENT: {"grid", "community"},
    Role.SERVICE_PROVIDER: {"district", "street", "community"},
}


def role_grants(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())
