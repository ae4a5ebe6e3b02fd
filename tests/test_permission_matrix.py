"""Every route × every role × an in-scope and an out-of-scope object (SECURITY.md C1, C2).

A route missing from ROUTES fails ``test_every_route_is_in_the_matrix``, so the matrix
grows with the product. Every response is also scanned for the other district's codes
and names: nothing from outside the actor's scope may appear in any page or answer.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from gridgov.accounts.roles import ADMIN_ROLES, API_TOKEN_PERMISSION, PERMISSIONS, Role
from gridgov.core.permissions import ADMINISTRATION_PERMISSIONS, SIGNED_IN

ANON = "anonymous"
ROLE_SCOPES = {
    Role.SYSTEM_ADMIN: "d1",
    Role.SECURITY_ADMIN: "d1",
    Role.AUDIT_ADMIN: "d1",
    Role.DISTRICT_STAFF: "d1",
    Role.STREET_STAFF: "s1",
    Role.COMMUNITY_STAFF: "c1",
    Role.GRID_LEADER: "c1",
    Role.GRID_WORKER: "g1a",
    Role.DEPARTMENT_HANDLER: "d1",
    Role.VOLUNTEER: "c1",
    Role.RESIDENT: "g1a",
    Role.SERVICE_PROVIDER: "c1",
}
ALL_ROLES = [ANON, *ROLE_SCOPES]
# Strings that only exist in the other district: seeing one anywhere is a leak.
CANARIES = ["310105", "长宁区", "华阳", "leak_canary"]


@dataclass(frozen=True)
class Route:
    name: str  # URL name, or "api:<METHOD> <path>" for API operations
    method: str
    url: str  # may contain {in} / {out} placeholders
    permission: str | None  # None = public
    objects: tuple[str, str] | None = None  # (in-scope key, out-of-scope key)
    ok: tuple[int, ...] = (200,)
    data: dict = field(default_factory=dict)
    api: bool = False
    public_status: tuple[int, ...] = (200, 302)


def _api(method, path, permission, url, objects=None, ok=(200,), data=None):
    return Route(f"api:{method} {path}", method, url, permission, objects, ok, data or {}, api=True)


MATRIX_COMMENT = "6d1a6c55-0f7e-4d8e-9a57-6a0de1c0a001"
# The document of the "in" topic.
MATRIX_DOCUMENT = "6d1a6c55-0f7e-4d8e-9a57-6a0de1c0a002"

ROUTES = [
    # core
    # Residents and volunteers are sent on to their own reports.
    Route("core:home", "GET", "/", SIGNED_IN, ok=(200, 302)),
    # The offline shell's files hold no data: anyone may fetch them.
    Route("core:service_worker", "GET", "/sw.js", None, public_status=(200,)),
    Route("core:manifest", "GET", "/manifest.webmanifest", None, public_status=(200,)),
    Route("core:policy_list", "GET", "/policies/", "policy.view"),
    Route("core:policy_edit", "GET", "/policies/accounts.session/", "policy.view"),
    # Base-map tiles: open (the public report page draws the map); no tile file configured.
    Route("core:map_tile", "GET", "/map/tiles/15/27330/13388", None, public_status=(404,)),
    # accounts
    Route("accounts:login", "GET", "/accounts/login/", None),
    Route("accounts:otp_verify", "GET", "/accounts/login/verify/", None),
    Route("accounts:otp_enrol", "GET", "/accounts/login/enrol/", None),
    Route("accounts:logout", "POST", "/accounts/logout/", None),
    Route("accounts:password_change", "GET", "/accounts/password/", SIGNED_IN),
    Route("accounts:profile", "GET", "/accounts/me/", SIGNED_IN),
    Route(
        "accounts:token_revoke",
        "POST",
        "/accounts/me/tokens/{in}/revoke/",
        SIGNED_IN,
        ("own_token", "other_token"),
        ok=(302,),
    ),
    Route("accounts:user_list", "GET", "/accounts/users/", "accounts.view"),
    Route("accounts:user_create", "GET", "/accounts/users/new/", "accounts.manage_users"),
    Route(
        "accounts:user_detail",
        "GET",
        "/accounts/users/{in}/",
        "accounts.view",
        ("user_in", "user_out"),
    ),
    # org
    Route("org:unit_tree", "GET", "/org/units/", "org.view", ok=(200, 302)),
    Route(
        "org:unit_detail", "GET", "/org/units/{in}/", "org.view", ("c1_or_g1a", "c2"), ok=(200, 302)
    ),
    Route("org:unit_create", "GET", "/org/units/{in}/new/", "org.change", ("c1", "c2")),
    Route("org:unit_edit", "GET", "/org/units/{in}/edit/", "org.change", ("g1a", "g2a")),
    Route("org:grid_list", "GET", "/org/grids/", "org.view"),
    Route("org:grid_map", "GET", "/org/grids/map/", "org.view"),
    Route("org:grid_import", "GET", "/org/grids/import/", "org.change"),
    Route("org:grid_detail", "GET", "/org/grids/{in}/", "org.view", ("g1a", "g2a")),
    Route(
        "org:grid_assign",
        "POST",
        "/org/grids/{in}/staff/",
        "org.change",
        ("g1a", "g2a"),
        ok=(302,),
        data={"username": "nobody-here", "duty": "volunteer"},
    ),
    # people
    Route("people:resident_list", "GET", "/people/residents/", "people.view"),
    # Exports are POSTs (they write an audit record; a cross-site GET cannot trigger them).
    Route("people:resident_export", "POST", "/people/residents/export/", "people.export"),
    Route(
        "people:resident_edit",
        "GET",
        "/people/residents/{in}/edit/",
        "people.change",
        ("resident_in", "resident_out"),
    ),
    Route(
        "people:resident_archive",
        "POST",
        "/people/residents/{in}/archive/",
        "people.change",
        ("resident_in", "resident_out"),
        ok=(302,),
        data={"reason": "moved_out"},
    ),
    Route(
        "people:resident_verify",
        "POST",
        "/people/residents/{in}/verify/",
        "people.change",
        ("resident_in", "resident_out"),
        ok=(302,),
        data={"version": "1"},
    ),
    Route(
        "people:resident_reveal",
        "POST",
        "/people/residents/{in}/reveal/",
        "people.reveal",
        ("resident_in", "resident_out"),
        data={"field": "phone", "reason": "matrix"},
    ),
    Route(
        "people:resident_tag",
        "POST",
        "/people/residents/{in}/tags/",
        "people.change",
        ("resident_in", "resident_out"),
        ok=(302,),
        data={"category": "veteran"},
    ),
    Route(
        "people:resident_consent",
        "POST",
        "/people/residents/{in}/consents/",
        "people.change",
        ("resident_in", "resident_out"),
        ok=(302,),
        data={"notice_version": "v1", "method": "paper"},
    ),
    Route("people:household_list", "GET", "/people/households/", "people.view"),
    Route("people:household_create", "GET", "/people/households/new/", "people.change"),
    Route(
        "people:household_detail",
        "GET",
        "/people/households/{in}/",
        "people.view",
        ("household_in", "household_out"),
    ),
    Route(
        "people:household_edit",
        "POST",
        "/people/households/{in}/edit/",
        "people.change",
        ("household_in", "household_out"),
        ok=(302,),
        data={"address": "新地址", "kind": "family", "status": "active"},
    ),
    Route(
        "people:resident_create",
        "GET",
        "/people/households/{in}/residents/new/",
        "people.change",
        ("household_in", "household_out"),
    ),
    Route("people:duplicate_list", "GET", "/people/duplicates/", "people.merge"),
    Route("people:import_list", "GET", "/people/imports/", "people.import"),
    Route("people:import_template", "GET", "/people/imports/template.xlsx", "people.import"),
    Route(
        "people:import_detail",
        "GET",
        "/people/imports/{in}/",
        "people.import",
        ("own_job", "other_job"),
    ),
    Route(
        "people:import_report",
        "GET",
        "/people/imports/{in}/report.xlsx",
        "people.import",
        ("own_job", "other_job"),
    ),
    # events
    Route("events:event_list", "GET", "/events/", "events.view"),
    Route("events:my_events", "GET", "/events/mine/", "events.handle"),
    Route("events:event_report", "GET", "/events/new/", "events.report"),
    Route("events:my_reports", "GET", "/events/reported/", "events.report"),
    Route("participation:me_home", "GET", "/participation/me/", "participation.take_part"),
    Route("events:event_map", "GET", "/events/map/", "events.view"),
    Route("core:inbox", "GET", "/inbox/", SIGNED_IN),
    Route("core:inbox_read", "POST", "/inbox/read/", SIGNED_IN, ok=(302,)),
    Route("events:event_detail", "GET", "/events/{in}/", "events.view", ("event_in", "event_out")),
    Route(
        "events:event_act",
        "POST",
        "/events/{in}/act/",
        "events.view",
        ("event_in", "event_out"),
        ok=(302,),
        data={"action": "accept"},
    ),
    Route(
        "events:event_reveal_contact",
        "POST",
        "/events/{in}/reveal/",
        "events.reveal",
        ("event_in", "event_out"),
        data={"reason": "matrix"},
    ),
    Route(
        "events:event_photo",
        "GET",
        "/events/photos/{in}/",
        "events.view",
        ("photo_in", "photo_out"),
    ),
    Route(
        "events:event_photo_publish",
        "POST",
        "/events/photos/{in}/public/",
        "events.dispatch",
        ("photo_in", "photo_out"),
        ok=(302,),
        data={"public": "1"},
    ),
    Route("events:category_list", "GET", "/events/categories/", "events.manage"),
    Route(
        "events:category_edit",
        "GET",
        "/events/categories/{in}/",
        "events.manage",
        ("category", "no_category"),
    ),
    Route(
        "events:classifier_train", "POST", "/events/categories/train/", "events.manage", ok=(302,)
    ),
    Route("events:calendar", "GET", "/events/calendar/", "events.manage"),
    Route(
        "events:calendar_change",
        "POST",
        "/events/calendar/change/",
        "events.manage",
        ok=(302,),
        data={"date": "2031-01-01", "is_workday": "0", "name": "元旦"},
    ),
    Route("events:public_report", "GET", "/events/report/?jurisdiction_id=310104", None),
    Route("events:track", "GET", "/events/track/?code=ENOPE", None, public_status=(200,)),
    Route(
        "events:public_photo",
        "GET",
        "/events/track/ENOPE/photos/00000000-0000-0000-0000-000000000000/",
        None,
        public_status=(404,),
    ),
    Route("events:device_hook", "POST", "/events/hooks/device/none/", None, public_status=(401,)),
    # The resident's rating link of a completed service: no account; an unknown link is 404.
    Route("lists:resident_rate", "GET", "/lists/rate/not-a-link/", None, public_status=(404,)),
    # Open311 reads are public and per jurisdiction (district).
    Route("open311:services", "GET", "/open311/v2/services.json", None),
    Route("open311:service", "GET", "/open311/v2/services/06010.xml", None),
    Route("open311:requests", "GET", "/open311/v2/requests.json?jurisdiction_id=310104", None),
    Route(
        "open311:request",
        "GET",
        "/open311/v2/requests/{in}.json?jurisdiction_id=310104",
        None,
        ("event_code_in", "event_code_out"),
        public_status=(200, 404),
    ),
    # KPIs
    Route("kpis:kpi_list", "GET", "/kpis/?unit={in}", "kpis.view", ("c1_or_g1a", "c2")),
    Route("kpis:dashboard", "GET", "/kpis/dashboard/?unit={in}", "kpis.view", ("c1_or_g1a", "c2")),
    Route(
        "kpis:command_screen", "GET", "/kpis/command/?unit={in}", "kpis.view", ("c1_or_g1a", "c2")
    ),
    Route("kpis:my_numbers", "GET", "/kpis/mine/", "events.handle"),
    Route(
        "kpis:visit_board",
        "GET",
        "/kpis/boards/visits/?unit={in}",
        "kpis.view",
        ("c1_or_g1a", "c2"),
    ),
    Route(
        "kpis:board",
        "GET",
        "/kpis/boards/visits/?unit={in}&period=month",
        "kpis.view",
        ("c1_or_g1a", "c2"),
    ),
    Route("kpis:alert_list", "GET", "/kpis/alerts/", "kpis.view"),
    Route("kpis:report_list", "GET", "/kpis/reports/", "kpis.view"),
    Route(
        "kpis:report_request",
        "POST",
        "/kpis/reports/new/",
        "kpis.view",
        ("c1_or_g1a", "c2"),
        ok=(302,),
        data={"unit": "{in}", "month": "2025-10"},
    ),
    Route(
        "kpis:report_download",
        "GET",
        "/kpis/reports/{in}.xlsx",
        "kpis.view",
        ("report_in", "report_out"),
    ),
    Route(
        "kpis:alert_acknowledge",
        "POST",
        "/kpis/alerts/{in}/acknowledge/",
        "kpis.view",
        ("alert_in", "alert_out"),
        ok=(302,),
        data={"note": "矩阵"},
    ),
    Route(
        "kpis:kpi_detail",
        "GET",
        "/kpis/events.closure_rate/?unit={in}",
        "kpis.view",
        ("c1_or_g1a", "c2"),
    ),
    # audit
    Route("audit:record_list", "GET", "/audit/", "audit.view"),
    Route("audit:record_export", "POST", "/audit/export.csv", "audit.export"),
    # language
    Route("set_language", "POST", "/i18n/setlang/", None, data={"language": "en"}),
    # API
    _api("GET", "/api/v1/me", SIGNED_IN, "/api/v1/me"),
    _api("GET", "/api/v1/me/tokens", SIGNED_IN, "/api/v1/me/tokens"),
    _api(
        "POST",
        "/api/v1/me/tokens",
        API_TOKEN_PERMISSION,
        "/api/v1/me/tokens",
        ok=(201,),
        data={"name": "matrix"},
    ),
    _api(
        "DELETE",
        "/api/v1/me/tokens/{token_id}",
        SIGNED_IN,
        "/api/v1/me/tokens/{in}",
        ("own_token", "other_token"),
        ok=(204,),
    ),
    _api(
        "DELETE",
        "/api/v1/users/{user_id}/two-factor",
        "accounts.reset_two_factor",
        "/api/v1/users/{in}/two-factor",
        ("user_in", "user_out"),
        ok=(204,),
    ),
    _api("GET", "/api/v1/policies", "policy.view", "/api/v1/policies"),
    _api("GET", "/api/v1/policies/{key}", "policy.view", "/api/v1/policies/accounts.session"),
    _api(
        "PUT",
        "/api/v1/policies/{key}",
        "policy.view",
        "/api/v1/policies/org.grid_size",
        ok=(200, 403),
        data={"value": {"min_households": 250}, "note": "matrix"},
    ),
    _api("GET", "/api/v1/org-units", "org.view", "/api/v1/org-units?limit=200"),
    _api(
        "GET", "/api/v1/org-units/{code}", "org.view", "/api/v1/org-units/{in}", ("c1_or_g1a", "c2")
    ),
    _api(
        "POST",
        "/api/v1/org-units",
        "org.change",
        "/api/v1/org-units",
        ("s1_or_c1", "s2"),
        ok=(201, 422),
        data={"parent": "{in}", "code": "{in}099", "name": "矩阵"},
    ),
    _api(
        "PATCH",
        "/api/v1/org-units/{code}",
        "org.change",
        "/api/v1/org-units/{in}",
        ("g1a", "g2a"),
        data={"name": "改名"},
    ),
    _api("GET", "/api/v1/grids", "org.view", "/api/v1/grids?limit=200"),
    _api(
        "GET",
        "/api/v1/grids/locate",
        "org.view",
        "/api/v1/grids/locate?lon={in}&lat=31.205",
        ("lon_g1a", "lon_g2a"),
    ),
    _api("GET", "/api/v1/grids/{code}", "org.view", "/api/v1/grids/{in}", ("g1a", "g2a")),
    _api("GET", "/api/v1/grids.geojson", "org.view", "/api/v1/grids.geojson"),
    _api("POST", "/api/v1/grids/import", "org.change", "/api/v1/grids/import", ok=(422,)),
    _api("GET", "/api/v1/households", "people.view", "/api/v1/households?limit=200"),
    _api(
        "POST",
        "/api/v1/households",
        "people.change",
        "/api/v1/households",
        ("g1a", "g2a"),
        ok=(201,),
        data={"grid": "{in}", "number": "M1", "address": "矩阵"},
    ),
    _api(
        "GET",
        "/api/v1/households/{uid}",
        "people.view",
        "/api/v1/households/{in}",
        ("household_in", "household_out"),
    ),
    _api(
        "PATCH",
        "/api/v1/households/{uid}",
        "people.change",
        "/api/v1/households/{in}",
        ("household_in", "household_out"),
        data={"address": "新地址"},
    ),
    _api("GET", "/api/v1/residents", "people.view", "/api/v1/residents?limit=200"),
    _api(
        "POST",
        "/api/v1/residents",
        "people.change",
        "/api/v1/residents",
        ("household_in", "household_out"),
        ok=(201,),
        data={
            "household": "{in}",
            "data": {
                "name": "矩阵",
                "id_type": "none",
                "sex": "M",
                "birth_date": "1980-01-01",
                "relation": "other",
                "registration": "permanent",
            },
        },
    ),
    _api(
        "GET",
        "/api/v1/residents/{uid}",
        "people.view",
        "/api/v1/residents/{in}",
        ("resident_in", "resident_out"),
    ),
    _api(
        "PATCH",
        "/api/v1/residents/{uid}",
        "people.change",
        "/api/v1/residents/{in}",
        ("resident_in", "resident_out"),
        data={"version": 1, "data": {"education": "college"}},
    ),
    _api(
        "POST",
        "/api/v1/residents/{uid}/verify",
        "people.change",
        "/api/v1/residents/{in}/verify",
        ("resident_in", "resident_out"),
        data={"version": 1},
    ),
    _api(
        "POST",
        "/api/v1/residents/{uid}/reveal",
        "people.reveal",
        "/api/v1/residents/{in}/reveal",
        ("resident_in", "resident_out"),
        data={"field": "phone", "reason": "matrix"},
    ),
    _api(
        "GET",
        "/api/v1/residents/{uid}/tags",
        "people.view",
        "/api/v1/residents/{in}/tags",
        ("resident_in", "resident_out"),
    ),
    _api("POST", "/api/v1/imports", "people.import", "/api/v1/imports", ok=(422,)),
    _api(
        "GET",
        "/api/v1/imports/{uid}",
        "people.import",
        "/api/v1/imports/{in}",
        ("own_job", "other_job"),
    ),
    _api(
        "PATCH",
        "/api/v1/imports/{uid}",
        "people.import",
        "/api/v1/imports/{in}",
        ("own_job", "other_job"),
        ok=(409,),  # the job is over: there is nothing left to decide
        data={"mode": "all"},
    ),
    _api("GET", "/api/v1/events", "events.view", "/api/v1/events?limit=200"),
    _api(
        "POST",
        "/api/v1/events",
        "events.report",
        "/api/v1/events",
        ok=(201,),
        data={"title": "矩阵上报", "lon": 121.405, "lat": 31.205},
    ),
    _api(
        "GET",
        "/api/v1/events/{uid}",
        "events.view",
        "/api/v1/events/{in}",
        ("event_in", "event_out"),
    ),
    _api(
        "POST",
        "/api/v1/events/{uid}/actions",
        "events.view",
        "/api/v1/events/{in}/actions",
        ("event_in", "event_out"),
        ok=(200, 403, 409),
        data={"action": "check_in"},
    ),
    _api("GET", "/api/v1/event-categories", "events.view", "/api/v1/event-categories"),
    _api("GET", "/api/v1/notifications", SIGNED_IN, "/api/v1/notifications"),
    _api(
        "POST",
        "/api/v1/notifications/{notification_id}/read",
        SIGNED_IN,
        "/api/v1/notifications/1/read",
        ok=(204,),
    ),
    _api("GET", "/api/v1/kpis", "kpis.view", "/api/v1/kpis"),
    _api(
        "GET",
        "/api/v1/kpis/scores",
        "kpis.view",
        "/api/v1/kpis/scores?unit={in}&who=worker",
        ("c1_or_g1a", "c2"),
    ),
    _api(
        "GET",
        "/api/v1/kpis/{code}/values",
        "kpis.view",
        "/api/v1/kpis/events.closure_rate/values?unit={in}&level=grid",
        ("c1_or_g1a", "c2"),
    ),
    _api("GET", "/api/v1/alerts", "kpis.view", "/api/v1/alerts"),
    _api(
        "GET",
        "/api/v1/visit-board",
        "kpis.view",
        "/api/v1/visit-board?unit={in}&period=month",
        ("c1_or_g1a", "c2"),
    ),
    _api(
        "POST",
        "/api/v1/alerts/{alert_id}/acknowledge",
        "kpis.view",
        "/api/v1/alerts/{in}/acknowledge",
        ("alert_in", "alert_out"),
        data={"note": "矩阵"},
    ),
    # visits
    Route("visits:today", "GET", "/visits/today/", "visits.collect"),
    Route("visits:review_queue", "GET", "/visits/reviews/", "visits.review"),
    Route("visits:task_board", "GET", "/visits/tasks/", "visits.assign"),
    Route("visits:spot_check_list", "GET", "/visits/spot-checks/", "visits.spot_check"),
    Route(
        "visits:spot_check_record",
        "GET",
        "/visits/spot-checks/{in}/",
        "visits.spot_check",
        ("spot_check_in", "spot_check_out"),
    ),
    Route(
        "visits:visit_form",
        "GET",
        "/visits/households/{in}/new/",
        "visits.collect",
        ("household_in", "household_out"),
    ),
    Route(
        "visits:paper_form",
        "GET",
        "/visits/households/{in}/paper.pdf",
        "visits.collect",
        ("household_in", "household_out"),
    ),
    Route("visits:visit_detail", "GET", "/visits/{in}/", "visits.view", ("visit_in", "visit_out")),
    Route(
        "visits:visit_attach",
        "POST",
        "/visits/{in}/attachments/",
        "visits.collect",
        ("visit_in", "visit_out"),
        ok=(302,),  # no file: a message on the record page
    ),
    Route(
        "visits:attachment_file",
        "GET",
        "/visits/attachments/{in}/",
        "visits.view",
        ("attachment_in", "attachment_out"),
    ),
    Route(
        "visits:conflict_resolve",
        "POST",
        "/visits/conflicts/{in}/",
        "visits.review",
        ("conflict_in", "conflict_out"),
        ok=(302,),
        data={"take": "registry"},
    ),
    Route(
        "visits:visit_review",
        "POST",
        "/visits/{in}/review/",
        "visits.review",
        ("visit_in", "visit_out"),
        ok=(302,),
        data={"decision": "pass", "version": "1"},
    ),
    Route("visits:catalogue", "GET", "/visits/catalogue/", "visits.manage"),
    Route("visits:indicator_create", "GET", "/visits/catalogue/new/", "visits.manage"),
    Route("visits:category_create", "GET", "/visits/catalogue/categories/new/", "visits.manage"),
    Route(
        "visits:category_edit",
        "GET",
        "/visits/catalogue/categories/{in}/",
        "visits.manage",
        ("indicator_category", "no_indicator_category"),
    ),
    Route(
        "visits:indicator_edit",
        "GET",
        "/visits/catalogue/{in}/",
        "visits.manage",
        ("indicator", "no_indicator"),
    ),
    Route(
        "visits:indicator_status",
        "POST",
        "/visits/catalogue/{in}/status/",
        "visits.manage",
        ("indicator", "no_indicator"),
        ok=(302,),
        data={"version": "1", "active": "1"},  # already in use: changes nothing
    ),
    _api("GET", "/api/v1/visit-indicators", "visits.view", "/api/v1/visit-indicators"),
    _api(
        "POST",
        "/api/v1/visit-indicators",
        "visits.manage",
        "/api/v1/visit-indicators",
        ok=(201,),
        data={
            "code": "X01",
            "category": "needs",
            "name": "需要助餐",
            "name_en": "needs meal service",
            "value_type": "bool",
            "purposes": ["visit"],
            "frequency": "monthly",
        },
    ),
    _api(
        "PATCH",
        "/api/v1/visit-indicators/{code}",
        "visits.manage",
        "/api/v1/visit-indicators/{in}",
        ("indicator", "no_indicator"),
        data={"version": 1},
    ),
    _api("GET", "/api/v1/visit-tasks", "visits.view", "/api/v1/visit-tasks?status=&limit=200"),
    _api(
        "POST",
        "/api/v1/visit-tasks",
        "visits.assign",
        "/api/v1/visit-tasks",
        ("household_in", "household_out"),
        ok=(409,),  # the household already has an open task
        data={"household": "{in}", "due_date": "2030-01-01"},
    ),
    _api(
        "PATCH",
        "/api/v1/visit-tasks/{uid}",
        "visits.assign",
        "/api/v1/visit-tasks/{in}",
        ("visit_task_in", "visit_task_out"),
        data={"version": 1, "status": "cancelled"},
    ),
    _api("GET", "/api/v1/visits", "visits.view", "/api/v1/visits?limit=200"),
    _api(
        "POST",
        "/api/v1/visits",
        "visits.collect",
        "/api/v1/visits",
        ("household_in", "household_out"),
        ok=(201,),
        data={
            "client_uuid": "0b0e6f55-34a4-4b7e-9d0c-0a3f2a1b5c7d",
            "household": "{in}",
            "outcome": "not_home",
            "started_at": "2026-01-05T09:00:00+08:00",
            "ended_at": "2026-01-05T09:05:00+08:00",
            "versions": {"{in}": 1},
        },
    ),
    _api(
        "POST",
        "/api/v1/visits/sync",
        "visits.collect",
        "/api/v1/visits/sync",
        data={"records": []},
    ),
    _api(
        "GET",
        "/api/v1/visits/{uid}",
        "visits.view",
        "/api/v1/visits/{in}",
        ("visit_in", "visit_out"),
    ),
    _api(
        "POST",
        "/api/v1/visits/{uid}/reviews",
        "visits.review",
        "/api/v1/visits/{in}/reviews",
        ("visit_in", "visit_out"),
        data={"decision": "pass", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/visits/{uid}/resubmissions",
        "visits.collect",
        "/api/v1/visits/{in}/resubmissions",
        ("visit_in", "visit_out"),
        ok=(409,),  # waiting for review: nothing to correct
        data={"version": 1},
    ),
    _api(
        "GET",
        "/api/v1/visits/{uid}/attachments",
        "visits.view",
        "/api/v1/visits/{in}/attachments",
        ("visit_in", "visit_out"),
    ),
    _api(
        "POST",
        "/api/v1/visits/{uid}/attachments",
        "visits.collect",
        "/api/v1/visits/{in}/attachments",
        ("visit_in", "visit_out"),
        ok=(422,),  # no file sent: refused after the scope check, nothing stored
    ),
    _api(
        "GET",
        "/api/v1/visits/{uid}/attachments/{attachment}",
        "visits.view",
        "/api/v1/visits/{in}",
        ("visit_attachment_in", "visit_attachment_out"),
    ),
    _api("GET", "/api/v1/visit-conflicts", "visits.review", "/api/v1/visit-conflicts"),
    _api(
        "POST",
        "/api/v1/visit-conflicts/{uid}",
        "visits.review",
        "/api/v1/visit-conflicts/{in}",
        ("conflict_in", "conflict_out"),
        data={"take": "registry"},
    ),
    # lists: needs, resources, service orders
    Route("lists:need_list", "GET", "/lists/needs/", "lists.view"),
    Route("lists:need_create", "GET", "/lists/needs/new/", "lists.register"),
    Route("lists:need_detail", "GET", "/lists/needs/{in}/", "lists.view", ("need_in", "need_out")),
    Route(
        "lists:need_action",
        "POST",
        "/lists/needs/{in}/action/",
        "lists.manage",
        ("need_in", "need_out"),
        ok=(302,),
        data={"action": "verify", "version": "1"},
    ),
    Route(
        "lists:need_dispatch",
        "POST",
        "/lists/needs/{in}/dispatch/",
        "lists.dispatch",
        ("need_in", "need_out"),
        ok=(302,),
    ),
    Route("lists:resource_list", "GET", "/lists/resources/", "lists.view"),
    Route("lists:resource_create", "GET", "/lists/resources/new/", "lists.manage"),
    Route(
        "lists:resource_edit",
        "GET",
        "/lists/resources/{in}/",
        "lists.manage",
        ("resource_in", "resource_out"),
    ),
    Route(
        "lists:resource_operators",
        "POST",
        "/lists/resources/{in}/operators/",
        "lists.manage",
        ("resource_in", "resource_out"),
        ok=(302,),
        data={"username": "nobody-here"},
    ),
    # The provider's own pages (服务提供方): the orders of the resources it operates.
    Route("lists:provider_home", "GET", "/lists/serve/", "lists.serve"),
    Route(
        "lists:provider_order",
        "GET",
        "/lists/serve/{in}/",
        "lists.serve",
        ("service_order_in", "service_order_out"),
    ),
    Route(
        "lists:provider_action",
        "POST",
        "/lists/serve/{in}/action/",
        "lists.serve",
        ("service_order_in", "service_order_out"),
        ok=(302,),
        data={"action": "accept", "version": "1"},
    ),
    Route(
        "lists:provider_address",
        "POST",
        "/lists/serve/{in}/address/",
        "lists.serve",
        ("service_order_in", "service_order_out"),
        ok=(200, 302),
        data={"reason": "matrix"},
    ),
    Route("lists:order_list", "GET", "/lists/orders/", "lists.dispatch"),
    Route("lists:category_list", "GET", "/lists/categories/", "lists.catalogue"),
    Route("lists:need_map", "GET", "/lists/map/", "lists.view"),
    Route("lists:need_map_data", "GET", "/lists/map/data/", "lists.view"),
    Route(
        "lists:order_detail",
        "GET",
        "/lists/orders/{in}/",
        "lists.dispatch",
        ("service_order_in", "service_order_out"),
    ),
    Route(
        "lists:order_action",
        "POST",
        "/lists/orders/{in}/action/",
        "lists.dispatch",
        ("service_order_in", "service_order_out"),
        ok=(302,),
    ),
    Route("lists:matching_index", "GET", "/lists/matching/", "lists.dispatch"),
    Route(
        "lists:matching_detail",
        "GET",
        "/lists/matching/{in}/",
        "lists.dispatch",
        ("match_in", "match_out"),
    ),
    Route(
        "lists:matching_confirm_all",
        "POST",
        "/lists/matching/{in}/confirm-all/",
        "lists.dispatch",
        ("match_in", "match_out"),
        ok=(302,),
    ),
    Route(
        "lists:matching_row_action",
        "POST",
        "/lists/matching/{in}/",
        "lists.dispatch",
        ("match_row_in", "match_row_out"),
        ok=(302,),
        data={"action": "reject", "version": "1", "reason": "矩阵驳回"},
    ),
    _api(
        "POST",
        "/api/v1/matches",
        "lists.dispatch",
        "/api/v1/matches",
        ok=(201,),
        data={"unit": "310104003001"},
    ),
    _api("GET", "/api/v1/matches", "lists.dispatch", "/api/v1/matches?limit=200"),
    _api(
        "GET",
        "/api/v1/matches/{uid}",
        "lists.dispatch",
        "/api/v1/matches/{in}",
        ("match_in", "match_out"),
    ),
    _api(
        "POST",
        "/api/v1/matches/{uid}/rows/{row}/confirm",
        "lists.dispatch",
        "/api/v1/matches/{in}/confirm",
        ("match_row_in", "match_row_out"),
        ok=(200, 409),
        data={"version": 1},
    ),
    _api(
        "POST",
        "/api/v1/matches/{uid}/rows/{row}/change",
        "lists.dispatch",
        "/api/v1/matches/{in}/change",
        ("match_row_in", "match_row_out"),
        ok=(200, 409),
        data={"version": 1, "resource": "00000000-0000-0000-0000-000000000000"},
    ),
    _api(
        "POST",
        "/api/v1/matches/{uid}/rows/{row}/reject",
        "lists.dispatch",
        "/api/v1/matches/{in}/reject",
        ("match_row_in", "match_row_out"),
        data={"version": 1, "reason": "矩阵驳回"},
    ),
    _api(
        "POST",
        "/api/v1/matches/{uid}/confirm-all",
        "lists.dispatch",
        "/api/v1/matches/{in}/confirm-all",
        ("match_in", "match_out"),
    ),
    _api("GET", "/api/v1/needs", "lists.view", "/api/v1/needs?limit=200"),
    _api(
        "POST",
        "/api/v1/needs",
        "lists.register",
        "/api/v1/needs",
        ("household_in", "household_out"),
        ok=(200, 201),
        data={"household": "{in}", "category": "meals", "text": "矩阵需求"},
    ),
    _api("GET", "/api/v1/needs/{uid}", "lists.view", "/api/v1/needs/{in}", ("need_in", "need_out")),
    _api(
        "POST",
        "/api/v1/needs/{uid}/transitions",
        "lists.manage",
        "/api/v1/needs/{in}/transitions",
        ("need_in", "need_out"),
        ok=(200, 409),
        data={"action": "verify", "version": 1},
    ),
    _api(
        "GET",
        "/api/v1/needs/{uid}/candidates",
        "lists.dispatch",
        "/api/v1/needs/{in}/candidates",
        ("need_in", "need_out"),
    ),
    _api(
        "POST",
        "/api/v1/needs/{uid}/service-orders",
        "lists.dispatch",
        "/api/v1/needs/{in}/service-orders",
        ("need_in", "need_out"),
        ok=(201, 409, 422),
        data={"resource": "00000000-0000-0000-0000-000000000000", "version": 1},
    ),
    _api("GET", "/api/v1/resources", "lists.view", "/api/v1/resources?limit=200"),
    _api(
        "POST",
        "/api/v1/resources",
        "lists.manage",
        "/api/v1/resources",
        ok=(201,),
        data={
            "name": "矩阵资源",
            "resource_class": "volunteer",
            "provider_kind": "volunteer_team",
            "provider_name": "志愿队",
            "categories": ["culture"],
            "owner": "310104003001",
            "capacity": 2,
            "area_paths": ["310104003001"],
        },
    ),
    _api(
        "GET",
        "/api/v1/resources/{uid}",
        "lists.view",
        "/api/v1/resources/{in}",
        ("resource_in", "resource_out"),
    ),
    _api(
        "PUT",
        "/api/v1/resources/{uid}",
        "lists.manage",
        "/api/v1/resources/{in}",
        ("resource_in", "resource_out"),
        ok=(200, 409),
        data={
            "version": 1,
            "name": "矩阵助餐",
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": "民政",
            "categories": ["meals"],
            "owner": "310104003001",
            "capacity": 5,
            "area_paths": ["310104003001"],
        },
    ),
    # Staff read the orders in their scope, a provider account those of its own resources.
    _api(
        "GET",
        "/api/v1/service-orders",
        "lists.view|lists.serve",
        "/api/v1/service-orders?limit=200",
    ),
    _api(
        "GET",
        "/api/v1/service-orders/{uid}",
        "lists.view|lists.serve",
        "/api/v1/service-orders/{in}",
        ("service_order_in", "service_order_out"),
    ),
    _api(
        "POST",
        "/api/v1/service-orders/{uid}/transitions",
        "lists.dispatch|lists.serve",
        "/api/v1/service-orders/{in}/transitions",
        ("service_order_in", "service_order_out"),
        ok=(200, 409),
        data={"action": "accept", "version": 1},
    ),
    Route("lists:project_list", "GET", "/lists/projects/", "lists.view"),
    Route("lists:project_create", "GET", "/lists/projects/new/", "lists.manage"),
    Route("lists:gap", "GET", "/lists/gap/", "lists.view"),
    Route(
        "lists:project_detail",
        "GET",
        "/lists/projects/{in}/",
        "lists.view",
        ("project_in", "project_out"),
    ),
    Route(
        "lists:project_edit",
        "GET",
        "/lists/projects/{in}/edit/",
        "lists.manage",
        ("project_in", "project_out"),
    ),
    Route(
        "lists:project_action",
        "POST",
        "/lists/projects/{in}/action/",
        "lists.manage",
        ("project_in", "project_out"),
        ok=(302,),
        data={"action": "design", "version": "1"},
    ),
    Route(
        "lists:project_link",
        "POST",
        "/lists/projects/{in}/needs/",
        "lists.manage",
        ("project_in", "project_out"),
        ok=(302,),
    ),
    Route(
        "lists:need_link_project",
        "POST",
        "/lists/needs/{in}/project/",
        "lists.manage",
        ("need_in", "need_out"),
        ok=(302,),
    ),
    _api("GET", "/api/v1/projects", "lists.view", "/api/v1/projects?limit=200"),
    _api("GET", "/api/v1/projects/gap", "lists.view", "/api/v1/projects/gap"),
    _api(
        "POST",
        "/api/v1/projects",
        "lists.manage",
        "/api/v1/projects",
        ok=(201,),
        data={
            "name": "矩阵项目",
            "service_line": "culture",
            "sponsor": "310104003001",
            "budget": "100",
        },
    ),
    _api(
        "GET",
        "/api/v1/projects/{uid}",
        "lists.view",
        "/api/v1/projects/{in}",
        ("project_in", "project_out"),
    ),
    _api(
        "PUT",
        "/api/v1/projects/{uid}",
        "lists.manage",
        "/api/v1/projects/{in}",
        ("project_in", "project_out"),
        ok=(200, 409),
        data={
            "version": 1,
            "name": "矩阵项目",
            "service_line": "culture",
            "sponsor": "310104003001",
            "budget": "200",
        },
    ),
    _api(
        "POST",
        "/api/v1/projects/{uid}/transitions",
        "lists.manage",
        "/api/v1/projects/{in}/transitions",
        ("project_in", "project_out"),
        ok=(200, 409),
        data={"action": "design", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/projects/{uid}/needs",
        "lists.manage",
        "/api/v1/projects/{in}/needs",
        ("project_in", "project_out"),
        ok=(200, 409, 422),
        data={"needs": ["00000000-0000-0000-0000-000000000000"], "version": 1},
    ),
    # lists: bookable rooms and equipment, bookings
    Route(
        "lists:space_edit",
        "GET",
        "/lists/resources/{in}/bookable/",
        "lists.manage",
        ("resource_in", "resource_out"),
    ),
    Route("lists:booking_list", "GET", "/lists/bookings/", "lists.view"),
    Route(
        "lists:space_calendar",
        "GET",
        "/lists/bookings/resources/{in}/",
        "lists.view",
        ("resource_in", "resource_out"),
    ),
    Route(
        "lists:booking_create",
        "GET",
        "/lists/bookings/resources/{in}/book/",
        "lists.book",
        ("resource_in", "resource_out"),
    ),
    Route(
        "lists:booking_detail",
        "GET",
        "/lists/bookings/{in}/",
        "lists.view",
        ("booking_in", "booking_out"),
    ),
    Route(
        "lists:booking_action",
        "POST",
        "/lists/bookings/{in}/action/",
        "lists.book",
        ("booking_in", "booking_out"),
        ok=(302,),
        data={"action": "cancel", "version": "1", "reason": "矩阵"},
    ),
    _api("GET", "/api/v1/bookable-resources", "lists.view", "/api/v1/bookable-resources"),
    _api(
        "PUT",
        "/api/v1/bookable-resources/{uid}",
        "lists.manage",
        "/api/v1/bookable-resources/{in}",
        ("resource_in", "resource_out"),
        ok=(200, 409),
        data={"schedule": {"0": [["09:00", "12:00"]]}, "slot_minutes": 60, "version": 1},
    ),
    _api(
        "GET",
        "/api/v1/bookable-resources/{uid}/slots",
        "lists.view",
        "/api/v1/bookable-resources/{in}/slots",
        ("resource_in", "resource_out"),
    ),
    _api(
        "GET",
        "/api/v1/bookable-resources/{uid}/utilisation",
        "lists.view",
        "/api/v1/bookable-resources/{in}/utilisation",
        ("resource_in", "resource_out"),
    ),
    _api("GET", "/api/v1/bookings", "lists.view", "/api/v1/bookings?limit=200"),
    _api(
        "POST",
        "/api/v1/bookings",
        "lists.book",
        "/api/v1/bookings",
        ("resource_in", "resource_out"),
        ok=(201, 409, 422),
        data={
            "resource": "{in}",
            "start": "2000-01-03T09:00:00",
            "purpose": "矩阵",
            "applicant_name": "矩阵",
        },
    ),
    _api(
        "GET",
        "/api/v1/bookings/{uid}",
        "lists.view",
        "/api/v1/bookings/{in}",
        ("booking_in", "booking_out"),
    ),
    _api(
        "POST",
        "/api/v1/bookings/{uid}/transitions",
        "lists.book",
        "/api/v1/bookings/{in}/transitions",
        ("booking_in", "booking_out"),
        ok=(200, 409),
        data={"action": "cancel", "version": 1, "reason": "矩阵"},
    ),
    # participation: votes
    Route("participation:vote_list", "GET", "/participation/votes/", "participation.view"),
    Route(
        "participation:vote_create",
        "GET",
        "/participation/votes/new/{in}/",
        "participation.manage",
        ("vote_topic_in", "vote_topic_out"),
    ),
    Route(
        "participation:vote_detail",
        "GET",
        "/participation/votes/{in}/",
        "participation.view",
        ("vote_in", "vote_out"),
    ),
    Route(
        "participation:vote_action",
        "POST",
        "/participation/votes/{in}/action/",
        "participation.manage",
        ("vote_in", "vote_out"),
        ok=(302,),
        data={"action": "close", "version": "0"},
    ),
    Route(
        "participation:vote_paper",
        "POST",
        "/participation/votes/{in}/paper/",
        "participation.manage",
        ("vote_in", "vote_out"),
        ok=(302,),
        data={"step": "enter", "choice": "0"},
    ),
    Route(
        "participation:representative_list",
        "GET",
        "/participation/votes/representatives/?q=甲",
        "participation.manage",
    ),
    # An unknown resident: nothing to designate (404 shown as a message on the list).
    Route(
        "participation:representative_change",
        "POST",
        "/participation/votes/representatives/change/",
        "participation.manage",
        ok=(302,),
        data={"step": "designate", "resident": "00000000-0000-0000-0000-000000000000"},
    ),
    # The matrix's resident and volunteer accounts are electors of the in-scope vote.
    Route(
        "participation:my_votes",
        "GET",
        "/participation/me/votes/",
        "participation.take_part",
        ok=(200, 403),
    ),
    Route(
        "participation:my_vote",
        "GET",
        "/participation/me/votes/{in}/",
        "participation.take_part",
        ("vote_in", "vote_out"),
        ok=(200, 403),
    ),
    Route(
        "participation:my_vote_receipt",
        "GET",
        "/participation/me/votes/{in}/receipt/",
        "participation.take_part",
        ("vote_in", "vote_out"),
        ok=(200, 403),
    ),
    _api("GET", "/api/v1/participation/votes", "participation.view", "/api/v1/participation/votes"),
    _api(
        "POST",
        "/api/v1/participation/votes",
        "participation.manage",
        "/api/v1/participation/votes",
        ("vote_topic_in", "vote_topic_out"),
        ok=(201, 409),
        data={
            "topic": "{in}",
            "question": "矩阵",
            "options": ["a", "b"],
            "closes_at": "2999-01-01T00:00:00",
        },
    ),
    _api(
        "GET",
        "/api/v1/participation/votes/{uid}",
        "participation.view",
        "/api/v1/participation/votes/{in}",
        ("vote_in", "vote_out"),
    ),
    _api(
        "GET",
        "/api/v1/participation/votes/{uid}/results",
        "participation.view",
        "/api/v1/participation/votes/{in}/results",
        ("vote_in", "vote_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/open",
        "participation.manage",
        "/api/v1/participation/votes/{in}/open",
        ("vote_in", "vote_out"),
        ok=(409,),
        data={"version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/close",
        "participation.manage",
        "/api/v1/participation/votes/{in}/close",
        ("vote_in", "vote_out"),
        ok=(200, 409),
        data={"version": 2},
    ),
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/ballots",
        "participation.take_part",
        "/api/v1/participation/votes/{in}/ballots",
        ("vote_in", "vote_out"),
        ok=(201, 403),
        data={"choice": 0, "version": 2},
    ),
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/receipt-check",
        "participation.take_part",
        "/api/v1/participation/votes/{in}/receipt-check",
        ("vote_in", "vote_out"),
        data={"code": "AAAA-BBBB-CCCC"},
    ),
    # An unknown resident: 404 even in scope (the sheet of the register names nobody).
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/paper-voters",
        "participation.manage",
        "/api/v1/participation/votes/{in}/paper-voters",
        ("vote_in", "vote_out"),
        ok=(404,),
        data={"resident": "00000000-0000-0000-0000-000000000000"},
    ),
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/paper-ballots",
        "participation.manage",
        "/api/v1/participation/votes/{in}/paper-ballots",
        ("vote_in", "vote_out"),
        ok=(201,),
        data={"choice": 1},
    ),
    # The sheet was entered by the community staff account: it may not check it (403).
    _api(
        "POST",
        "/api/v1/participation/votes/{uid}/paper-ballots/{sheet}/check",
        "participation.manage",
        "/api/v1/participation/votes/{in}/check",
        ("paper_in", "paper_out"),
        ok=(200, 403, 409),
        data={"confirm": False, "reason": "矩阵"},
    ),
    _api("GET", "/api/v1/visit-spot-checks", "visits.spot_check", "/api/v1/visit-spot-checks"),
    _api(
        "POST",
        "/api/v1/visit-spot-checks/draws",
        "visits.spot_check",
        "/api/v1/visit-spot-checks/draws",
        ("c1", "c2"),
        ok=(201,),
        data={"community": "{in}", "period": "2026-01"},
    ),
    _api(
        "POST",
        "/api/v1/visit-spot-checks/{uid}",
        "visits.spot_check",
        "/api/v1/visit-spot-checks/{in}",
        ("spot_check_in", "spot_check_out"),
        data={"fields": {"B01": True}},
    ),
    # participation: volunteers
    Route(
        "participation:volunteer_list", "GET", "/participation/volunteers/", "participation.view"
    ),
    Route(
        "participation:volunteer_register",
        "GET",
        "/participation/volunteers/register/",
        "participation.manage",
    ),
    Route(
        "participation:volunteer_detail",
        "GET",
        "/participation/volunteers/{in}/",
        "participation.view",
        ("volunteer_in", "volunteer_out"),
    ),
    Route(
        "participation:team_list", "GET", "/participation/volunteers/teams/", "participation.view"
    ),
    Route(
        "participation:activity_list",
        "GET",
        "/participation/volunteers/activities/",
        "participation.view",
    ),
    Route(
        "participation:activity_create",
        "GET",
        "/participation/volunteers/activities/new/",
        "participation.manage",
    ),
    Route(
        "participation:activity_detail",
        "GET",
        "/participation/volunteers/activities/{in}/",
        "participation.view",
        ("activity_in", "activity_out"),
    ),
    Route(
        "participation:approval_queue",
        "GET",
        "/participation/volunteers/approvals/",
        "participation.manage",
    ),
    Route(
        "participation:record_approve",
        "POST",
        "/participation/volunteers/approvals/{in}/",
        "participation.manage",
        ("shift_record_in", "shift_record_out"),
        ok=(302,),
        data={"hours": "1"},
    ),
    Route(
        "participation:me_volunteer",
        "GET",
        "/participation/me/volunteer/",
        "participation.take_part",
    ),
    Route(
        "participation:me_register",
        "POST",
        "/participation/me/volunteer/register/",
        "participation.take_part",
        ok=(302,),
    ),
    Route(
        "participation:me_shifts",
        "GET",
        "/participation/me/volunteer/shifts/",
        "participation.take_part",
    ),
    Route(
        "participation:me_sign_up",
        "POST",
        "/participation/me/volunteer/shifts/{in}/sign-up/",
        "participation.take_part",
        ("shift_in", "shift_out"),
        ok=(302,),
    ),
    Route(
        "participation:me_record",
        "GET",
        "/participation/me/volunteer/records/{in}/",
        "participation.take_part",
        ("own_shift_record", "shift_record_out"),
    ),
    Route(
        "participation:me_cancel",
        "POST",
        "/participation/me/volunteer/records/{in}/cancel/",
        "participation.take_part",
        ("own_shift_record", "shift_record_out"),
        ok=(302,),
    ),
    Route(
        "participation:me_check_in",
        "POST",
        "/participation/me/volunteer/records/{in}/check-in/",
        "participation.take_part",
        ("own_shift_record", "shift_record_out"),
        ok=(302,),
        data={"lon": "121.405", "lat": "31.205"},
    ),
    Route(
        "participation:me_check_out",
        "POST",
        "/participation/me/volunteer/records/{in}/check-out/",
        "participation.take_part",
        ("own_shift_record", "shift_record_out"),
        ok=(302,),
        data={"lon": "121.405", "lat": "31.205"},
    ),
    Route(
        "participation:me_hours",
        "GET",
        "/participation/me/volunteer/hours/",
        "participation.take_part",
    ),
    Route(
        "participation:me_approvals",
        "GET",
        "/participation/me/volunteer/approvals/",
        "participation.take_part",
    ),
    Route(
        "participation:me_approve",
        "POST",
        "/participation/me/volunteer/approvals/{in}/",
        "participation.take_part",
        ("approvable_shift_record", "shift_record_out"),
        ok=(302,),
        data={"rating": "5"},
    ),
    _api(
        "GET",
        "/api/v1/participation/volunteers",
        "participation.view",
        "/api/v1/participation/volunteers?limit=200",
    ),
    _api(
        "POST",
        "/api/v1/participation/volunteers",
        "participation.manage|participation.take_part",
        "/api/v1/participation/volunteers",
        ok=(201, 403, 409),
    ),
    _api(
        "GET",
        "/api/v1/participation/volunteers/me",
        "participation.take_part",
        "/api/v1/participation/volunteers/me",
    ),
    _api(
        "GET",
        "/api/v1/participation/volunteers/{uid}",
        "participation.view",
        "/api/v1/participation/volunteers/{in}",
        ("volunteer_in", "volunteer_out"),
    ),
    _api(
        "PUT",
        "/api/v1/participation/volunteers/{uid}",
        "participation.manage",
        "/api/v1/participation/volunteers/{in}",
        ("volunteer_in", "volunteer_out"),
        ok=(200, 409),
        data={"skills": ["care"], "version": 1},
    ),
    _api(
        "GET",
        "/api/v1/participation/activities",
        "participation.view",
        "/api/v1/participation/activities?limit=200",
    ),
    _api(
        "POST",
        "/api/v1/participation/activities",
        "participation.manage",
        "/api/v1/participation/activities",
        ("c1_or_g1a", "c2"),
        ok=(201,),
        data={"org_unit": "{in}", "title": "矩阵", "place": "矩阵", "lon": 121.4, "lat": 31.2},
    ),
    _api(
        "GET",
        "/api/v1/participation/activities/{uid}",
        "participation.view",
        "/api/v1/participation/activities/{in}",
        ("activity_in", "activity_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/activities/{uid}/shifts",
        "participation.manage",
        "/api/v1/participation/activities/{in}/shifts",
        ("activity_in", "activity_out"),
        ok=(201,),
        data={"start": "2030-01-01T09:00:00", "end": "2030-01-01T11:00:00", "slots": 3},
    ),
    _api(
        "GET",
        "/api/v1/participation/shifts/open",
        "participation.take_part",
        "/api/v1/participation/shifts/open",
    ),
    _api(
        "GET",
        "/api/v1/participation/shifts/{uid}/records",
        "participation.view",
        "/api/v1/participation/shifts/{in}/records",
        ("shift_in", "shift_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/shifts/{uid}/signups",
        "participation.take_part|participation.manage",
        "/api/v1/participation/shifts/{in}/signups",
        ("shift_in", "shift_out"),
        ok=(201, 409, 422),
    ),
    _api(
        "POST",
        "/api/v1/participation/shifts/records/{uid}/cancel",
        "participation.take_part",
        "/api/v1/participation/shifts/records/{in}/cancel",
        ("own_shift_record", "shift_record_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/shifts/records/{uid}/check-in",
        "participation.take_part",
        "/api/v1/participation/shifts/records/{in}/check-in",
        ("own_shift_record", "shift_record_out"),
        ok=(422,),
        data={"lon": 121.405, "lat": 31.205, "client_id": "6f1c1b3e-3c55-4d1e-9a55-4b0c8c7d2e11"},
    ),
    _api(
        "POST",
        "/api/v1/participation/shifts/records/{uid}/check-out",
        "participation.take_part",
        "/api/v1/participation/shifts/records/{in}/check-out",
        ("own_shift_record", "shift_record_out"),
        ok=(409,),
        data={"lon": 121.405, "lat": 31.205, "client_id": "6f1c1b3e-3c55-4d1e-9a55-4b0c8c7d2e12"},
    ),
    _api(
        "POST",
        "/api/v1/participation/shifts/records/{uid}/approve",
        "participation.manage|participation.take_part",
        "/api/v1/participation/shifts/records/{in}/approve",
        ("approvable_shift_record", "shift_record_out"),
        ok=(409,),
    ),
    _api(
        "POST",
        "/api/v1/participation/shifts/records/{uid}/rating",
        "participation.manage|participation.take_part",
        "/api/v1/participation/shifts/records/{in}/rating",
        ("approvable_shift_record", "shift_record_out"),
        ok=(409,),
        data={"rating": 5},
    ),
    _api("GET", "/api/v1/audit-records", "audit.view", "/api/v1/audit-records?limit=200"),
    _api("GET", "/api/v1/audit-records/verify", "audit.view", "/api/v1/audit-records/verify"),
    # The API description pages answer like web pages (sign-in redirect).
    Route("api:GET /api/v1/openapi.json", "GET", "/api/v1/openapi.json", SIGNED_IN),
    Route("api:GET /api/v1/docs", "GET", "/api/v1/docs", SIGNED_IN),
    # participation: deliberation (议事). Residents and volunteers of the matrix are bound
    # to a resident of g1a; the topic and proposal "in" are in g1a, "out" in g2a.
    Route("participation:topic_list", "GET", "/participation/topics/", "participation.view"),
    Route(
        "participation:topic_list",
        "GET",
        "/participation/topics/?queue=overdue&state=decided",
        "participation.view",
    ),
    Route(
        "participation:topic_create",
        "GET",
        "/participation/topics/new/",
        "participation.manage",
    ),
    Route(
        "participation:topic_detail",
        "GET",
        "/participation/topics/{in}/",
        "participation.view",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:topic_edit",
        "GET",
        "/participation/topics/{in}/edit/",
        "participation.manage",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:topic_action",
        "POST",
        "/participation/topics/{in}/action/",
        "participation.manage",
        ("topic_in", "topic_out"),
        ok=(302,),
        data={"action": "select", "version": "1"},
    ),
    Route(
        "participation:topic_decide",
        "GET",
        "/participation/topics/{in}/decision/",
        "participation.manage",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:topic_implementation",
        "POST",
        "/participation/topics/{in}/implementation/",
        "participation.manage",
        ("topic_in", "topic_out"),
        ok=(302,),
        data={"implementation": "in_progress", "version": "1"},
    ),
    Route(
        "participation:topic_report",
        "GET",
        "/participation/topics/{in}/report-back/",
        "participation.manage",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:topic_documents",
        "POST",
        "/participation/topics/{in}/documents/",
        "participation.manage",
        ("topic_in", "topic_out"),
        ok=(302,),
        data={"title": "矩阵"},
    ),
    Route(
        "participation:topic_document",
        "GET",
        "/participation/topics/{in}/documents/" + MATRIX_DOCUMENT + "/",
        "participation.view",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:me_document",
        "GET",
        "/participation/me/topics/{in}/documents/" + MATRIX_DOCUMENT + "/",
        "participation.take_part",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:comment_remove",
        "POST",
        "/participation/topics/{in}/comments/" + MATRIX_COMMENT + "/remove/",
        "participation.manage",
        ("topic_in", "topic_out"),
        ok=(302,),
        data={"reason": "矩阵"},
    ),
    Route("participation:proposal_list", "GET", "/participation/proposals/", "participation.view"),
    Route(
        "participation:proposal_assist",
        "GET",
        "/participation/proposals/assist/?resident={in}",
        "participation.assist",
        ("resident_in", "resident_out"),
    ),
    Route(
        "participation:proposal_action",
        "POST",
        "/participation/proposals/{in}/action/",
        "participation.manage",
        ("proposal_in", "proposal_out"),
        ok=(302,),
        data={"action": "hide", "reason": "矩阵", "version": "1"},
    ),
    Route("participation:me_topics", "GET", "/participation/me/topics/", "participation.take_part"),
    Route(
        "participation:me_topic",
        "GET",
        "/participation/me/topics/{in}/",
        "participation.take_part",
        ("topic_in", "topic_out"),
    ),
    Route(
        "participation:me_comment",
        "POST",
        "/participation/me/topics/{in}/comments/",
        "participation.take_part",
        ("topic_in", "topic_out"),
        ok=(302,),
        data={"body": "矩阵评论"},
    ),
    Route(
        "participation:me_proposals",
        "GET",
        "/participation/me/proposals/",
        "participation.take_part",
    ),
    Route(
        "participation:me_propose",
        "GET",
        "/participation/me/proposals/new/",
        "participation.take_part",
    ),
    Route(
        "participation:me_cosign",
        "POST",
        "/participation/me/proposals/{in}/cosign/",
        "participation.take_part",
        ("proposal_in", "proposal_out"),
        ok=(302,),
    ),
    _api(
        "GET", "/api/v1/participation/topics", "participation.view", "/api/v1/participation/topics"
    ),
    _api(
        "POST",
        "/api/v1/participation/topics",
        "participation.manage",
        "/api/v1/participation/topics",
        ("c1_or_g1a", "c2"),
        ok=(201,),
        data={"org_unit": "{in}", "title": "矩阵议题", "source": "committee"},
    ),
    _api(
        "GET",
        "/api/v1/participation/topics/{topic_id}",
        "participation.view",
        "/api/v1/participation/topics/{in}",
        ("topic_in", "topic_out"),
    ),
    _api(
        "PUT",
        "/api/v1/participation/topics/{topic_id}",
        "participation.manage",
        "/api/v1/participation/topics/{in}",
        ("topic_in", "topic_out"),
        ok=(200, 400),
        data={"org_unit": "310104003001001", "title": "矩阵", "source": "committee", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/topics/{topic_id}/transitions",
        "participation.manage",
        "/api/v1/participation/topics/{in}/transitions",
        ("topic_in", "topic_out"),
        ok=(200, 409),
        data={"action": "select", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/topics/{topic_id}/decision",
        "participation.manage",
        "/api/v1/participation/topics/{in}/decision",
        ("topic_in", "topic_out"),
        data={"outcome": "adopted", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/topics/{topic_id}/implementation",
        "participation.manage",
        "/api/v1/participation/topics/{in}/implementation",
        ("topic_in", "topic_out"),
        ok=(409,),
        data={"implementation": "done", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/topics/{topic_id}/report-back",
        "participation.manage",
        "/api/v1/participation/topics/{in}/report-back",
        ("topic_in", "topic_out"),
        ok=(409,),
        data={"text": "矩阵反馈", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/topics/{topic_id}/comments/{uid}/remove",
        "participation.manage",
        "/api/v1/participation/topics/{in}/comments/" + MATRIX_COMMENT + "/remove",
        ("topic_in", "topic_out"),
        data={"reason": "矩阵"},
    ),
    _api(
        "GET",
        "/api/v1/participation/proposals",
        "participation.view",
        "/api/v1/participation/proposals?queue=candidates",
    ),
    # Staff without a binding are refused (403 not_a_verified_resident) unless they name
    # the resident (代办); bound residents propose.
    _api(
        "POST",
        "/api/v1/participation/proposals",
        "participation.take_part|participation.assist",
        "/api/v1/participation/proposals",
        ok=(201, 403),
        data={"title": "矩阵提案", "body": "内容"},
    ),
    _api(
        "GET",
        "/api/v1/participation/proposals/{uid}",
        "participation.view",
        "/api/v1/participation/proposals/{in}",
        ("proposal_in", "proposal_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/proposals/{uid}/hide",
        "participation.manage",
        "/api/v1/participation/proposals/{in}/hide",
        ("proposal_in", "proposal_out"),
        data={"reason": "矩阵"},
    ),
    _api(
        "POST",
        "/api/v1/participation/proposals/{uid}/decline",
        "participation.manage",
        "/api/v1/participation/proposals/{in}/decline",
        ("proposal_in", "proposal_out"),
        data={"reason": "矩阵"},
    ),
    _api(
        "POST",
        "/api/v1/participation/proposals/{uid}/include",
        "participation.manage",
        "/api/v1/participation/proposals/{in}/include",
        ("proposal_in", "proposal_out"),
        ok=(409,),
        data={"version": 1},
    ),
    _api(
        "GET",
        "/api/v1/participation/me/topics",
        "participation.take_part",
        "/api/v1/participation/me/topics",
    ),
    _api(
        "GET",
        "/api/v1/participation/me/topics/{topic_id}",
        "participation.take_part",
        "/api/v1/participation/me/topics/{in}",
        ("topic_in", "topic_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/me/topics/{topic_id}/comments",
        "participation.take_part",
        "/api/v1/participation/me/topics/{in}/comments",
        ("topic_in", "topic_out"),
        ok=(201,),
        data={"body": "矩阵评论"},
    ),
    _api(
        "GET",
        "/api/v1/participation/me/proposals",
        "participation.take_part",
        "/api/v1/participation/me/proposals",
    ),
    _api(
        "POST",
        "/api/v1/participation/me/proposals/{uid}/cosign",
        "participation.take_part",
        "/api/v1/participation/me/proposals/{in}/cosign",
        ("proposal_in", "proposal_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/me/proposals/{uid}/submit",
        "participation.take_part",
        "/api/v1/participation/me/proposals/{in}/submit",
        ("own_draft", "draft_out"),
    ),
    # participation: points and the time bank
    Route("participation:points_overview", "GET", "/participation/points/", "participation.view"),
    Route(
        "participation:points_statement",
        "GET",
        "/participation/points/residents/{in}/",
        "participation.view",
        ("resident_in", "resident_out"),
    ),
    Route(
        "participation:points_approvals",
        "GET",
        "/participation/points/approvals/",
        "participation.ledger",
    ),
    Route(
        "participation:points_approval_decide",
        "POST",
        "/participation/points/approvals/{in}/",
        "participation.ledger",
        ("pending_credit_in", "pending_credit_out"),
        ok=(302,),
        data={"decision": "decline", "reason": "矩阵", "version": "1"},
    ),
    Route(
        "participation:points_correct",
        "POST",
        "/participation/points/residents/{in}/correct/",
        "participation.ledger",
        ("resident_in", "resident_out"),
        ok=(302,),
        data={"transaction": "0", "reason": "x"},
    ),
    Route(
        "participation:hours_withdraw",
        "POST",
        "/participation/timebank/residents/{in}/withdraw/",
        "participation.manage",
        ("resident_in", "resident_out"),
        ok=(302,),
        data={"order": "00000000-0000-0000-0000-000000000000", "hours": "1"},
    ),
    Route("participation:catalogue", "GET", "/participation/catalogue/", "participation.view"),
    Route(
        "participation:catalogue_item",
        "POST",
        "/participation/catalogue/{in}/",
        "participation.ledger",
        ("catalogue_item_in", "catalogue_item_out"),
        ok=(302,),
        data={"version": "1", "price": "12", "stock": "5", "active": "on"},
    ),
    Route(
        "participation:redemption_list", "GET", "/participation/redemptions/", "participation.view"
    ),
    Route(
        "participation:redemption_pickup",
        "POST",
        "/participation/redemptions/pickup/",
        "participation.manage",
        ok=(302,),
        data={"code": "00000000"},
    ),
    Route(
        "participation:redemption_cancel",
        "POST",
        "/participation/redemptions/{in}/cancel/",
        "participation.manage",
        ("redemption_in", "redemption_out"),
        ok=(302,),
        data={"version": "1", "reason": "x"},
    ),
    Route("participation:my_points", "GET", "/participation/me/points/", "participation.take_part"),
    Route(
        "participation:my_catalogue",
        "GET",
        "/participation/me/points/catalogue/",
        "participation.take_part",
    ),
    Route(
        "participation:my_redeem",
        "POST",
        "/participation/me/points/redeem/{in}/",
        "participation.take_part",
        ("catalogue_item_in", "catalogue_item_out"),
        ok=(201,),
    ),
    Route(
        "participation:my_timebank", "GET", "/participation/me/timebank/", "participation.take_part"
    ),
    _api(
        "GET",
        "/api/v1/participation/points/me",
        "participation.take_part",
        "/api/v1/participation/points/me",
    ),
    _api(
        "GET",
        "/api/v1/participation/timebank/me",
        "participation.take_part",
        "/api/v1/participation/timebank/me",
    ),
    _api(
        "GET",
        "/api/v1/participation/catalogue/offered",
        "participation.take_part",
        "/api/v1/participation/catalogue/offered",
    ),
    _api(
        "POST",
        "/api/v1/participation/redemptions",
        "participation.take_part",
        "/api/v1/participation/redemptions",
        ("catalogue_item_in", "catalogue_item_out"),
        ok=(201,),
        data={"item": "{in}"},
    ),
    _api(
        "GET",
        "/api/v1/participation/redemptions/mine",
        "participation.take_part",
        "/api/v1/participation/redemptions/mine",
    ),
    _api(
        "POST",
        "/api/v1/participation/timebank/transfers",
        "participation.take_part",
        "/api/v1/participation/timebank/transfers",
        ("family_of_me", "resident_out"),
        ok=(201,),
        data={"to_resident": "{in}", "hours": "0.5"},
    ),
    _api(
        "GET", "/api/v1/participation/points", "participation.view", "/api/v1/participation/points"
    ),
    _api(
        "GET",
        "/api/v1/participation/points/residents/{uid}",
        "participation.view",
        "/api/v1/participation/points/residents/{in}",
        ("resident_in", "resident_out"),
    ),
    _api(
        "GET",
        "/api/v1/participation/timebank/residents/{uid}",
        "participation.view",
        "/api/v1/participation/timebank/residents/{in}",
        ("resident_in", "resident_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/points/credits",
        "participation.ledger",
        "/api/v1/participation/points/credits",
        ("resident_in", "resident_out"),
        ok=(409,),  # the default rules credit votes without approval
        data={"resident": "{in}", "action": "vote_cast", "source": "people.household:1"},
    ),
    _api(
        "POST",
        "/api/v1/participation/points/corrections",
        "participation.ledger",
        "/api/v1/participation/points/corrections",
        ("ledger_txn_in", "ledger_txn_out"),
        ok=(201,),
        data={"transaction": "{in}", "reason": "记错了"},
    ),
    _api(
        "POST",
        "/api/v1/participation/timebank/withdrawals",
        "participation.manage",
        "/api/v1/participation/timebank/withdrawals",
        ("service_order_in", "service_order_out"),
        ok=(409,),  # the order is not completed yet
        data={"order": "{in}", "hours": "1"},
    ),
    _api(
        "GET",
        "/api/v1/participation/catalogue",
        "participation.view",
        "/api/v1/participation/catalogue",
    ),
    _api(
        "POST",
        "/api/v1/participation/catalogue",
        "participation.ledger",
        "/api/v1/participation/catalogue",
        ("c1", "c2"),
        ok=(422,),  # no such resource
        data={
            "org_unit": "{in}",
            "resource": "00000000-0000-0000-0000-000000000000",
            "name": "米油",
            "price": 50,
            "stock": 3,
        },
    ),
    _api(
        "PATCH",
        "/api/v1/participation/catalogue/{uid}",
        "participation.ledger",
        "/api/v1/participation/catalogue/{in}",
        ("catalogue_item_in", "catalogue_item_out"),
        data={"version": 1, "stock": 9},
    ),
    _api(
        "GET",
        "/api/v1/participation/redemptions",
        "participation.view",
        "/api/v1/participation/redemptions",
    ),
    _api(
        "POST",
        "/api/v1/participation/redemptions/pickup",
        "participation.manage",
        "/api/v1/participation/redemptions/pickup",
        ("pickup_code_in", "pickup_code_out"),
        data={"code": "{in}"},
    ),
    _api(
        "GET",
        "/api/v1/participation/points/pending",
        "participation.ledger",
        "/api/v1/participation/points/pending",
    ),
    _api(
        "POST",
        "/api/v1/participation/points/pending/{uid}",
        "participation.ledger",
        "/api/v1/participation/points/pending/{in}",
        ("pending_credit_in", "pending_credit_out"),
        data={"decision": "decline", "reason": "矩阵", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/redemptions/{uid}/cancel",
        "participation.manage",
        "/api/v1/participation/redemptions/{in}/cancel",
        ("redemption_in", "redemption_out"),
        data={"version": 1, "reason": "居民不要了"},
    ),
    # participation: surveys
    Route("participation:survey_list", "GET", "/participation/surveys/", "participation.view"),
    Route(
        "participation:survey_create", "GET", "/participation/surveys/new/", "participation.manage"
    ),
    Route(
        "participation:survey_satisfaction",
        "POST",
        "/participation/surveys/satisfaction/",
        "participation.manage",
        ("c1", "c2"),
        ok=(302,),
        data={"subject_type": "org.orgunit", "subject_id": "{in}"},
    ),
    Route(
        "participation:survey_detail",
        "GET",
        "/participation/surveys/{in}/",
        "participation.view",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:survey_edit",
        "GET",
        "/participation/surveys/{in}/edit/",
        "participation.manage",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:survey_action",
        "POST",
        "/participation/surveys/{in}/action/",
        "participation.manage",
        ("survey_in", "survey_out"),
        ok=(302,),
        data={"action": "nothing"},
    ),
    Route(
        "participation:question_create",
        "GET",
        "/participation/surveys/{in}/questions/new/",
        "participation.manage",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:question_edit",
        "GET",
        "/participation/surveys/{in}/",
        "participation.manage",
        ("survey_question_in", "survey_question_out"),
    ),
    Route(
        "participation:question_action",
        "POST",
        "/participation/surveys/{in}/action/",
        "participation.manage",
        ("survey_question_in", "survey_question_out"),
        ok=(302,),
        data={"action": "up"},
    ),
    Route(
        "participation:survey_results",
        "GET",
        "/participation/surveys/{in}/results/",
        "participation.view",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:survey_export",
        "POST",
        "/participation/surveys/{in}/export/",
        "participation.manage",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:survey_qr",
        "GET",
        "/participation/surveys/{in}/qr.svg",
        "participation.manage",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:assist_list", "GET", "/participation/assist/surveys/", "participation.assist"
    ),
    Route(
        "participation:assist_entry",
        "GET",
        "/participation/assist/surveys/{in}/",
        "participation.assist",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:my_surveys", "GET", "/participation/me/surveys/", "participation.take_part"
    ),
    Route(
        "participation:my_survey_answer",
        "GET",
        "/participation/me/surveys/{in}/",
        "participation.take_part",
        ("survey_in", "survey_out"),
    ),
    Route(
        "participation:my_survey_thanks",
        "GET",
        "/participation/me/surveys/{in}/thanks/",
        "participation.take_part",
        ("survey_in", "survey_out"),
    ),
    # An anonymous survey's open link (H5 / QR code): no account; an unknown link is 404.
    Route(
        "participation:public_survey", "GET", "/participation/s/nope/", None, public_status=(404,)
    ),
    _api(
        "GET",
        "/api/v1/participation/surveys",
        "participation.view",
        "/api/v1/participation/surveys",
    ),
    _api(
        "POST",
        "/api/v1/participation/surveys/satisfaction",
        "participation.manage",
        "/api/v1/participation/surveys/satisfaction",
        ("c1", "c2"),
        ok=(201,),
        data={
            "subject_type": "org.orgunit",
            "subject_id": "{in}",
            "opens_on": "2030-01-01",
            "closes_on": "2030-02-01",
        },
    ),
    _api(
        "POST",
        "/api/v1/participation/surveys",
        "participation.manage",
        "/api/v1/participation/surveys",
        ok=(201,),
        data={
            "unit": "310104003001",
            "title": "矩阵调研",
            "purpose": "needs",
            "opens_on": "2030-01-01",
            "closes_on": "2030-02-01",
        },
    ),
    _api(
        "GET",
        "/api/v1/participation/surveys/{uid}",
        "participation.view",
        "/api/v1/participation/surveys/{in}",
        ("survey_in", "survey_out"),
    ),
    _api(
        "PUT",
        "/api/v1/participation/surveys/{uid}",
        "participation.manage",
        "/api/v1/participation/surveys/{in}",
        ("survey_in", "survey_out"),
        ok=(409,),
        data={
            "title": "改",
            "purpose": "needs",
            "opens_on": "2030-01-01",
            "closes_on": "2030-02-01",
            "version": 1,
        },
    ),
    _api(
        "POST",
        "/api/v1/participation/surveys/{uid}/questions",
        "participation.manage",
        "/api/v1/participation/surveys/{in}/questions",
        ("survey_in", "survey_out"),
        ok=(409,),
        data={"template": "trust"},
    ),
    _api(
        "PUT",
        "/api/v1/participation/surveys/{uid}/questions/{qid}",
        "participation.manage",
        "/api/v1/participation/surveys/{in}",
        ("survey_question_in", "survey_question_out"),
        ok=(409,),
        data={"move": "up"},
    ),
    _api(
        "DELETE",
        "/api/v1/participation/surveys/{uid}/questions/{qid}",
        "participation.manage",
        "/api/v1/participation/surveys/{in}",
        ("survey_question_in", "survey_question_out"),
        ok=(409,),
    ),
    _api(
        "POST",
        "/api/v1/participation/surveys/{uid}/actions",
        "participation.manage",
        "/api/v1/participation/surveys/{in}/actions",
        ("survey_in", "survey_out"),
        ok=(409,),
        data={"action": "close", "version": 999},
    ),
    # A resident's own answer, or one a grid worker enters: empty answers are refused (422).
    _api(
        "POST",
        "/api/v1/participation/surveys/{uid}/responses",
        "participation.take_part|participation.assist",
        "/api/v1/participation/surveys/{in}/responses",
        ("survey_in", "survey_out"),
        ok=(422,),
        data={"answers": {}},
    ),
    _api(
        "GET",
        "/api/v1/participation/surveys/{uid}/results",
        "participation.view",
        "/api/v1/participation/surveys/{in}/results",
        ("survey_in", "survey_out"),
    ),
    # participation: bylaws and the red/black boards
    Route("participation:bylaw_list", "GET", "/participation/bylaws/", "participation.view"),
    Route(
        "participation:bylaw_create", "GET", "/participation/bylaws/new/", "participation.manage"
    ),
    Route(
        "participation:bylaw_edit",
        "GET",
        "/participation/bylaws/{in}/",
        "participation.manage",
        ("bylaw_in", "bylaw_out"),
    ),
    Route("participation:entry_list", "GET", "/participation/compliance/", "participation.view"),
    Route(
        "participation:entry_create",
        "POST",
        "/participation/compliance/new/",
        "participation.manage",
        ("c1", "c2"),
        ok=(400,),
        data={"community": "{in}", "colour": "black", "evidence": ""},
    ),
    Route(
        "participation:entry_detail",
        "GET",
        "/participation/compliance/{in}/",
        "participation.view",
        ("entry_in", "entry_out"),
    ),
    Route(
        "participation:entry_action",
        "POST",
        "/participation/compliance/{in}/action/",
        "participation.manage",
        ("entry_in", "entry_out"),
        ok=(302,),
        data={"action": "remove", "reason": "矩阵", "version": "1"},
    ),
    Route(
        "participation:board_staff",
        "GET",
        "/participation/boards/?community={in}",
        "participation.view",
        ("c1", "c2"),
    ),
    Route(
        "participation:board_publish",
        "POST",
        "/participation/boards/publish/",
        "participation.manage",
        ("c1", "c2"),
        ok=(302,),
        data={"community": "{in}", "period": "2020-01"},
    ),
    Route(
        "participation:board_mine", "GET", "/participation/me/boards/", "participation.take_part"
    ),
    _api(
        "POST",
        "/api/v1/participation/boards/publish",
        "participation.manage",
        "/api/v1/participation/boards/publish",
        ("c1", "c2"),
        data={"community": "{in}", "period": "2020-01"},
    ),
    _api(
        "GET",
        "/api/v1/participation/boards",
        "participation.view",
        "/api/v1/participation/boards?community={in}",
        ("c1", "c2"),
    ),
    _api(
        "GET",
        "/api/v1/participation/me/boards",
        "participation.take_part",
        "/api/v1/participation/me/boards",
    ),
    _api(
        "GET", "/api/v1/participation/bylaws", "participation.view", "/api/v1/participation/bylaws"
    ),
    _api(
        "POST",
        "/api/v1/participation/bylaws",
        "participation.manage",
        "/api/v1/participation/bylaws",
        ("c1", "c2"),
        ok=(201,),
        data={
            "community": "{in}",
            "kind": "charter",
            "title": "居民自治章程",
            "adopted_on": "2026-01-05",
            "articles": [{"number": 1, "title": "议事规则", "text": "每月召开议事会。"}],
        },
    ),
    _api(
        "GET",
        "/api/v1/participation/bylaws/{bylaw_id}",
        "participation.view",
        "/api/v1/participation/bylaws/{in}",
        ("bylaw_in", "bylaw_out"),
    ),
    _api(
        "PUT",
        "/api/v1/participation/bylaws/{bylaw_id}",
        "participation.manage",
        "/api/v1/participation/bylaws/{in}",
        ("bylaw_in", "bylaw_out"),
        data={
            "title": "社区公约",
            "adopted_on": "2026-01-05",
            "articles": [{"number": 1, "title": "垃圾分类", "text": "干湿分开。"}],
            "version": 1,
        },
    ),
    _api(
        "GET",
        "/api/v1/participation/compliance-records",
        "participation.view",
        "/api/v1/participation/compliance-records",
    ),
    _api(
        "POST",
        "/api/v1/participation/compliance-records",
        "participation.manage",
        "/api/v1/participation/compliance-records",
        ("c1", "c2"),
        ok=(422,),
        data={"community": "{in}", "colour": "black", "article": 0, "occurred_on": "2026-01-05"},
    ),
    _api(
        "GET",
        "/api/v1/participation/compliance-records/{uid}",
        "participation.view",
        "/api/v1/participation/compliance-records/{in}",
        ("entry_in", "entry_out"),
    ),
    _api(
        "POST",
        "/api/v1/participation/compliance-records/{uid}/consent",
        "participation.manage",
        "/api/v1/participation/compliance-records/{in}/consent",
        ("entry_in", "entry_out"),
        data={"consent_on": "2026-01-05", "public_name": "甲家", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/participation/compliance-records/{uid}/remove",
        "participation.manage",
        "/api/v1/participation/compliance-records/{in}/remove",
        ("entry_in", "entry_out"),
        data={"reason": "矩阵", "version": 1},
    ),
    # groups (小区群盘点)
    Route("groups:group_list", "GET", "/groups/", "groups.view"),
    Route("groups:my_groups", "GET", "/groups/mine/", "groups.register"),
    Route("groups:group_create", "GET", "/groups/new/", "groups.register"),
    Route("groups:group_detail", "GET", "/groups/{in}/", "groups.view", ("group_in", "group_out")),
    Route(
        "groups:group_edit",
        "GET",
        "/groups/{in}/edit/",
        "groups.register",
        ("group_in", "group_out"),
    ),
    Route(
        "groups:group_action",
        "POST",
        "/groups/{in}/action/",
        "groups.register|groups.approve",
        ("group_in", "group_out"),
        ok=(302,),
        data={"action": "approve", "version": "1"},
    ),
    Route(
        "groups:evidence_add",
        "POST",
        "/groups/{in}/evidence/",
        "groups.register",
        ("group_in", "group_out"),
        ok=(302,),
        data={"item": "has_charter"},
    ),
    Route(
        "groups:evidence_file",
        "GET",
        "/groups/evidence/{in}/",
        "groups.view",
        ("group_evidence_in", "group_evidence_out"),
    ),
    Route(
        "groups:snapshot_form",
        "GET",
        "/groups/{in}/report/",
        "groups.register",
        ("group_in", "group_out"),
    ),
    _api(
        "GET",
        "/api/v1/chat-groups/{uid}/snapshots",
        "groups.view",
        "/api/v1/chat-groups/{in}/snapshots",
        ("group_in", "group_out"),
    ),
    # The matrix's groups wait for approval: the month is refused until then.
    _api(
        "POST",
        "/api/v1/chat-groups/{uid}/snapshots",
        "groups.register",
        "/api/v1/chat-groups/{in}/snapshots",
        ("group_in", "group_out"),
        ok=(409,),
        data={"month": "2026-10", "activity_pct": 60},
    ),
    _api("GET", "/api/v1/snapshots", "groups.view", "/api/v1/snapshots?limit=200"),
    Route("groups:crosscheck_list", "GET", "/groups/cross-checks/", "groups.view"),
    Route(
        "groups:crosscheck_form",
        "GET",
        "/groups/{in}/cross-check/",
        "groups.approve",
        ("group_in", "group_out"),
    ),
    _api(
        "GET",
        "/api/v1/chat-groups/{uid}/cross-checks",
        "groups.view",
        "/api/v1/chat-groups/{in}/cross-checks",
        ("group_in", "group_out"),
    ),
    # The matrix's groups wait for approval: a check is refused until then.
    _api(
        "POST",
        "/api/v1/chat-groups/{uid}/cross-checks",
        "groups.approve",
        "/api/v1/chat-groups/{in}/cross-checks",
        ("group_in", "group_out"),
        ok=(409,),
        data={"quarter": "2026-Q3", "items": []},
    ),
    Route("groups:score_board", "GET", "/groups/scores/", "groups.view"),
    # Scoring a month again is the street's, over its own area.
    Route(
        "groups:score_recompute",
        "POST",
        "/groups/scores/recompute/",
        "groups.supervise",
        ok=(302,),
        data={"month": "2026-10"},
    ),
    Route("groups:rectification_list", "GET", "/groups/rectifications/", "groups.view"),
    Route(
        "groups:rectification_detail",
        "GET",
        "/groups/rectifications/{in}/",
        "groups.view",
        ("group_case_in", "group_case_out"),
    ),
    Route(
        "groups:rectification_action",
        "POST",
        "/groups/rectifications/{in}/action/",
        "groups.register|groups.supervise",
        ("group_case_in", "group_case_out"),
        ok=(302,),
        data={"action": "supervise", "version": "1"},
    ),
    Route(
        "groups:rectification_evidence_add",
        "POST",
        "/groups/rectifications/{in}/evidence/",
        "groups.register",
        ("group_case_in", "group_case_out"),
        ok=(302,),
    ),
    Route(
        "groups:rectification_evidence_file",
        "GET",
        "/groups/rectifications/evidence/{in}/",
        "groups.view",
        ("group_case_evidence_in", "group_case_evidence_out"),
    ),
    _api("GET", "/api/v1/scores", "groups.view", "/api/v1/scores?limit=200"),
    _api(
        "POST",
        "/api/v1/scores/recompute",
        "groups.supervise",
        "/api/v1/scores/recompute",
        data={"month": "2026-10"},
    ),
    _api("GET", "/api/v1/rectifications", "groups.view", "/api/v1/rectifications?limit=200"),
    _api(
        "GET",
        "/api/v1/rectifications/{uid}",
        "groups.view",
        "/api/v1/rectifications/{in}",
        ("group_case_in", "group_case_out"),
    ),
    # Taking a case on is the street's (groups.supervise); the others are refused in scope.
    _api(
        "POST",
        "/api/v1/rectifications/{uid}/actions",
        "groups.register|groups.supervise",
        "/api/v1/rectifications/{in}/actions",
        ("group_case_in", "group_case_out"),
        ok=(200, 403),
        data={"action": "supervise", "version": 1},
    ),
    _api("GET", "/api/v1/chat-groups", "groups.view", "/api/v1/chat-groups?limit=200"),
    # Without a compound served: refused field by field once the permission let it in.
    _api(
        "POST",
        "/api/v1/chat-groups",
        "groups.register",
        "/api/v1/chat-groups",
        ok=(422,),
        data={
            "name": "矩阵群",
            "platform": "wechat",
            "function": "service",
            "manager": "committee",
            "compounds": [],
        },
    ),
    _api(
        "GET",
        "/api/v1/chat-groups/{uid}",
        "groups.view",
        "/api/v1/chat-groups/{in}",
        ("group_in", "group_out"),
    ),
    _api(
        "PUT",
        "/api/v1/chat-groups/{uid}",
        "groups.register",
        "/api/v1/chat-groups/{in}",
        ("group_in", "group_out"),
        ok=(422,),
        data={
            "name": "矩阵群",
            "platform": "wechat",
            "function": "service",
            "manager": "committee",
            "compounds": [],
            "version": 1,
        },
    ),
    _api(
        "POST",
        "/api/v1/chat-groups/{uid}/transitions",
        "groups.register|groups.approve",
        "/api/v1/chat-groups/{in}/transitions",
        ("group_in", "group_out"),
        ok=(200, 403),
        data={"action": "approve", "version": 1},
    ),
    # Chat exports, early warnings, the compound risk index.
    Route("groups:warning_list", "GET", "/groups/warnings/", "groups.view"),
    Route(
        "groups:warning_detail",
        "GET",
        "/groups/warnings/{in}/",
        "groups.view",
        ("group_warning_in", "group_warning_out"),
    ),
    Route(
        "groups:warning_action",
        "POST",
        "/groups/warnings/{in}/action/",
        "groups.register|groups.supervise",
        ("group_warning_in", "group_warning_out"),
        ok=(302,),
        data={"action": "maybe", "version": "1"},
    ),
    Route("groups:risk_list", "GET", "/groups/risk/", "groups.view"),
    Route("groups:collection_plan", "GET", "/groups/collection/", "groups.view"),
    Route(
        "groups:risk_detail",
        "GET",
        "/groups/risk/{in}/",
        "groups.view",
        ("group_compound_in", "group_compound_out"),
    ),
    Route(
        "groups:group_exports",
        "GET",
        "/groups/{in}/exports/",
        "groups.view",
        ("group_in", "group_out"),
    ),
    Route(
        "groups:group_exports_action",
        "POST",
        "/groups/{in}/exports/action/",
        "groups.register",
        ("group_in", "group_out"),
        ok=(302,),
        data={"action": "withdraw"},
    ),
    _api("GET", "/api/v1/warnings", "groups.view", "/api/v1/warnings?limit=200"),
    _api(
        "GET",
        "/api/v1/warnings/{uid}",
        "groups.view",
        "/api/v1/warnings/{in}",
        ("group_warning_in", "group_warning_out"),
    ),
    _api(
        "POST",
        "/api/v1/warnings/{uid}/decision",
        "groups.register|groups.supervise",
        "/api/v1/warnings/{in}/decision",
        ("group_warning_in", "group_warning_out"),
        ok=(422,),
        data={"verdict": "maybe", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/warnings/{uid}/event",
        "groups.register|groups.supervise",
        "/api/v1/warnings/{in}/event",
        ("group_warning_in", "group_warning_out"),
        ok=(409,),
        data={"version": 99},
    ),
    _api(
        "POST",
        "/api/v1/chat-groups/{uid}/consent",
        "groups.register",
        "/api/v1/chat-groups/{in}/consent",
        ("group_in", "group_out"),
        ok=(422,),
        data={"notice": "", "noticed_on": "2026-11-01"},
    ),
    _api(
        "POST",
        "/api/v1/chat-groups/{uid}/consent/withdraw",
        "groups.register",
        "/api/v1/chat-groups/{in}/consent/withdraw",
        ("group_in", "group_out"),
        ok=(409,),
    ),
    _api(
        "GET",
        "/api/v1/chat-groups/{uid}/exports",
        "groups.view",
        "/api/v1/chat-groups/{in}/exports",
        ("group_in", "group_out"),
    ),
    # Without a file: refused once the permission let it in.
    _api(
        "POST",
        "/api/v1/chat-groups/{uid}/exports",
        "groups.register",
        "/api/v1/chat-groups/{in}/exports",
        ("group_in", "group_out"),
        ok=(422,),
    ),
    _api("GET", "/api/v1/compound-risk", "groups.view", "/api/v1/compound-risk?limit=200"),
    _api(
        "GET",
        "/api/v1/chat-groups/collection-plan",
        "groups.view",
        "/api/v1/chat-groups/collection-plan",
    ),
    _api(
        "GET",
        "/api/v1/compound-risk/{compound_id}",
        "groups.view",
        "/api/v1/compound-risk/{in}",
        ("group_compound_in", "group_compound_out"),
    ),
    # Treatments of the classes.
    Route("groups:treatment_list", "GET", "/groups/treatments/", "groups.view"),
    Route(
        "groups:group_treatment_action",
        "POST",
        "/groups/{in}/treatment/",
        "groups.register",
        ("group_in", "group_out"),
        ok=(302,),
        data={"action": "nothing"},
    ),
    _api("GET", "/api/v1/pairings", "groups.view", "/api/v1/pairings?limit=200"),
    _api(
        "POST",
        "/api/v1/pairings",
        "groups.register",
        "/api/v1/pairings",
        ("group_in", "group_out"),
        ok=(422,),
        data={"mentee": "{in}", "mentor": "{in}"},
    ),
    _api(
        "POST",
        "/api/v1/pairings/{uid}/end",
        "groups.register",
        "/api/v1/pairings/{in}/end",
        ("group_pairing_in", "group_pairing_out"),
        ok=(422,),
        data={"outcome": "", "version": 1},
    ),
    _api("GET", "/api/v1/restructure-tasks", "groups.view", "/api/v1/restructure-tasks?limit=200"),
    _api(
        "POST",
        "/api/v1/restructure-tasks/{uid}/done",
        "groups.register",
        "/api/v1/restructure-tasks/{in}/done",
        ("group_task_in", "group_task_out"),
        ok=(422,),
        data={"version": 1},
    ),
    # Residents' feedback on their chat groups.
    Route("groups:resident_groups", "GET", "/groups/resident/", "groups.take_part", ok=(200, 403)),
    Route(
        "groups:resident_feedback",
        "POST",
        "/groups/resident/{in}/",
        "groups.take_part",
        ("group_registered_in", "group_registered_out"),
        ok=(302, 403),
        data={"action": "rate", "stars": "9"},
    ),
    Route("groups:suggestion_list", "GET", "/groups/suggestions/", "groups.view"),
    Route(
        "groups:suggestion_golden",
        "POST",
        "/groups/suggestions/{in}/golden/",
        "groups.register",
        ("group_suggestion_in", "group_suggestion_out"),
        ok=(302,),
        data={"golden": "0"},
    ),
    _api(
        "GET", "/api/v1/my-chat-groups", "groups.take_part", "/api/v1/my-chat-groups", ok=(200, 403)
    ),
    _api(
        "POST",
        "/api/v1/my-chat-groups/{uid}/rating",
        "groups.take_part",
        "/api/v1/my-chat-groups/{in}/rating",
        ("group_registered_in", "group_registered_out"),
        ok=(422, 403),
        data={"stars": 9},
    ),
    _api(
        "POST",
        "/api/v1/my-chat-groups/{uid}/suggestions",
        "groups.take_part",
        "/api/v1/my-chat-groups/{in}/suggestions",
        ("group_registered_in", "group_registered_out"),
        ok=(422, 403),
        data={"text": " "},
    ),
    _api("GET", "/api/v1/suggestions", "groups.view", "/api/v1/suggestions?limit=200"),
    _api(
        "POST",
        "/api/v1/suggestions/{uid}/golden",
        "groups.register",
        "/api/v1/suggestions/{in}/golden",
        ("group_suggestion_in", "group_suggestion_out"),
        data={"golden": False},
    ),
    # groups: the inventory campaign (盘点)
    Route("groups:campaign_list", "GET", "/groups/campaigns/", "groups.view"),
    Route("groups:campaign_create", "GET", "/groups/campaigns/new/", "groups.campaign"),
    Route(
        "groups:campaign_board",
        "GET",
        "/groups/campaigns/{in}/",
        "groups.view",
        ("campaign_in", "campaign_out"),
    ),
    Route(
        "groups:campaign_qr",
        "GET",
        "/groups/campaigns/{in}/qr.svg",
        "groups.view",
        ("campaign_in", "campaign_out"),
    ),
    # An unknown action is refused with a message on the board.
    Route(
        "groups:campaign_action",
        "POST",
        "/groups/campaigns/{in}/action/",
        "groups.campaign|groups.campaign_approve|groups.register",
        ("campaign_in", "campaign_out"),
        ok=(302,),
        data={"action": "nothing"},
    ),
    # The public progress page: only its secret token opens it.
    Route(
        "groups:campaign_public",
        "GET",
        "/groups/progress/not-a-campaign-token-at-all/",
        None,
        public_status=(404,),
    ),
    _api("GET", "/api/v1/campaigns", "groups.view", "/api/v1/campaigns?limit=200"),
    _api(
        "POST",
        "/api/v1/campaigns",
        "groups.campaign",
        "/api/v1/campaigns",
        ok=(422,),
        data={"unit": "", "name": "矩阵盘点", "start_on": "2026-01-05"},
    ),
    _api(
        "GET",
        "/api/v1/campaigns/{uid}",
        "groups.view",
        "/api/v1/campaigns/{in}",
        ("campaign_in", "campaign_out"),
    ),
    _api(
        "GET",
        "/api/v1/campaigns/{uid}/board",
        "groups.view",
        "/api/v1/campaigns/{in}/board",
        ("campaign_in", "campaign_out"),
    ),
    _api(
        "POST",
        "/api/v1/campaigns/{uid}/milestones/{milestone}/done",
        "groups.campaign",
        "/api/v1/campaigns/{in}/done",
        ("campaign_milestone_in", "campaign_milestone_out"),
        ok=(422,),
        data={"evidence_note": "", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/campaigns/{uid}/milestones/{milestone}/extensions",
        "groups.campaign",
        "/api/v1/campaigns/{in}/extensions",
        ("campaign_milestone_in", "campaign_milestone_out"),
        ok=(422,),
        data={"days": 99, "reason": "矩阵"},
    ),
    _api(
        "POST",
        "/api/v1/campaigns/{uid}/extensions/{extension}",
        "groups.campaign_approve",
        "/api/v1/campaigns/{in}",
        ("campaign_extension_in", "campaign_extension_out"),
        ok=(422,),
        data={"decision": "maybe"},
    ),
    _api(
        "POST",
        "/api/v1/campaigns/{uid}/pause",
        "groups.campaign",
        "/api/v1/campaigns/{in}/pause",
        ("campaign_in", "campaign_out"),
        ok=(422,),
        data={"reason": "", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/campaigns/{uid}/resume",
        "groups.campaign",
        "/api/v1/campaigns/{in}/resume",
        ("campaign_in", "campaign_out"),
        ok=(409,),
        data={"version": 1},
    ),
    _api(
        "POST",
        "/api/v1/campaigns/{uid}/daily-reports",
        "groups.register",
        "/api/v1/campaigns/{in}/daily-reports",
        ("campaign_in", "campaign_out"),
        ok=(422,),
        data={"community": "", "note": ""},
    ),
    # operations: emergency supplies
    Route("operations:supply_board", "GET", "/operations/supplies/", "operations.view"),
    Route(
        "operations:store_create", "GET", "/operations/supplies/stores/new/", "operations.manage"
    ),
    Route(
        "operations:store_detail",
        "GET",
        "/operations/supplies/stores/{in}/",
        "operations.view",
        ("operations_store_in", "operations_store_out"),
    ),
    Route(
        "operations:store_check",
        "POST",
        "/operations/supplies/stores/{in}/check/",
        "operations.manage",
        ("operations_store_in", "operations_store_out"),
        ok=(422,),
        data={"reason": "矩阵"},
    ),
    Route(
        "operations:store_receive",
        "POST",
        "/operations/supplies/stores/{in}/receive/",
        "operations.manage",
        ("operations_store_in", "operations_store_out"),
        ok=(302,),
        data={
            "category": "food",
            "quantity": "5",
            "produced_on": "2025-01-01",
            "expires_on": "2030-01-01",
        },
    ),
    Route(
        "operations:store_move",
        "POST",
        "/operations/supplies/stores/{in}/move/",
        "operations.manage",
        ("operations_store_in", "operations_store_out"),
        ok=(302,),
        data={"kind": "out", "category": "food", "quantity": "1"},
    ),
    _api(
        "GET",
        "/api/v1/operations/supply-categories",
        "operations.view",
        "/api/v1/operations/supply-categories",
    ),
    _api("GET", "/api/v1/operations/stores", "operations.view", "/api/v1/operations/stores"),
    _api(
        "POST",
        "/api/v1/operations/stores",
        "operations.manage",
        "/api/v1/operations/stores",
        ("c1", "c2"),
        ok=(201,),
        data={
            "name": "矩阵储备点",
            "tier": "community",
            "org_unit": "{in}",
            "lon": 121.4,
            "lat": 31.2,
            "keeper_name": "矩阵",
        },
    ),
    _api(
        "GET",
        "/api/v1/operations/stores/{uid}",
        "operations.view",
        "/api/v1/operations/stores/{in}",
        ("operations_store_in", "operations_store_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/stores/{uid}/batches",
        "operations.manage",
        "/api/v1/operations/stores/{in}/batches",
        ("operations_store_in", "operations_store_out"),
        ok=(201,),
        data={
            "category": "water",
            "quantity": 5,
            "produced_on": "2025-01-01",
            "expires_on": "2030-01-01",
        },
    ),
    _api(
        "GET",
        "/api/v1/operations/stores/{uid}/movements",
        "operations.view",
        "/api/v1/operations/stores/{in}/movements",
        ("operations_store_in", "operations_store_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/stores/{uid}/movements",
        "operations.manage",
        "/api/v1/operations/stores/{in}/movements",
        ("operations_store_in", "operations_store_out"),
        ok=(201,),
        data={"kind": "out", "category": "food", "quantity": 1},
    ),
    _api(
        "POST",
        "/api/v1/operations/stores/{uid}/checks",
        "operations.manage",
        "/api/v1/operations/stores/{in}/checks",
        ("operations_store_in", "operations_store_out"),
        ok=(422,),
        data={"counts": {}, "reason": "矩阵"},
    ),
    _api("GET", "/api/v1/operations/coverage", "operations.view", "/api/v1/operations/coverage"),
    _api(
        "GET", "/api/v1/operations/near-expiry", "operations.view", "/api/v1/operations/near-expiry"
    ),
    Route(
        "operations:transfer_suggest",
        "GET",
        "/operations/supplies/transfers/?store={in}&category=food",
        "operations.view",
        ("operations_store_in", "operations_store_out"),
    ),
    Route("operations:dispatch_list", "GET", "/operations/supplies/dispatches/", "operations.view"),
    Route(
        "operations:dispatch_create",
        "POST",
        "/operations/supplies/dispatches/new/",
        "operations.manage",
        ("operations_store_in", "operations_store_out"),
        ok=(302,),
        data={
            "from_store": "{in}",
            "to_store": "{in}",
            "category": "food",
            "quantity": "1",
        },
    ),
    Route(
        "operations:dispatch_receive",
        "POST",
        "/operations/supplies/dispatches/{in}/receive/",
        "operations.manage",
        ("operations_dispatch_in", "operations_dispatch_out"),
        ok=(302,),
        data={"version": "1"},
    ),
    _api(
        "GET",
        "/api/v1/operations/transfer-suggestions",
        "operations.view",
        "/api/v1/operations/transfer-suggestions?category=food&store={in}",
        ("operations_store_in", "operations_store_out"),
    ),
    _api(
        "GET", "/api/v1/operations/dispatches", "operations.view", "/api/v1/operations/dispatches"
    ),
    _api(
        "POST",
        "/api/v1/operations/dispatches",
        "operations.manage",
        "/api/v1/operations/dispatches",
        ("operations_store_in", "operations_store_out"),
        ok=(422,),
        data={"from_store": "{in}", "to_store": "{in}", "category": "food", "quantity": 1},
    ),
    _api(
        "POST",
        "/api/v1/operations/dispatches/{uid}/receive",
        "operations.manage",
        "/api/v1/operations/dispatches/{in}/receive",
        ("operations_dispatch_in", "operations_dispatch_out"),
        ok=(200,),
        data={"version": 1},
    ),
    # operations: smart devices
    Route("operations:device_board", "GET", "/operations/devices/", "operations.view"),
    Route("operations:device_create", "GET", "/operations/devices/new/", "operations.manage"),
    Route("operations:ticket_list", "GET", "/operations/devices/repairs/", "operations.view"),
    Route("operations:alarm_list", "GET", "/operations/devices/alarms/", "operations.view"),
    Route(
        "operations:device_detail",
        "GET",
        "/operations/devices/{in}/",
        "operations.view",
        ("operations_device_in", "operations_device_out"),
    ),
    Route(
        "operations:device_action",
        "POST",
        "/operations/devices/{in}/action/",
        "operations.view",
        ("operations_device_in", "operations_device_out"),
        ok=(302,),
        data={"action": "report_fault", "version": "2", "note": "矩阵"},
    ),
    Route(
        "operations:ticket_action",
        "POST",
        "/operations/devices/repairs/{in}/",
        "operations.maintain",
        ("operations_ticket_in", "operations_ticket_out"),
        ok=(302,),
        data={"action": "start", "version": "1"},
    ),
    Route(
        "operations:alarm_verdict",
        "POST",
        "/operations/devices/alarms/{in}/",
        "operations.maintain",
        ("operations_alarm_in", "operations_alarm_out"),
        ok=(302,),
        data={"verdict": "false"},
    ),
    _api(
        "GET",
        "/api/v1/operations/device-types",
        "operations.view",
        "/api/v1/operations/device-types",
    ),
    _api("GET", "/api/v1/operations/devices", "operations.view", "/api/v1/operations/devices"),
    _api(
        "POST",
        "/api/v1/operations/devices",
        "operations.manage",
        "/api/v1/operations/devices",
        ("g1a", "g2a"),
        ok=(201,),
        data={
            "code": "matrix-new",
            "kind": "smoke",
            "grid": "{in}",
            "lon": 121.405,
            "lat": 31.205,
            "installer": "矩阵",
            "installed_on": "2025-01-01",
            "keeper_name": "矩阵",
        },
    ),
    _api(
        "GET",
        "/api/v1/operations/devices/board",
        "operations.view",
        "/api/v1/operations/devices/board",
    ),
    _api(
        "GET",
        "/api/v1/operations/devices/{uid}",
        "operations.view",
        "/api/v1/operations/devices/{in}",
        ("operations_device_in", "operations_device_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/devices/{uid}/actions",
        "operations.view",
        "/api/v1/operations/devices/{in}/actions",
        ("operations_device_in", "operations_device_out"),
        data={"action": "report_fault", "version": 2, "note": "矩阵"},
    ),
    _api(
        "GET",
        "/api/v1/operations/repair-tickets",
        "operations.view",
        "/api/v1/operations/repair-tickets",
    ),
    _api(
        "POST",
        "/api/v1/operations/repair-tickets/{uid}/actions",
        "operations.maintain",
        "/api/v1/operations/repair-tickets/{in}/actions",
        ("operations_ticket_in", "operations_ticket_out"),
        data={"action": "start", "version": 1},
    ),
    _api(
        "GET",
        "/api/v1/operations/device-alarms",
        "operations.view",
        "/api/v1/operations/device-alarms",
    ),
    _api(
        "POST",
        "/api/v1/operations/device-alarms/{uid}/verdict",
        "operations.maintain",
        "/api/v1/operations/device-alarms/{in}/verdict",
        ("operations_alarm_in", "operations_alarm_out"),
        data={"is_true": False},
    ),
    # operations: service facilities
    Route("operations:facility_board", "GET", "/operations/facilities/", "operations.view"),
    Route("operations:facility_create", "GET", "/operations/facilities/new/", "operations.manage"),
    Route(
        "operations:facility_detail",
        "GET",
        "/operations/facilities/{in}/",
        "operations.view",
        ("operations_facility_in", "operations_facility_out"),
    ),
    Route(
        "operations:space_create",
        "POST",
        "/operations/facilities/{in}/spaces/",
        "operations.manage",
        ("operations_facility_in", "operations_facility_out"),
        ok=(302,),
        data={"name": "矩阵室", "capacity": "10", "day_1": "09:00-10:00"},
    ),
    Route(
        "operations:space_use",
        "POST",
        "/operations/facilities/spaces/{in}/use/",
        "operations.manage",
        ("operations_space_in", "operations_space_out"),
        ok=(422,),
        data={"used_on": "2099-01-01", "hours": "1", "attendees": "1"},
    ),
    Route(
        "operations:task_close",
        "POST",
        "/operations/facilities/tasks/{in}/close/",
        "operations.manage",
        ("operations_adjust_in", "operations_adjust_out"),
        ok=(302,),
        data={"version": "1", "note": "矩阵"},
    ),
    _api(
        "GET",
        "/api/v1/operations/facility-kinds",
        "operations.view",
        "/api/v1/operations/facility-kinds",
    ),
    _api(
        "GET", "/api/v1/operations/facilities", "operations.view", "/api/v1/operations/facilities"
    ),
    _api(
        "POST",
        "/api/v1/operations/facilities",
        "operations.manage",
        "/api/v1/operations/facilities",
        ok=(201, 404),
        data={
            "name": "矩阵中心",
            "kind": "service_centre",
            "lon": 121.405,
            "lat": 31.205,
            "owner_department": "矩阵",
        },
    ),
    _api(
        "GET",
        "/api/v1/operations/facilities/circle",
        "operations.view",
        "/api/v1/operations/facilities/circle",
    ),
    _api(
        "GET",
        "/api/v1/operations/facilities/{uid}",
        "operations.view",
        "/api/v1/operations/facilities/{in}",
        ("operations_facility_in", "operations_facility_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/facilities/{uid}/spaces",
        "operations.manage",
        "/api/v1/operations/facilities/{in}/spaces",
        ("operations_facility_in", "operations_facility_out"),
        ok=(201,),
        data={"name": "矩阵室", "capacity": 10, "schedule": {"1": [["09:00", "10:00"]]}},
    ),
    _api(
        "GET",
        "/api/v1/operations/facilities/{uid}/utilisation",
        "operations.view",
        "/api/v1/operations/facilities/{in}/utilisation",
        ("operations_facility_in", "operations_facility_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/facility-spaces/{uid}/uses",
        "operations.manage",
        "/api/v1/operations/facility-spaces/{in}/uses",
        ("operations_space_in", "operations_space_out"),
        ok=(422,),
        data={"used_on": "2099-01-01", "hours": 1, "attendees": 1},
    ),
    _api(
        "GET",
        "/api/v1/operations/facility-tasks",
        "operations.view",
        "/api/v1/operations/facility-tasks",
    ),
    _api(
        "POST",
        "/api/v1/operations/facility-tasks/{uid}/close",
        "operations.manage",
        "/api/v1/operations/facility-tasks/{in}/close",
        ("operations_adjust_in", "operations_adjust_out"),
        data={"version": 1, "note": "矩阵"},
    ),
    # operations: grid service models
    Route("operations:model_list", "GET", "/operations/services/", "operations.view"),
    Route("operations:model_create", "GET", "/operations/services/new/", "operations.manage"),
    Route(
        "operations:model_detail",
        "GET",
        "/operations/services/{in}/",
        "operations.view",
        ("operations_model_in", "operations_model_out"),
    ),
    Route(
        "operations:model_item",
        "POST",
        "/operations/services/{in}/items/",
        "operations.manage",
        ("operations_model_in", "operations_model_out"),
        ok=(302,),
        data={"name": "矩阵项目", "fee_yuan": "0"},
    ),
    Route(
        "operations:model_status",
        "POST",
        "/operations/services/{in}/status/",
        "operations.manage",
        ("operations_model_in", "operations_model_out"),
        ok=(302,),
        data={"status": "active", "version": "1"},
    ),
    Route(
        "operations:grid_catalogue",
        "GET",
        "/operations/services/grids/{in}/",
        "operations.view",
        ("g1a", "g2a"),
    ),
    Route(
        "operations:day_create",
        "POST",
        "/operations/services/days/",
        "operations.manage",
        ("g1a", "g2a"),
        ok=(302,),
        data={"grid": "{in}", "held_on": "2025-01-01", "title": "矩阵", "attendance": "3"},
    ),
    _api(
        "GET",
        "/api/v1/operations/service-model-kinds",
        "operations.view",
        "/api/v1/operations/service-model-kinds",
    ),
    _api(
        "GET",
        "/api/v1/operations/service-models",
        "operations.view",
        "/api/v1/operations/service-models",
    ),
    _api(
        "POST",
        "/api/v1/operations/service-models",
        "operations.manage",
        "/api/v1/operations/service-models",
        ("c1", "c2"),
        ok=(422,),  # no grid named: refused after the scope check
        data={
            "name": "矩阵模式",
            "kind": "property",
            "service_type": "basic",
            "owner": "{in}",
            "grids": [],
        },
    ),
    _api(
        "GET",
        "/api/v1/operations/service-models/{uid}",
        "operations.view",
        "/api/v1/operations/service-models/{in}",
        ("operations_model_in", "operations_model_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/service-models/{uid}/status",
        "operations.manage",
        "/api/v1/operations/service-models/{in}/status",
        ("operations_model_in", "operations_model_out"),
        data={"status": "active", "version": 1},
    ),
    _api(
        "POST",
        "/api/v1/operations/service-models/{uid}/items",
        "operations.manage",
        "/api/v1/operations/service-models/{in}/items",
        ("operations_model_in", "operations_model_out"),
        ok=(201,),
        data={"name": "矩阵项目"},
    ),
    _api(
        "GET",
        "/api/v1/operations/grids/{code}/catalogue",
        "operations.view",
        "/api/v1/operations/grids/{in}/catalogue",
        ("g1a", "g2a"),
    ),
    _api(
        "GET",
        "/api/v1/operations/service-days",
        "operations.view",
        "/api/v1/operations/service-days",
    ),
    _api(
        "POST",
        "/api/v1/operations/service-days",
        "operations.manage",
        "/api/v1/operations/service-days",
        ("g1a", "g2a"),
        ok=(201,),
        data={"grid": "{in}", "held_on": "2025-01-01", "title": "矩阵", "attendance": 3},
    ),
    # operations: grid workforce
    Route("operations:worker_list", "GET", "/operations/workforce/", "operations.view"),
    Route(
        "operations:worker_detail",
        "GET",
        "/operations/workforce/{in}/",
        "operations.view",
        ("operations_worker_in", "operations_worker_out"),
    ),
    Route(
        "operations:worker_profile",
        "POST",
        "/operations/workforce/{in}/profile/",
        "operations.manage",
        ("operations_worker_in", "operations_worker_out"),
        ok=(302,),
        data={"grade": "junior", "education": "college", "hire_date": "2024-01-01"},
    ),
    Route(
        "operations:worker_certificate",
        "POST",
        "/operations/workforce/{in}/certificates/",
        "operations.manage",
        ("operations_worker_in", "operations_worker_out"),
        ok=(302,),
        data={"name": "矩阵证书", "issued_on": "2024-01-01"},
    ),
    Route(
        "operations:worker_training",
        "POST",
        "/operations/workforce/{in}/trainings/",
        "operations.manage",
        ("operations_worker_in", "operations_worker_out"),
        ok=(302,),
        data={"course": "矩阵", "category": "legal", "hours": "2", "held_on": "2024-01-01"},
    ),
    _api(
        "GET",
        "/api/v1/operations/workforce/training-categories",
        "operations.view",
        "/api/v1/operations/workforce/training-categories",
    ),
    _api(
        "GET",
        "/api/v1/operations/workforce/workers",
        "operations.view",
        "/api/v1/operations/workforce/workers",
    ),
    _api(
        "GET",
        "/api/v1/operations/workforce/workers/{user_id}",
        "operations.view",
        "/api/v1/operations/workforce/workers/{in}",
        ("operations_worker_in", "operations_worker_out"),
    ),
    _api(
        "POST",
        "/api/v1/operations/workforce/workers/{user_id}/profile",
        "operations.manage",
        "/api/v1/operations/workforce/workers/{in}/profile",
        ("operations_worker_in", "operations_worker_out"),
        data={"grade": "junior", "education": "college", "hire_date": "2024-01-01"},
    ),
    _api(
        "POST",
        "/api/v1/operations/workforce/workers/{user_id}/certificates",
        "operations.manage",
        "/api/v1/operations/workforce/workers/{in}/certificates",
        ("operations_worker_in", "operations_worker_out"),
        ok=(201,),
        data={"name": "矩阵证书", "issued_on": "2024-01-01"},
    ),
    _api(
        "POST",
        "/api/v1/operations/workforce/workers/{user_id}/trainings",
        "operations.manage",
        "/api/v1/operations/workforce/workers/{in}/trainings",
        ("operations_worker_in", "operations_worker_out"),
        ok=(201,),
        data={"course": "矩阵", "category": "legal", "hours": 2, "held_on": "2024-01-01"},
    ),
]


# Discovery ----------------------------------------------------------------------


def _django_routes():
    found = {}

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "api":
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                found[f"{namespace}{p.name}"] = p.callback

    walk(get_resolver().url_patterns)
    return found


def _api_operations():
    from gridgov.api import api

    found = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    full = "/api/v1" + (prefix.rstrip("/") + "/" + path.lstrip("/")).replace(
                        "//", "/"
                    )
                    found[f"api:{method} {full.rstrip('/') or '/'}"] = operation.view_func
    found["api:GET /api/v1/openapi.json"] = None
    found["api:GET /api/v1/docs"] = None
    return found


def test_every_view_declares_its_permission():
    undeclared = [
        name for name, view in _django_routes().items() if not hasattr(view, "required_permission")
    ]
    assert not undeclared, f"views without @requires/@public: {undeclared}"
    for name, func in _api_operations().items():
        if func is not None:
            assert hasattr(func, "required_permission"), f"{name} lacks @api_requires"


def test_every_route_is_in_the_matrix():
    known = {r.name for r in ROUTES}
    missing = (set(_django_routes()) | set(_api_operations())) - known
    assert not missing, f"routes missing from the permission matrix: {sorted(missing)}"
    stale = known - set(_django_routes()) - set(_api_operations())
    assert not stale, f"matrix entries for routes that no longer exist: {sorted(stale)}"


def test_declared_permissions_match_the_matrix():
    declared = {
        **{k: getattr(v, "required_permission", None) for k, v in _django_routes().items()},
        **{
            k: getattr(v, "required_permission", None)
            for k, v in _api_operations().items()
            if v is not None
        },
    }
    for route in ROUTES:
        if route.name in declared:
            assert declared[route.name] == route.permission, route.name


# The matrix --------------------------------------------------------------------


@pytest.fixture(scope="module")
def _built_world(module_db):
    """The matrix's world, built once for the module (each test's writes are rolled back)."""
    from conftest import (
        build_org_tree,
        new_user,
        seed_default_catalogues,
        settle_deferred_constraints,
    )
    from gridgov.accounts.services import token_create

    seed_default_catalogues()
    org_tree = build_org_tree()
    users = {
        role: new_user(role, org_tree[key], username=f"m_{role}")
        for role, key in ROLE_SCOPES.items()
    }
    outsider = new_user(Role.DISTRICT_STAFF, org_tree["d2"], username="leak_canary")
    objects = {k: v.code for k, v in org_tree.items()}
    objects["user_in"] = str(users[Role.GRID_WORKER].pk)
    objects["user_out"] = str(outsider.pk)
    other_token, _ = token_create(user=outsider, name="x")
    objects["other_token"] = str(other_token.pk)
    objects["lon_g1a"], objects["lon_g2a"] = "121.405", "121.505"
    # The visit indicator catalogue is one for the platform: "out" is a code that does not exist.
    objects["indicator"], objects["no_indicator"] = "B01", "NOPE1"
    objects["indicator_category"], objects["no_indicator_category"] = "basic", "nope"
    objects.update(_people_objects(org_tree, users, outsider))
    objects.update(_event_objects(org_tree, users, outsider))
    objects.update(_visit_objects(org_tree, users, outsider, objects))
    objects.update(_list_objects(org_tree, users, outsider, objects))
    objects.update(_volunteer_objects(org_tree, users, outsider, objects))
    objects.update(_participation_objects(org_tree, users, outsider))
    objects.update(_vote_objects(org_tree, users, outsider))
    objects.update(_ledger_objects(org_tree, users, outsider, objects))
    objects.update(_survey_objects(org_tree, users, outsider))
    objects.update(_board_objects(org_tree, users, outsider, objects))
    objects.update(_groups_objects(org_tree, users, outsider))
    objects.update(_operations_objects(org_tree, users, outsider))
    settle_deferred_constraints()
    return {role: user.pk for role, user in users.items()}, objects


@pytest.fixture
def world(db, _built_world):
    """Users fresh from the database for each test (no state carried in memory)."""
    from gridgov.accounts.models import User

    user_ids, objects = _built_world
    by_pk = User.objects.in_bulk(user_ids.values())
    return {role: by_pk[pk] for role, pk in user_ids.items()}, dict(objects)


def _visit_objects(org_tree, users, outsider, objects) -> dict[str, str]:
    """In g1a and in g2a: a visit waiting for review, a visit passed with a registry
    conflict, a visit task and a spot check (reviewed by someone outside the matrix's roles,
    so every role holding the permission may check), and a photo on the waiting visit."""
    import io
    import uuid
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from PIL import Image

    from gridgov.people.models import Household
    from gridgov.people.services import resident_create, resident_update
    from gridgov.visits import services
    from gridgov.visits.models import Correction

    out = {}
    now = timezone.now()
    for key, collector, reviewer_unit in [
        ("in", users[Role.GRID_WORKER], "c1"),
        ("out", outsider, "c2"),
    ]:
        from gridgov.accounts.models import Membership, User

        reviewer = User.objects.create(username=f"reviewer_{key}", must_change_password=False)
        Membership.objects.create(
            user=reviewer, role=Role.COMMUNITY_STAFF, org_unit=org_tree[reviewer_unit]
        )
        # A member of its own: the visit's registry changes move this resident's version,
        # not the one the residents' routes send.
        household = Household.objects.get(uid=objects[f"household_{key}"])
        resident = resident_create(
            actor=reviewer,
            household=household,
            data={
                "name": f"走访{key}",
                "id_type": "none",
                "sex": "M",
                "birth_date": "1972-03-03",
                "phone": "13912340000",
                "relation": "spouse",
                "registration": "permanent",
            },
        )

        def submit(corrections=(), household=household, resident=resident, collector=collector):
            return services.visit_submit(
                actor=collector,
                data=services.VisitInput(
                    client_uuid=str(uuid.uuid4()),
                    household=str(household.uid),
                    outcome="partial",
                    started_at=(now - timedelta(hours=1)).isoformat(),
                    ended_at=(now - timedelta(minutes=30)).isoformat(),
                    versions={str(household.uid): 1, str(resident.uid): resident.version},
                    answers={"B01": 1},
                    corrections=list(corrections),
                ),
            )[0]

        waiting = submit()
        passed = submit([{"resident": str(resident.uid), "field": "phone", "value": "13700001111"}])
        resident_update(
            actor=reviewer,
            resident=resident,
            data={"phone": "13600002222"},
            expected_version=resident.version,
        )
        services.visit_review(actor=reviewer, visit=passed, decision="pass", version=1)
        task = services.task_create(actor=reviewer, household=household, due_date=now.date())
        draw = services.spot_check_draw(
            actor=reviewer,
            community=org_tree[reviewer_unit],
            # The month the visits ended in (local time): just after midnight on the 1st
            # they ended in the month before.
            period_label=timezone.localtime(now - timedelta(minutes=30)).strftime("%Y-%m"),
        )
        photo = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(photo, "JPEG")
        attachment = services.visit_attach(
            actor=collector,
            visit=waiting,
            files=[SimpleUploadedFile("v.jpg", photo.getvalue(), content_type="image/jpeg")],
        )[0]
        out[f"attachment_{key}"] = str(attachment.uid)
        out[f"visit_attachment_{key}"] = f"{waiting.uid}/attachments/{attachment.uid}"
        out[f"visit_{key}"] = str(waiting.uid)
        out[f"conflict_{key}"] = str(
            Correction.objects.get(visit=passed, status=Correction.Status.CONFLICT).uid
        )
        out[f"visit_task_{key}"] = str(task.uid)
        out[f"spot_check_{key}"] = str(draw.checks.get().uid)
    out["period"] = timezone.localdate().strftime("%Y-%m")
    return out


def _list_objects(org_tree, users, outsider, objects) -> dict[str, str]:
    """In c1/g1a and in c2/g2a: a resource, a need of the household matched to it and its
    service order waiting for acceptance, a matching proposal, a project, and the resource
    bookable, with a booking tomorrow."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from gridgov.lists import matching_services, project_services, services
    from gridgov.lists.booking_services import BookingInput, booking_create, space_save
    from gridgov.people.models import Household

    tomorrow_nine = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), time(9))
    )

    out = {}
    for key, community, actor in [
        ("in", "c1", users[Role.COMMUNITY_STAFF]),
        ("out", "c2", outsider),
    ]:
        resource = services.resource_create(
            actor=actor,
            data={
                "name": f"助餐{key}",
                "resource_class": "government",
                "provider_kind": "department",
                "provider_name": "民政",
                "categories": ["meals"],
                "owner": org_tree[community].code,
                "capacity": 5,
                "area_paths": [org_tree[community].code],
            },
        )
        household = Household.objects.get(uid=objects[f"household_{key}"])
        need, _merged = services.need_register(
            actor=actor,
            data=services.NeedInput(household=str(household.uid), category="meals", text="午餐"),
        )
        need = services.need_transition(
            actor=actor, need=need, action="start_matching", version=need.version
        )
        order = services.order_dispatch(
            actor=actor, need=need, resource_uid=resource.uid, version=need.version
        )
        if key == "in":
            # The matrix's provider account operates the in-scope resource.
            services.operator_add(
                actor=actor, resource=resource, username=users[Role.SERVICE_PROVIDER].username
            )
        out[f"resource_{key}"] = str(resource.uid)
        out[f"need_{key}"] = str(need.uid)
        # The resource is bookable too; a booking by the grid worker (in) or the outsider.
        booker = users[Role.GRID_WORKER] if key == "in" else outsider
        space_save(
            actor=actor,
            resource=resource,
            data={
                "schedule": {str(d): "08:00-20:00" for d in range(7)},
                "slot_minutes": 60,
                "capacity_people": 10,
            },
        )
        booking = booking_create(
            actor=booker,
            data=BookingInput(
                resource=resource.uid,
                start=tomorrow_nine,
                purpose="矩阵预约",
                applicant_name="矩阵",
            ),
        )
        out[f"booking_{key}"] = str(booking.uid)
        out[f"service_order_{key}"] = str(order.uid)
        # A matching proposal over a second need of the household, waiting for a decision.
        services.resource_create(
            actor=actor,
            data={
                "name": f"健康{key}",
                "resource_class": "volunteer",
                "provider_kind": "volunteer_team",
                "provider_name": "义诊队",
                "categories": ["health"],
                "owner": org_tree[community].code,
                "capacity": 5,
                "area_paths": [org_tree[community].code],
            },
        )
        health, _merged = services.need_register(
            actor=actor,
            data=services.NeedInput(household=str(household.uid), category="health", text="体检"),
        )
        services.need_transition(
            actor=actor, need=health, action="start_matching", version=health.version
        )
        proposal = matching_services.propose(actor=actor, unit=org_tree[community].code)
        row = proposal.rows.get(need=health)
        out[f"match_{key}"] = str(proposal.uid)
        out[f"match_row_{key}"] = f"{proposal.uid}/rows/{row.uid}"
        project = project_services.project_create(
            actor=actor,
            data={
                "name": f"项目{key}",
                "service_line": "culture",
                # A grid's project: every role reading lists in g1a sees it.
                "sponsor": org_tree["g1a" if key == "in" else "g2a"].code,
                "budget": "1000",
            },
        )
        out[f"project_{key}"] = str(project.uid)
    return out


def _volunteer_objects(org_tree, users, outsider, objects) -> dict[str, str]:
    """The matrix's volunteer and resident accounts bound to residents of g1a and
    registered as volunteers; an activity with a shift next week that
    names the resident as the person served (activities of g1a and g2a); each matrix volunteer signed up for it, and a
    volunteer of c2 signed up for the c2 shift."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.participation import services_volunteers as volunteers
    from gridgov.people import services as people
    from gridgov.people.models import Resident
    from gridgov.residents.services import bind_account

    staff = users[Role.COMMUNITY_STAFF]
    out: dict[str, str] = {}

    def resident(actor, grid, name, number):
        household = people.household_create(
            actor=actor, grid=org_tree[grid], number=number, address=f"{name}家", kind="family"
        )
        return people.resident_create(
            actor=actor,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "M",
                "birth_date": "1985-03-03",
                "relation": "head",
                "registration": "permanent",
            },
        )

    accounts = {}
    for role, name, number in [(Role.VOLUNTEER, "志愿甲", "V1"), (Role.RESIDENT, "居民乙", "V2")]:
        person = resident(staff, "g1a", name, number)
        bind_account(staff, user=users[role], resident=person)
        accounts[role] = volunteers.register_volunteer(actor=users[role], data={})
    served = Resident.objects.get(account__user=users[Role.RESIDENT])
    in_volunteer = volunteers.register_volunteer(
        actor=staff, resident_uid=objects["resident_in"], data={}
    )
    out_volunteer = volunteers.register_volunteer(
        actor=outsider, resident_uid=objects["resident_out"], data={}
    )
    start = timezone.now() + timedelta(days=7)
    for key, actor, unit, lon, volunteer, signers in [
        ("in", staff, "g1a", 121.405, in_volunteer, [Role.VOLUNTEER, Role.RESIDENT]),
        ("out", outsider, "g2a", 121.505, out_volunteer, []),
    ]:
        activity = volunteers.activity_create(
            actor=actor,
            data={
                "org_unit": org_tree[unit].code,
                "title": f"矩阵活动{key}",
                "place": "活动室",
                "lon": lon,
                "lat": 31.205,
            },
        )
        shift = volunteers.shift_create(
            actor=actor,
            activity=activity,
            data={
                "start": start,
                "end": start + timedelta(hours=2),
                "slots": 10,
                "recipient": served.uid if key == "in" else None,
            },
        )
        record = volunteers.sign_up(actor=actor, shift=shift, volunteer=volunteer)
        out[f"volunteer_{key}"] = str(volunteer.uid)
        out[f"activity_{key}"] = str(activity.uid)
        out[f"shift_{key}"] = str(shift.uid)
        out[f"shift_record_{key}"] = str(record.uid)
        for role in signers:
            mine = volunteers.sign_up(actor=users[role], shift=shift)
            out[f"shift_record_{role}"] = str(mine.uid)
        if key == "in":
            # A second shift serving the matrix volunteer, with the resident signed up.
            other = volunteers.shift_create(
                actor=staff,
                activity=activity,
                data={
                    "start": start,
                    "end": start + timedelta(hours=1),
                    "slots": 2,
                    "recipient": accounts[Role.VOLUNTEER].resident.uid,
                },
            )
            record = volunteers.sign_up(actor=users[Role.RESIDENT], shift=other)
            out["shift_record_served_by_volunteer"] = str(record.uid)
    return out


def _vote_objects(org_tree, users, outsider) -> dict[str, str]:
    """In g1a and in g2a: a topic put to an open vote (its electorate the adult resident of
    the people objects), with a paper ballot sheet waiting for its check."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.participation import services_votes
    from gridgov.participation.models import Topic
    from gridgov.participation.workflow import move_topic

    out = {}
    for key, community, actor in [
        ("in", "g1a", users[Role.COMMUNITY_STAFF]),
        ("out", "g2a", outsider),
    ]:
        topic = Topic.objects.create(
            org_unit=org_tree[community], title=f"表决{key}", source="committee", created_by=actor
        )
        topic = move_topic(actor=actor, topic=topic, action="select", version=1)
        vote = services_votes.vote_create(
            actor=actor,
            topic=topic,
            data={
                "question": f"表决{key}",
                "options": ["同意", "不同意"],
                "method": "both",
                "closes_at": timezone.now() + timedelta(days=30),
            },
        )
        vote = services_votes.vote_open(actor=actor, vote=vote, version=vote.version)
        sheet = services_votes.paper_enter(actor=actor, vote=vote, choice=0)
        out[f"vote_topic_{key}"] = str(topic.pk)
        out[f"vote_{key}"] = str(vote.uid)
        out[f"paper_{key}"] = f"{vote.uid}/paper-ballots/{sheet.pk}"
    return out


def _event_objects(org_tree, users, outsider) -> dict[str, str]:
    """An event in g1a given to a department (so its handler sees it too), one in d2."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from gridgov.events.models import Category, Department
    from gridgov.events.services import ReportInput, report_event, transition

    department = Department.objects.create(district=org_tree["d1"], code="M", name="矩阵部门")
    department.members.add(users[Role.DEPARTMENT_HANDLER])
    objects = {"category": str(Category.objects.get(code="06010").pk), "no_category": "999999"}
    for key, lon, actor in [
        ("in", 121.405, users[Role.COMMUNITY_STAFF]),
        ("out", 121.505, outsider),
    ]:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
        photo = SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")
        event, _ = report_event(
            actor=None,
            data=ReportInput(
                channel="resident",
                title="矩阵事件",
                lon=lon,
                lat=31.205,
                contact_phone="13912345678",
                photos=[photo],
            ),
        )
        transition(actor=actor, event=event, action="accept")
        transition(actor=actor, event=event, action="classify", category_code="06010")
        if key == "in":
            transition(
                actor=actor,
                event=event,
                action="escalate",
                level="district",
                department="M",
                note="矩阵",
            )
        objects[f"event_{key}"] = str(event.uid)
        objects[f"event_code_{key}"] = event.tracking_code
        objects[f"photo_{key}"] = str(event.photos.first().uid)
    from gridgov.kpis.models import KpiAlert

    for key, unit in (("in", "g1a"), ("out", "g2a")):
        alert = KpiAlert.objects.create(
            unit=org_tree[unit],
            kpi_code="events.closure_rate",
            period_kind="month",
            period_label="2025-10",
            value=10.0,
            target=95.0,
        )
        objects[f"alert_{key}"] = str(alert.pk)
    from gridgov.kpis.models import KpiReport

    for key, unit in (("in", "g1a"), ("out", "g2a")):
        path = Path(tempfile.mkdtemp()) / "r.xlsx"
        path.write_bytes(b"PK")
        report = KpiReport.objects.create(
            unit=org_tree[unit],
            period_label="2025-10",
            period_date="2025-10-01",
            status="done",
            xlsx_path=str(path),
        )
        objects[f"report_{key}"] = str(report.uid)
    return objects


def _ledger_objects(org_tree, users, outsider, objects) -> dict[str, str]:
    """Points and time bank: the resident's and the volunteer's bound residents (bound by
    the volunteers' world) each with a household member, points and hours; a bound resident
    in g2a; a catalogue item and a placed redemption (with its pick-up code) on each side; a
    deposit to each side's resident (made by the system, so any keeper may correct it)."""
    from django.utils import timezone

    from conftest import new_user
    from gridgov.lists.models import Resource, ServiceOrder
    from gridgov.participation import services_points as points
    from gridgov.participation.models import PendingCredit
    from gridgov.people.models import Household, Resident
    from gridgov.people.services import resident_create
    from gridgov.residents.services import bind_account

    staff = users[Role.COMMUNITY_STAFF]

    def relative(of, name):
        return resident_create(
            actor=staff,
            household=of.household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "M",
                "birth_date": "1995-03-03",
                "relation": "child",
                "registration": "permanent",
            },
        )

    mother = Resident.objects.get(account__user=users[Role.RESIDENT])
    helper = Resident.objects.get(account__user=users[Role.VOLUNTEER])
    member, helper_member = relative(mother, "乙家属"), relative(helper, "甲家属")
    other = Resident.objects.get(uid=objects["resident_out"])
    out_user = new_user(Role.RESIDENT, org_tree["g2a"], username="m_resident_out")
    bind_account(outsider, user=out_user, resident=other)
    found = {"family_member": str(member.uid), "family_member_vol": str(helper_member.uid)}
    points.credit_points(resident=helper, action="proposal_adopted", source=helper)
    points.deposit_hours(resident=helper, source=helper, hours=3)
    for key, person, unit, keeper, user in [
        ("in", mother, "c1", staff, users[Role.RESIDENT]),
        ("out", other, "c2", outsider, out_user),
    ]:
        household = Household.objects.get(pk=person.household_id)
        points.credit_points(resident=person, action="proposal_adopted", source=household)
        deposit = points.deposit_hours(resident=person, source=person, hours=3)
        resource = Resource.objects.get(uid=objects[f"resource_{key}"])
        item = points.item_create(
            actor=keeper,
            org_unit_id=org_tree[unit].pk,
            resource_uid=resource.uid,
            name="理发",
            price=5,
            stock=5,
        )
        order, code = points.redeem(actor=user, item_uid=item.uid)
        found[f"catalogue_item_{key}"] = str(item.uid)
        found[f"redemption_{key}"] = str(order.uid)
        found[f"pickup_code_{key}"] = code
        found[f"ledger_txn_{key}"] = str(deposit.pk)
        waiting = PendingCredit.objects.create(
            resident=person,
            scope_path=person.scope_path,
            action="proposal_adopted",
            source=f"people.resident:{person.pk}",
            occurred_at=timezone.now(),
        )
        found[f"pending_credit_{key}"] = str(waiting.uid)
    assert ServiceOrder.objects.filter(uid=objects["service_order_in"]).exists()
    return found


def _people_objects(org_tree, users, outsider) -> dict[str, str]:
    """An adult resident in g1a (inside every role's scope) and one in the other district."""
    from gridgov.people import services

    objects = {}
    for key, grid, actor, name in [
        ("in", "g1a", users[Role.COMMUNITY_STAFF], "甲居民"),
        ("out", "g2a", outsider, "华阳居民"),
    ]:
        if key == "out":
            from gridgov.accounts.models import Membership

            Membership.objects.create(
                user=outsider, role=Role.COMMUNITY_STAFF, org_unit=org_tree["c2"]
            )
            outsider.forget_memberships()
        household = services.household_create(
            actor=actor, grid=org_tree[grid], number="H1", address=f"{name}的家", kind="family"
        )
        resident = services.resident_create(
            actor=actor,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "F",
                "birth_date": "1970-02-02",
                "phone": "13912345678",
                "relation": "head",
                "registration": "permanent",
            },
        )
        objects[f"household_{key}"] = str(household.uid)
        objects[f"resident_{key}"] = str(resident.uid)
    objects["other_job"] = str(_job(outsider).uid)
    return objects


def _participation_objects(org_tree, users, outsider) -> dict[str, str]:
    """The matrix's resident and volunteer bound to residents of g1a; in g1a and in g2a: a
    topic under discussion with a comment (the "in" one has ``MATRIX_COMMENT``), a proposal
    by another resident, and drafts: one of each bound account in g1a, one in g2a."""
    import uuid

    from gridgov.core.tests.test_attachments import pdf
    from gridgov.participation.models import Comment, Proposal, Topic, TopicDocument
    from gridgov.participation.services_deliberation import topic_documents_add
    from gridgov.people import services
    from gridgov.residents.models import ResidentAccount

    def person(actor, grid, number, name):
        household = services.household_create(
            actor=actor, grid=org_tree[grid], number=number, address=f"{name}家", kind="family"
        )
        return services.resident_create(
            actor=actor,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "M",
                "birth_date": "1965-03-03",
                "relation": "head",
                "registration": "permanent",
            },
        )

    staff = users[Role.COMMUNITY_STAFF]
    bound = {}
    for role, number in ((Role.RESIDENT, "P1"), (Role.VOLUNTEER, "P2")):
        account = ResidentAccount.objects.filter(user=users[role]).first()
        if account is not None:  # bound already (the volunteers' objects, in g1a)
            bound[role] = account.resident
            continue
        resident = person(staff, "g1a", number, "议事居民")
        ResidentAccount.objects.create(
            user=users[role], resident=resident, method="in_person", bound_by_name="matrix"
        )
        bound[role] = resident
    objects = {}
    for key, grid, actor in (("in", "g1a", staff), ("out", "g2a", outsider)):
        author = person(actor, grid, "P3", "提案人" if key == "in" else "华阳提案人")
        topic = Topic.objects.create(
            org_unit=org_tree[grid],
            title="矩阵议题" if key == "in" else "华阳议题",
            source="committee",
            state=Topic.State.DISCUSSING,
            created_by=actor,
        )
        document = topic_documents_add(actor=actor, topic=topic, files=[pdf()], title="文件")[0]
        if key == "in":
            TopicDocument.objects.filter(pk=document.pk).update(uid=uuid.UUID(MATRIX_DOCUMENT))
        Comment.objects.create(
            topic=topic,
            author=author,
            body="评论" if key == "in" else "华阳评论",
            uid=uuid.UUID(MATRIX_COMMENT) if key == "in" else uuid.uuid4(),
        )
        proposal = Proposal.objects.create(
            org_unit=org_tree[grid],
            author=author,
            entered_by=actor,
            title="矩阵提案" if key == "in" else "华阳提案",
            body="内容",
        )
        if key == "in":
            for role, resident in bound.items():
                draft = Proposal.objects.create(
                    org_unit=org_tree[grid],
                    author=resident,
                    entered_by=actor,
                    title="草稿",
                    body="内容",
                    state=Proposal.State.DRAFT,
                )
                objects[f"draft_{role}"] = str(draft.uid)
        else:
            draft = Proposal.objects.create(
                org_unit=org_tree[grid],
                author=author,
                entered_by=actor,
                title="草稿",
                body="内容",
                state=Proposal.State.DRAFT,
            )
            objects["draft_out"] = str(draft.uid)
        objects[f"topic_{key}"] = str(topic.pk)
        objects[f"proposal_{key}"] = str(proposal.uid)
    return objects


def _survey_objects(org_tree, users, outsider) -> dict[str, str]:
    """In g1a (inside every role's scope) and in c2: an anonymous survey with an open link,
    published to the whole unit (one question, the trust score). The resident and the
    volunteer are bound to residents of g1a, so both are in the g1a survey's audience."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.participation import services_surveys as surveys
    from gridgov.people import services
    from gridgov.residents.models import ResidentAccount
    from gridgov.residents.services import bind_account

    staff = users[Role.COMMUNITY_STAFF]
    for role, grid, name in [(Role.RESIDENT, "g1a", "乙居民"), (Role.VOLUNTEER, "g1a", "丙居民")]:
        if ResidentAccount.objects.filter(user=users[role]).exists():
            continue  # bound already (the volunteers' objects)
        household = services.household_create(
            actor=staff,
            grid=org_tree[grid],
            number=f"S{name}",
            address=f"{name}的家",
            kind="family",
        )
        resident = services.resident_create(
            actor=staff,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "M",
                "birth_date": "1960-03-03",
                "relation": "head",
                "registration": "permanent",
            },
        )
        bind_account(staff, user=users[role], resident=resident)
    today = timezone.localdate()
    out = {}
    for key, unit, actor in [
        ("in", "310104003001001", users[Role.COMMUNITY_STAFF]),
        ("out", "310105001001", outsider),
    ]:
        survey = surveys.survey_create(
            actor=actor,
            unit_code=unit,
            data={
                "title": "矩阵问卷",
                "purpose": "trust",
                "opens_on": today,
                "closes_on": today + timedelta(days=30),
                "anonymous": True,
                "public_link": True,
            },
        )
        question = surveys.question_add_template(actor=actor, survey=survey, code="trust")
        survey.refresh_from_db()
        surveys.survey_publish(actor=actor, survey=survey, version=survey.version)
        out[f"survey_{key}"] = str(survey.uid)
        out[f"survey_question_{key}"] = f"{survey.uid}/questions/{question.pk}"
    return out


def _operations_objects(org_tree, users, outsider) -> dict[str, str]:
    """In c1/s1 and in c2/s2: a community store with food in stock, and a dispatch of
    water from the street's store to it, on its way."""
    from gridgov.operations.services_supplies import dispatch_create
    from gridgov.operations.tests.supply_world import make_store, receive

    out = {}
    for key, actor, street_actor, unit, street in [
        ("in", users[Role.COMMUNITY_STAFF], users[Role.STREET_STAFF], "c1", "s1"),
        ("out", outsider, outsider, "c2", "s2"),
    ]:
        store = make_store(actor, org_tree[unit], name=f"储备点{key}")
        receive(actor, store, "food", 100)
        depot = make_store(street_actor, org_tree[street], tier="street", name=f"周转库{key}")
        receive(street_actor, depot, "water", 100)
        dispatch = dispatch_create(
            actor=street_actor, from_store=depot, to_store=store, category="water", quantity=10
        )
        out[f"operations_store_{key}"] = str(store.uid)
        out[f"operations_dispatch_{key}"] = str(dispatch.uid)
    out.update(_device_objects(org_tree, users, outsider))
    out.update(_facility_objects(org_tree, users, outsider))
    out.update(_service_model_objects(org_tree, users, outsider))
    out.update(_worker_objects(org_tree))
    return out


def _worker_objects(org_tree) -> dict[str, str]:
    """A grid worker assigned to g1a and one to g2a (the workforce pages' subjects)."""
    from conftest import new_user
    from gridgov.org.models import GridAssignment

    out = {}
    for key, grid in [("in", "g1a"), ("out", "g2a")]:
        worker = new_user(Role.GRID_WORKER, org_tree[grid], username=f"matrix_worker_{key}")
        GridAssignment.objects.create(
            grid=org_tree[grid], user=worker, duty="full_time", start_date=date(2024, 1, 1)
        )
        out[f"operations_worker_{key}"] = str(worker.pk)
    return out


def _service_model_objects(org_tree, users, outsider) -> dict[str, str]:
    """In c1 and in c2: a signature-service model piloted in the community's first grid."""
    from gridgov.operations.services_catalogue import model_create

    out = {}
    for key, actor, community, grid in [
        ("in", users[Role.COMMUNITY_STAFF], "c1", "g1a"),
        ("out", outsider, "c2", "g2a"),
    ]:
        model = model_create(
            actor=actor,
            data={
                "name": f"矩阵模式{key}",
                "kind": "elderly",
                "service_type": "featured",
                "owner": org_tree[community].code,
                "grids": [org_tree[grid].code],
            },
        )
        out[f"operations_model_{key}"] = str(model.uid)
    return out


def _facility_objects(org_tree, users, outsider) -> dict[str, str]:
    """In g1a and in g2a: a service centre with a room, and a function-adjustment task of
    the room for last month."""
    from gridgov.operations.models import AdjustmentTask
    from gridgov.operations.services_facilities import facility_create, space_create

    out = {}
    for key, actor, lon in [
        ("in", users[Role.COMMUNITY_STAFF], 121.405),
        ("out", outsider, 121.505),
    ]:
        facility = facility_create(
            actor=actor,
            data={
                "name": f"矩阵中心{key}",
                "kind": "service_centre",
                "lon": lon,
                "lat": 31.205,
                "owner_department": "矩阵",
            },
        )
        space = space_create(
            actor=actor,
            facility=facility,
            data={"name": "矩阵室", "capacity": 10, "schedule": {"0": "09:00-10:00"}},
        )
        task = AdjustmentTask.objects.create(
            space=space, scope_path=facility.scope_path, month=date(2025, 1, 1), idle=0.9
        )
        out[f"operations_facility_{key}"] = str(facility.uid)
        out[f"operations_space_{key}"] = str(space.uid)
        out[f"operations_adjust_{key}"] = str(task.uid)
    return out


def _device_objects(org_tree, users, outsider) -> dict[str, str]:
    """In g1a and in g2a: an online smoke detector (version 2: it came online), a camera
    with an open repair ticket, and an alarm of the detector waiting for its verdict."""
    from gridgov.events.services import device_alarm
    from gridgov.operations.services_devices import device_register, fault_report, heartbeat

    out = {}
    for key, actor, grid, lon in [
        ("in", users[Role.COMMUNITY_STAFF], "g1a", 121.405),
        ("out", outsider, "g2a", 121.505),
    ]:
        common = {
            "grid": org_tree[grid].code,
            "lon": lon,
            "lat": 31.205,
            "installer": "矩阵",
            "installed_on": "2025-01-01",
            "keeper_name": "矩阵",
        }
        smoke, _secret = device_register(
            actor=actor, data={"code": f"matrix-smoke-{key}", "kind": "smoke", **common}
        )
        heartbeat(smoke.source, {})
        camera, _secret = device_register(
            actor=actor, data={"code": f"matrix-camera-{key}", "kind": "camera", **common}
        )
        _status, body = fault_report(camera.source, {"message": "矩阵"})
        device_alarm(device=smoke.source, payload={"message": "矩阵"})
        out[f"operations_device_{key}"] = str(smoke.uid)
        out[f"operations_ticket_{key}"] = body["ticket"]
        out[f"operations_alarm_{key}"] = str(smoke.alarms.get().uid)
    return out


def _board_objects(org_tree, users, outsider, objects) -> dict[str, str]:
    """In c1/g1a and in c2/g2a: the community's bylaws and a red entry for a household with
    a room (no consent yet). The matrix's resident and volunteer are bound to residents of
    g1a, so that their own board opens."""
    from gridgov.org.models import Building, Compound, Room
    from gridgov.participation import services_boards as services
    from gridgov.people import services as people
    from gridgov.residents.models import ResidentAccount
    from gridgov.residents.services import bind_account

    out = {}
    for key, community, grid, actor in [
        ("in", "c1", "g1a", users[Role.COMMUNITY_STAFF]),
        ("out", "c2", "g2a", outsider),
    ]:
        compound = Compound.objects.create(
            community=org_tree[community], name=f"榜单小区{key}", kind="old"
        )
        building = Building.objects.create(compound=compound, grid=org_tree[grid], number="1号楼")
        household = people.household_create(
            actor=actor, grid=org_tree[grid], number="B1", address=f"榜单{key}", kind="family"
        )
        household.room = Room.objects.create(building=building, unit_number="1", number="101")
        household.save(update_fields=["room"])
        bylaw = services.bylaw_create(
            actor,
            community=org_tree[community],
            data=services.BylawInput(
                title=f"公约{key}",
                adopted_on="2026-01-05",
                articles=[{"number": 1, "title": "垃圾分类", "text": "干湿分开。"}],
            ),
        )
        entry = services.entry_create(
            actor,
            community=org_tree[community],
            data=services.EntryInput(
                colour="red",
                household=str(household.uid),
                article=bylaw.articles.get().pk,
                occurred_on="2026-01-05",
            ),
        )
        out[f"bylaw_{key}"] = str(bylaw.pk)
        out[f"entry_{key}"] = str(entry.uid)
    staff = users[Role.COMMUNITY_STAFF]
    for role in (Role.RESIDENT, Role.VOLUNTEER):
        if ResidentAccount.objects.filter(user=users[role]).exists():
            continue
        household = people.household_create(
            actor=staff, grid=org_tree["g1a"], number=f"R{role[:3]}", address="榜单", kind="family"
        )
        resident = people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": f"榜{role[:3]}",
                "id_type": "none",
                "sex": "F",
                "birth_date": "1980-02-02",
                "relation": "head",
                "registration": "permanent",
            },
        )
        bind_account(staff, user=users[role], resident=resident)
    return out


def _groups_objects(org_tree, users, outsider) -> dict[str, str]:
    """In g1a and in g2a: a chat group serving building 1 of a compound (pending approval),
    with a photo as evidence of its charter."""
    import io
    from datetime import date

    from django.utils import timezone
    from PIL import Image

    from gridgov.groups import services
    from gridgov.groups import services_rectifications as cases
    from gridgov.groups.models import (
        EarlyWarning,
        Pairing,
        Rectification,
        RestructureTask,
        Suggestion,
    )
    from gridgov.groups.services_snapshots import snapshot_save
    from gridgov.org.models import Building, Compound

    out = {}
    for key, community, grid, actor, name in [
        ("in", "c1", "g1a", users[Role.COMMUNITY_STAFF], "矩阵小区群"),
        ("out", "c2", "g2a", outsider, "华阳矩阵群"),
    ]:
        compound = Compound.objects.create(
            community=org_tree[community], name=f"群盘点小区{key}", kind="old"
        )
        building = Building.objects.create(compound=compound, grid=org_tree[grid], number="1")
        group = services.group_create(
            actor=actor,
            data={
                "name": name,
                "platform": "wechat",
                "function": "service",
                "manager": "committee",
                "compounds": [compound.pk],
                "buildings": [building.pk],
                "members_total": 100,
            },
        )
        photo = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(photo, "PNG")
        photo.seek(0)
        photo.name = "charter.png"
        photo.size = len(photo.getvalue())
        (evidence,) = services.evidence_add(
            actor=actor, group=group, item="has_charter", files=[photo]
        )
        out[f"group_{key}"] = str(group.uid)
        out[f"group_evidence_{key}"] = str(evidence.uid)
        # A second group, registered, whose month placed it in 问题整改群: a case opens.
        troubled = services.group_create(
            actor=actor,
            data={
                "name": f"{name}整改",
                "platform": "qq",
                "function": "notice",
                "manager": "property",
                "compounds": [compound.pk],
                "buildings": [building.pk],
            },
        )
        troubled = services.group_transition(
            actor=actor, group=troubled, action="approve", version=1
        )
        snapshot_save(
            actor=actor,
            group=troubled,
            month="2026-10",
            data={"activity_pct": 20, "false_information": True},
        )
        case = Rectification.objects.get(group=troubled)
        photo.seek(0)
        (proof,) = cases.evidence_add(actor=actor, case=case, files=[photo])
        out[f"group_case_{key}"] = str(case.uid)
        out[f"group_case_evidence_{key}"] = str(proof.uid)
        warning = EarlyWarning.objects.create(
            group=troubled,
            scope_path=troubled.scope_path,
            topic="health",
            topic_name="公共卫生",
            day=date(2026, 11, 20),
            window_start=date(2026, 11, 13),
            hits=6,
            baseline=0,
            terms={"发热": 6},
            rule="6 ≥ 3 × 0, ≥ 5",
        )
        out[f"group_warning_{key}"] = str(warning.uid)
        pairing = Pairing.objects.create(
            mentee=group,
            mentor=troubled,
            scope_path=group.scope_path,
            started_on=date(2026, 11, 1),
            class_at_start="potential",
            created_by_name="matrix",
        )
        out[f"group_pairing_{key}"] = str(pairing.uid)
        task = RestructureTask.objects.create(
            group=troubled,
            scope_path=troubled.scope_path,
            reason="矩阵",
            due_on=date(2026, 12, 1),
            opened_at=timezone.now(),
            opened_by_name="matrix",
        )
        out[f"group_task_{key}"] = str(task.uid)
        suggestion = Suggestion.objects.create(
            group=group, scope_path=group.scope_path, month=date(2026, 11, 1), text="矩阵建议"
        )
        out[f"group_suggestion_{key}"] = str(suggestion.uid)
        out[f"group_registered_{key}"] = str(troubled.uid)
        out[f"group_compound_{key}"] = str(compound.pk)
    # A campaign in each street, with an extension of its first milestone waiting.
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.groups import services_campaigns as campaigns

    day_one = timezone.localdate() - timedelta(days=30)
    for key, street, runner, name in [
        ("in", "s1", users[Role.STREET_STAFF], "矩阵盘点"),
        ("out", "s2", outsider, "华阳矩阵盘点"),
    ]:
        campaign = campaigns.campaign_create(
            actor=runner, unit_code=org_tree[street].code, name=name, start_on=day_one
        )
        first = campaign.milestones.order_by("day").first()
        extension = campaigns.extension_request(
            actor=runner, milestone=first, days=3, reason="矩阵应急"
        )
        out[f"campaign_{key}"] = str(campaign.uid)
        out[f"campaign_milestone_{key}"] = f"{campaign.uid}/milestones/{first.pk}"
        out[f"campaign_extension_{key}"] = f"{campaign.uid}/extensions/{extension.uid}"
    return out


def _job(user):
    from gridgov.people.models import ImportJob

    return ImportJob.objects.create(
        created_by=user,
        scope_path=user.primary_scope_path(),
        file_name="x.csv",
        stored_path="/nonexistent",
        file_sha256="0" * 64,
        mode="all",
        status="rejected",
    )


def _resolve_object(key: str, role, objects, users) -> str:
    from gridgov.accounts.services import token_create

    if key == "own_token":
        if role == ANON:
            return objects["other_token"]
        if role in ADMIN_ROLES:
            # The admin roles cannot create tokens; one left from before the role was
            # granted is still theirs to revoke.
            from django.utils import timezone

            from gridgov.accounts.models import ApiToken

            token = ApiToken.objects.create(
                user=users[role],
                name="left",
                prefix="gg_old",
                token_hash=role,
                expires_at=timezone.now(),
            )
            return str(token.pk)
        token, _ = token_create(user=users[role], name="mine")
        return str(token.pk)
    if key == "own_job":
        return str(_job(users[role]).uid) if role != ANON else objects["other_job"]
    if key == "own_draft":
        # The bound resident's or volunteer's own draft; other roles are refused before.
        return objects.get(f"draft_{role}", objects["draft_out"])
    if key == "family_of_me":
        return objects["family_member" if role == Role.RESIDENT else "family_member_vol"]
    if key == "c1_or_g1a":
        return objects["g1a" if role in (Role.GRID_WORKER, Role.RESIDENT) else "c1"]
    if key == "own_shift_record":
        return objects.get(f"shift_record_{role}", objects["shift_record_in"])
    if key == "approvable_shift_record":
        # Staff approve any record in their scope; a resident or volunteer only the records
        # of a shift naming them as the person served.
        if role == Role.VOLUNTEER:
            return objects["shift_record_served_by_volunteer"]
        return objects["shift_record_in"]
    if key == "s1_or_c1":
        return objects["c1" if role == Role.COMMUNITY_STAFF else "s1"]
    return objects[key]


def _allowed(route: Route, role) -> bool:
    if route.permission is None:
        return True
    if role == ANON:
        return False
    if route.permission == SIGNED_IN:
        return True
    return any(p in PERMISSIONS[role] for p in route.permission.split("|"))


def _fill(value, obj: str):
    """``{in}`` replaced by the object's id in a request body, keys and nested values too."""
    if isinstance(value, str):
        return value.replace("{in}", obj)
    if isinstance(value, dict):
        return {_fill(k, obj): _fill(v, obj) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, obj) for v in value]
    return value


def _request(client, route: Route, obj: str | None):
    url = route.url.replace("{in}", obj or "")
    data = _fill(route.data, obj or "")
    method = getattr(client, route.method.lower())
    if route.api and route.method in {"POST", "PUT", "PATCH"}:
        return method(url, data=data, content_type="application/json")
    if route.method == "POST":
        return method(url, data)
    return method(url)


def _denial_recorded(user, route: Route, response) -> bool:
    """A refusal for want of the declared permission leaves an audit record (D1, D2)."""
    from gridgov.audit.models import AuditRecord

    return AuditRecord.objects.filter(
        action="access.denied",
        outcome="fail",
        actor_id=user.pk,
        request_id=response["X-Request-ID"],
        changes__permission=route.permission,
    ).exists()


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


# Administration (SECURITY.md C6) ------------------------------------------------

ADMIN_NETWORK, INSIDE, OUTSIDE = "10.1.0.0/16", "10.1.2.3", "192.0.2.7"
ADMINISTRATION_ROUTES = [r for r in ROUTES if r.permission in ADMINISTRATION_PERMISSIONS]


def test_administration_routes_are_the_documented_ones():
    """Org changes, imports, users and roles, policies, audit, the event catalogue and the
    visit indicator catalogue."""
    assert {r.name for r in ADMINISTRATION_ROUTES} == {
        "core:policy_list",
        "core:policy_edit",
        "accounts:user_list",
        "accounts:user_create",
        "accounts:user_detail",
        "org:unit_create",
        "org:unit_edit",
        "org:grid_import",
        "org:grid_assign",
        "people:import_list",
        "people:import_template",
        "people:import_detail",
        "people:import_report",
        "events:category_list",
        "events:category_edit",
        "events:classifier_train",
        "events:calendar",
        "events:calendar_change",
        "visits:catalogue",
        "visits:indicator_create",
        "visits:category_create",
        "visits:category_edit",
        "visits:indicator_edit",
        "visits:indicator_status",
        "lists:category_list",
        "api:POST /api/v1/visit-indicators",
        "api:PATCH /api/v1/visit-indicators/{code}",
        "audit:record_list",
        "audit:record_export",
        "api:DELETE /api/v1/users/{user_id}/two-factor",
        "api:GET /api/v1/policies",
        "api:GET /api/v1/policies/{key}",
        "api:PUT /api/v1/policies/{key}",
        "api:POST /api/v1/org-units",
        "api:PATCH /api/v1/org-units/{code}",
        "api:POST /api/v1/grids/import",
        "api:POST /api/v1/imports",
        "api:GET /api/v1/imports/{uid}",
        "api:PATCH /api/v1/imports/{uid}",
        "api:GET /api/v1/audit-records",
        "api:GET /api/v1/audit-records/verify",
    }


@pytest.mark.parametrize("route", ADMINISTRATION_ROUTES, ids=lambda r: r.name)
def test_administration_only_from_admin_networks(route: Route, world, settings):
    """Every administration page and API operation: 403 from outside GRIDGOV_ADMIN_NETWORKS,
    whatever X-Forwarded-For claims; served as usual from inside."""
    from django.test import Client

    users, objects = world
    settings.GRIDGOV_ADMIN_NETWORKS = [ADMIN_NETWORK]
    role = next(r for r in ROLE_SCOPES if _allowed(route, r))
    for address, forwarded in ((OUTSIDE, INSIDE), (INSIDE, None)):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
        client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **extra)
        _login(client, users[role])
        obj = _resolve_object(route.objects[0], role, objects, users) if route.objects else None
        status = _request(client, route, obj).status_code
        context = f"{route.name} as {role} from {address}: {status}"
        if address == OUTSIDE:
            assert status == 403, context
        else:
            assert status in route.ok, context


# Exports write an audit record: only a POST with the CSRF token runs one (SECURITY.md B5).
WRITING_EXPORTS = ["people:resident_export", "audit:record_export"]


@pytest.mark.parametrize("name", WRITING_EXPORTS)
def test_exports_refuse_get(name, world, login_client, client):
    from gridgov.audit.models import AuditRecord

    route = next(r for r in ROUTES if r.name == name)
    users, _objects = world
    role = next(r for r in ROLE_SCOPES if _allowed(route, r))
    login_client(users[role])
    before = AuditRecord.objects.count()
    assert route.method == "POST"
    assert client.get(route.url + "?format=csv").status_code == 405
    assert AuditRecord.objects.count() == before


def _login(client, user):
    import time

    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    client.force_login(user)
    session = client.session
    session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()
    session.save()


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_matrix(route: Route, role, world, client, login_client):
    users, objects = world
    if role != ANON:
        login_client(users[role])
    allowed = _allowed(route, role)
    cases = [("in", None)]
    if route.objects:
        cases = [
            ("in", _resolve_object(route.objects[0], role, objects, users)),
            ("out", _resolve_object(route.objects[1], role, objects, users)),
        ]
    for which, obj in cases:
        response = _request(client, route, obj)
        status = response.status_code
        body = _body(response)
        context = f"{route.name} as {role} ({which} {obj}): {status}"
        assert status < 500, context
        if route.permission is None:
            assert status in route.public_status, context
        elif role == ANON:
            assert status == (401 if route.api else 302), context
            if not route.api:
                assert response.url.startswith("/accounts/login/"), context
        elif not allowed:
            assert status == 403, context
            assert _denial_recorded(users[role], route, response), f"unaudited {context}"
        elif which == "out":
            assert status == 404, context
        else:
            assert status in route.ok, context
        if obj:
            body = body.replace(obj, "")  # the requested id itself is echoed, e.g. in links
        for canary in CANARIES:
            assert canary not in body, f"LEAK of {canary!r} in {context}"


# Refusals beyond the declared permission -----------------------------------------


@dataclass(frozen=True)
class Denial:
    """A privileged attempt the role's permission lets through the door but a rule refuses;
    each must be refused with ``status`` and leave one ``action`` record with the reason."""

    name: str
    role: str
    method: str
    url: str  # {self}: the actor's own id; {user_in}: a grid worker of g1a
    status: int
    action: str
    reason: str
    data: dict = field(default_factory=dict)
    bearer: bool = False


DENIALS = [
    Denial(
        "grant breaking 三员分立",
        Role.SECURITY_ADMIN,
        "POST",
        "/accounts/users/{user_in}/",
        400,
        "accounts.role.grant",
        "separation_of_duties",
        {"action": "grant", "role": "system_admin", "org_unit": "310104"},
    ),
    Denial(
        "grant outside the scope",
        Role.SECURITY_ADMIN,
        "POST",
        "/accounts/users/{user_in}/",
        400,
        "accounts.role.grant",
        "out_of_scope",
        {"action": "grant", "role": "district_staff", "org_unit": "310105"},
    ),
    Denial(
        "grant to oneself",
        Role.SECURITY_ADMIN,
        "POST",
        "/accounts/users/{self}/",
        400,
        "accounts.role.grant",
        "self",
        {"action": "grant", "role": "security_admin", "org_unit": "310104"},
    ),
    Denial(
        "grant without a role",
        Role.SECURITY_ADMIN,
        "POST",
        "/accounts/users/{user_in}/",
        400,
        "accounts.role.grant",
        "no_role",
        {"action": "grant", "role": "", "org_unit": "310104003001001"},
    ),
    Denial(
        "revoke by the system admin",
        Role.SYSTEM_ADMIN,
        "POST",
        "/accounts/users/{user_in}/",
        400,
        "accounts.role.revoke",
        "no_permission",
        {"action": "revoke", "membership": "{membership_in}"},
    ),
    Denial(
        "disable oneself",
        Role.SYSTEM_ADMIN,
        "POST",
        "/accounts/users/{self}/",
        400,
        "accounts.user.disable",
        "self",
        {"action": "disable"},
    ),
    Denial(
        "unlock by the security admin",
        Role.SECURITY_ADMIN,
        "POST",
        "/accounts/users/{user_in}/",
        400,
        "accounts.user.unlock",
        "no_permission",
        {"action": "unlock"},
    ),
    Denial(
        "two-factor reset by the system admin",
        Role.SYSTEM_ADMIN,
        "POST",
        "/accounts/users/{user_in}/",
        400,
        "accounts.otp.reset",
        "no_permission",
        {"action": "reset_two_factor"},
    ),
    Denial(
        "two-factor reset of oneself",
        Role.SECURITY_ADMIN,
        "DELETE",
        "/api/v1/users/{self}/two-factor",
        403,
        "accounts.otp.reset",
        "self",
    ),
    Denial(
        "a token creating a token",
        Role.GRID_WORKER,
        "POST",
        "/api/v1/me/tokens",
        403,
        "accounts.token.create",
        "token_creates_token",
        {"name": "renewed"},
        bearer=True,
    ),
    Denial(
        "deactivating the root of one's own scope",
        Role.COMMUNITY_STAFF,
        "POST",
        "/org/units/310104003001/edit/",
        403,
        "org.unit.update",
        "scope_root",
        {"name": "宛平南路社区"},
    ),
]


@pytest.mark.parametrize("denial", DENIALS, ids=lambda d: d.name)
def test_refused_privileged_actions_are_audited(denial: Denial, world, client, login_client):
    from gridgov.accounts.models import Membership
    from gridgov.accounts.services import token_create
    from gridgov.audit.models import AuditRecord

    users, objects = world
    actor = users[denial.role]
    values = {
        "{self}": str(actor.pk),
        "{user_in}": objects["user_in"],
        "{membership_in}": str(Membership.objects.get(user_id=objects["user_in"]).pk),
    }

    def fill(text: str) -> str:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    data = {k: fill(v) for k, v in denial.data.items()}
    headers = {}
    if denial.bearer:
        headers["Authorization"] = f"Bearer {token_create(user=actor, name='matrix')[1]}"
    else:
        login_client(actor)
    before = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    method = getattr(client, denial.method.lower())
    if denial.url.startswith("/api/"):
        response = method(
            fill(denial.url), data=data, content_type="application/json", headers=headers
        )
    else:
        response = method(fill(denial.url), data)
    assert response.status_code == denial.status, response.content[:300]
    records = AuditRecord.objects.filter(action=denial.action, actor_id=actor.pk, id__gt=before)
    assert [(r.outcome, r.changes.get("reason")) for r in records] == [("fail", denial.reason)]
