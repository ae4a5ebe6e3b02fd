"""Every role lands on a page it may see after every action it can take.

For each role, the pages of the events, people, org, kpis and accounts sections reachable
from its home page are crawled (every kind of page, a few of each), and every POST form on
them is filled in the way a person would and submitted; the redirects are followed, and
the page reached must be neither a 403 nor a 404. Each submission is rolled back, so every
form is tried on the same data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import Resolver404, resolve

from conftest import TEST_PASSWORD
from gridgov.accounts.roles import Role
from tests.test_permission_matrix import ROLE_SCOPES  # one user per role, same scopes

pytestmark = pytest.mark.django_db

SECTIONS = ("/events/", "/people/", "/org/", "/kpis/", "/accounts/", "/visits/")
# Pages that are files, or that the crawler must not open as pages.
NOT_PAGES = ("export", ".xlsx", ".pdf", ".csv", "/photos/", "/logout/")
PAGES_PER_KIND = {"events:event_detail": 8}
MAX_PAGES = 100

# What a person types into a field the page leaves empty, by the field's name.
TYPED = {
    "title": "楼道里堆满了杂物",
    "description": "堆了三天，影响通行",
    "address": "宛平南路 1 号",
    "lon": "121.405",
    "lat": "31.205",
    "note": "已到现场核实",
    "reason": "核实情况",
    "result": "已清理完毕",
    "comment": "处理得很快",
    "name": "测试名称",
    "working_days": "2",
    "days": "30",
    "old_password": TEST_PASSWORD,
    "new_password": "Gr1d-New-Passw0rd?",
    "new_password2": "Gr1d-New-Passw0rd?",
}


@dataclass
class Form:
    page: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)

    def key(self) -> tuple:
        try:
            name = resolve(urlsplit(self.action).path).view_name
        except Resolver404:
            name = self.action
        return (name, tuple(self.fields.get("action", [])), frozenset(self.fields))

    def data(self) -> dict[str, list[str]]:
        data = {}
        for name, values in self.fields.items():
            if name in self.choices and not any(values):
                values = self.choices[name][:1]
            if not any(values) and name in TYPED:
                values = [TYPED[name]]
            elif not any(values) and name in self.required:
                values = ["测试"]
            data[name] = values
        return data


class _FormParser(HTMLParser):
    """POST forms (plain or htmx) with the values a person would send."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            action = a.get("hx-post") or (
                a.get("action") or self.page if (a.get("method") or "").lower() == "post" else None
            )
            self._form = Form(self.page, action) if action else None
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "file" or kind == "submit":
                return
            if kind in ("radio", "checkbox"):
                form.fields.setdefault(name, [])
                if "checked" in a:
                    form.fields[name].append(a.get("value", "on"))
                elif kind == "radio":
                    form.choices.setdefault(name, []).append(a.get("value", "on"))
                return
            value = a.get("value", "")
            if not value and kind == "number":
                value = a.get("min", "1")
            if not value and kind == "date":
                value = date.today().isoformat()
            form.fields.setdefault(name, []).append(value)
            if "required" in a:
                form.required.add(name)
        elif tag == "select" and name:
            self._select = name
            form.fields.setdefault(name, [])
            if "required" in a:
                form.required.add(name)
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a:
                form.fields[self._select] = [value]
            elif value:
                form.choices.setdefault(self._select, []).append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields[name] = [""]
            if "required" in a:
                form.required.add(name)
        elif tag == "button" and name:
            form.fields.setdefault(name, [a.get("value", "")])

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] = [data]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _kind(url: str) -> str:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return url


def _crawl(client, *, sections=SECTIONS, visit=None) -> list[Form]:
    """Pages reachable from the home page within the sections, and their POST forms;
    ``visit(url, response)`` is called for each page opened."""
    queue, seen, per_kind, forms = ["/"], set(), {}, {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        kind = _kind(url)
        if per_kind.get(kind, 0) >= PAGES_PER_KIND.get(kind, 2):
            continue
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        if response.redirect_chain:  # e.g. the unit tree opens the user's own unit
            url = response.redirect_chain[-1][0]
            seen.add(url)
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if visit is not None:
            visit(url, response)
        parser = _FormParser(url)
        parser.feed(response.content.decode())
        for form in parser.forms:
            forms.setdefault(form.key(), form)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith(sections):
                continue
            if any(marker in parts.path for marker in NOT_PAGES):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return list(forms.values())


@pytest.fixture
def journeys(org_tree, make_user):
    """One user per role, and records in every state the pages show."""
    from gridgov.events.models import Department
    from gridgov.events.services import ReportInput, report_event, transition
    from gridgov.kpis.models import KpiAlert
    from gridgov.org.models import GridAssignment
    from gridgov.people import services as people

    users = {
        role: make_user(role, org_tree[key], username=f"j_{role}")
        for role, key in ROLE_SCOPES.items()
    }
    worker = users[Role.GRID_WORKER]
    second = make_user(Role.GRID_WORKER, org_tree["g1a"], username="j_worker_b")
    for person in (worker, second):
        GridAssignment.objects.create(
            grid=org_tree["g1a"], user=person, duty="full_time", start_date=date(2024, 1, 1)
        )
    department = Department.objects.create(district=org_tree["d1"], code="J", name="旅程部门")
    department.members.add(users[Role.DEPARTMENT_HANDLER])
    staff = users[Role.COMMUNITY_STAFF]
    steps = {
        "reported": [],
        "dispatched": ["accept", "classify", "dispatch"],
        "handling": ["accept", "classify", "dispatch", "check_in", "request_extension"],
        "handled": ["accept", "classify", "dispatch", "check_in", "handle"],
        "closed": ["accept", "classify", "dispatch", "check_in", "handle", "verify_pass"],
        "escalated": ["accept", "classify", "escalate"],
    }
    params = {
        "classify": {"category_code": "06010"},
        "dispatch": {"assignee": worker},
        "escalate": {"level": "district", "department": "J", "note": "需部门处理"},
        "handle": {"result": "已清理"},
        "request_extension": {"working_days": 2, "note": "等配件"},
    }
    for title, actions in steps.items():
        event, _ = report_event(
            actor=users[Role.RESIDENT],
            data=ReportInput(channel="resident", title=f"旅程{title}", lon=121.405, lat=31.205),
        )
        for action in actions:
            actor = {
                "check_in": worker,
                "handle": worker,
                "request_extension": worker,
                "verify_pass": second,
            }.get(action, staff)
            transition(actor=actor, event=event, action=action, **params.get(action, {}))
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="J1", address="旅程路 1 号", kind="family"
    )
    people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "旅程居民",
            "id_type": "none",
            "sex": "F",
            "birth_date": "1970-02-02",
            "relation": "head",
            "registration": "permanent",
        },
    )
    KpiAlert.objects.create(
        unit=org_tree["g1a"],
        kpi_code="events.closure_rate",
        period_kind="month",
        period_label="2025-10",
        value=10.0,
        target=95.0,
    )
    return users


def _sign_in(client, user):
    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    client.force_login(user)
    session = client.session
    session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()
    session.save()


@pytest.mark.parametrize("role", list(ROLE_SCOPES), ids=str)
def test_every_action_lands_on_a_page_the_role_may_see(role, journeys, client):
    user = journeys[role]
    _sign_in(client, user)
    forms = _crawl(client)
    assert forms or role in (Role.AUDIT_ADMIN,), f"{role} found no form to submit"
    dead_ends = []
    for form in forms:
        _sign_in(client, user)
        with transaction.atomic():
            response = client.post(form.action, form.data(), follow=True)
            transaction.set_rollback(True)
        if response.status_code in (403, 404):
            hops = " → ".join(url for url, _status in response.redirect_chain)
            dead_ends.append(
                f"{form.page}: POST {form.action} {form.fields.get('action', '')} "
                f"→ {hops or 'itself'}: {response.status_code}"
            )
    assert not dead_ends, "\n".join(dead_ends)


def test_a_signed_in_resident_who_reports_sees_the_report(journeys, client):
    from gridgov.events.models import Event

    _sign_in(client, journeys[Role.RESIDENT])
    response = client.post(
        "/events/new/",
        {"title": "路灯不亮", "lon": "121.405", "lat": "31.205"},
        follow=True,
    )
    event = Event.objects.get(title="路灯不亮")
    assert response.status_code == 200
    assert event.tracking_code in response.content.decode()


def test_the_volunteer_reaches_no_forbidden_page_from_the_menu(journeys, client):
    _sign_in(client, journeys[Role.VOLUNTEER])
    # A volunteer's home is their participation page, which leads to their reports.
    home = client.get("/", follow=True)
    assert home.redirect_chain == [("/participation/me/", 302)]
    parser = _FormParser("/")
    parser.feed(home.content.decode())
    for link in parser.links:
        if urlsplit(link).path.startswith(SECTIONS):
            assert client.get(link, follow=True).status_code == 200, link
