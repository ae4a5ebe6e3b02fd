"""Each role's home is its work: the queues it must empty, with counts that equal the lists
they link to; the menu shows a role only the pages it uses, grouped by area."""

from __future__ import annotations

import re

import pytest

from gridgov.core.tests.workplace import build_workplace

pytestmark = pytest.mark.django_db


@pytest.fixture
def workplace(org_tree, make_user):
    return build_workplace(org_tree, make_user)


def _queues(html: str) -> dict[str, tuple[str, int]]:
    """{queue key: (link, count)} of the workbench's queue tiles."""
    found = {}
    for tag in re.findall(r"<a [^>]*workbench-queue[^>]*>", html):
        key = re.search(r'data-queue="([^"]+)"', tag).group(1)
        href = re.search(r'href="([^"]+)"', tag).group(1).replace("&amp;", "&")
        count = int(re.search(r'data-count="(\d+)"', tag).group(1))
        found[key] = (href, count)
    return found


def _home(client, login_client, user) -> dict[str, tuple[str, int]]:
    c = login_client(user, client)
    response = c.get("/")
    assert response.status_code == 200
    return _queues(response.content.decode())


def _count_on_list(c, href: str) -> int:
    """The count the linked list page states for what the link opens."""
    path, _, anchor = href.partition("#")
    html = c.get(path).content.decode()
    if path.startswith(("/events/mine/", "/visits/")):
        section = {"overdue": "overdue", "todo": "todo", "check-in": "check-in"}.get(anchor, anchor)
        match = re.search(rf'id="{section}"[^>]*>.*?<span class="badge[^"]*">(\d+)</span>', html)
        return int(match.group(1))
    for marker in ('id="event-count"', 'id="alert-count"', 'id="my-imports"', 'id="list-count"'):
        if marker in html:
            tail = html.split(marker, 1)[1]
            return int(re.search(r"(\d+)", re.sub(r"<[^>]+>", " ", tail)).group(1))
    if path.startswith("/people/duplicates/"):
        return html.count('name="candidate"') // 2
    if path.startswith("/accounts/users/"):
        return len(re.findall(r'href="/accounts/users/\d+/"', html))
    if path.startswith("/audit/"):
        return len(re.findall(r"<tr[ >]", html)) - 1
    raise AssertionError(f"no count on {path}")


def _assert_counts_match(client, login_client, user, expected: dict[str, int]):
    queues = _home(client, login_client, user)
    for key, count in expected.items():
        assert queues[key][1] == count, (key, queues[key])
    for key, (href, count) in queues.items():
        assert _count_on_list(client, href) == count, (key, href)
    return queues


def test_grid_worker_sees_their_overdue_due_and_to_verify(client, login_client, workplace):
    staff = workplace["staff"]
    queues = _assert_counts_match(
        client, login_client, staff["worker"], {"overdue": 2, "todo": 1, "to_verify": 0}
    )
    # The handler never verifies their own work; the other worker of the grid does.
    assert "to_dispatch" not in queues
    client.logout()
    _assert_counts_match(client, login_client, staff["worker2"], {"overdue": 0, "to_verify": 1})


def test_grid_worker_home_shows_the_overdue_events_and_one_tap_report(
    client, login_client, workplace
):
    c = login_client(workplace["staff"]["worker"], client)
    html = c.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="workbench-report"' in html and "上报" in html
    rows = html.split('id="wb-rows-field-overdue"', 1)[1].split("</div>\n", 1)[0]
    assert "地下车库入口积水" in rows and "垃圾箱满溢没人清运" not in rows
    assert "已超期" in html and "上门核查" in html


def test_community_staff_queues_equal_their_lists(client, login_client, workplace):
    """The review saw 我的任务 show 待办 0 while 11 events waited: the community's home
    counts what waits for it, and My tasks says where the dispatch queue is."""
    staff = workplace["staff"]
    _assert_counts_match(
        client,
        login_client,
        staff["community"],
        {"to_dispatch": 3, "requests": 1, "overdue": 2, "to_verify": 1, "imports": 0},
    )
    html = client.get("/events/mine/").content.decode()
    assert 'id="mine-dispatch-note"' in html and "3 events wait for dispatch" in html


def test_street_hub_sees_escalations_and_alerts(client, login_client, workplace):
    from gridgov.kpis.models import KpiAlert

    staff = workplace["staff"]
    queues = _assert_counts_match(
        client, login_client, staff["street"], {"escalated": 1, "alerts": 0, "overdue": 2}
    )
    assert "to_verify" not in queues  # the street does not verify on site
    html = client.get("/").content.decode()
    # The hub reads its board, then escalations before the dispatch queue.
    assert html.index('id="wb-board"') < html.index('id="wb-dispatch"')
    assert html.index('data-queue="escalated"') < html.index('data-queue="to_dispatch"')
    assert 'id="wb-rows-dispatch-escalated"' in html
    KpiAlert.objects.create(
        unit=staff["street"].memberships_cached[0].org_unit,
        kpi_code="events.on_time_closure",
        period_kind="month",
        period_label="2026-11",
        value=40.0,
        target=90.0,
    )
    _assert_counts_match(client, login_client, staff["street"], {"alerts": 1})


def test_department_sees_check_ins_and_deadlines(client, login_client, workplace):
    staff = workplace["staff"]
    queues = _assert_counts_match(
        client, login_client, staff["handler"], {"to_check_in": 1, "overdue": 0}
    )
    assert "to_dispatch" not in queues and "to_verify" not in queues
    assert list(queues)[0] == "to_check_in"  # a department checks in first (报到)


def test_district_board_shows_every_kpi_tile(client, login_client, workplace):
    from gridgov.kpis.registry import REGISTRY

    staff = workplace["staff"]
    c = login_client(staff["district"], client)
    html = c.get("/").content.decode()
    assert html.count("data-kpi=") == len(REGISTRY)
    _assert_counts_match(client, login_client, staff["district"], {"escalated": 1})


def test_admin_roles_get_their_admin_work(client, login_client, workplace):
    staff = workplace["staff"]
    queues = _home(client, login_client, staff["auditadmin"])
    assert set(queues) == {"today", "denied", "login_fail"}
    assert queues["today"][1] > 0  # building the workplace wrote audit records today
    assert 'href="/audit/?verify=1"' in client.get("/").content.decode()
    client.logout()
    queues = _assert_counts_match(client, login_client, staff["secadmin"], {})
    assert set(queues) == {"users"}
    assert queues["users"][1] == len(workplace["staff"])


def test_a_resident_lands_on_their_participation_page_which_leads_to_their_reports(
    client, login_client, workplace
):
    c = login_client(workplace["staff"]["resident"], client)
    response = c.get("/")
    assert response.status_code == 302 and response["Location"] == "/participation/me/"
    page = c.get("/participation/me/").content.decode()
    assert 'href="/events/reported/"' in page and 'id="not-bound"' in page


def test_a_provider_lands_on_its_orders_and_the_office_sees_overdue_ones(
    client, login_client, workplace
):
    c = login_client(workplace["staff"]["provider"], client)
    response = c.get("/")
    assert response.status_code == 302 and response["Location"] == "/lists/serve/"
    page = c.get("/lists/serve/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    nav = page.split('id="nav-groups"', 1)[1].split('id="nav-account"', 1)[0]
    assert re.findall(r'class="dropdown-item" href="([^"]+)"', nav) == ["/lists/serve/"]
    assert "我的服务订单" in nav
    client.logout()
    queues = _home(client, login_client, workplace["staff"]["community"])
    assert queues["lists_orders_overdue"][1] == 1


def _menu(client, login_client, user) -> tuple[list[str], str]:
    c = login_client(user, client)
    html = c.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    nav = html.split('id="nav-groups"', 1)[1].split('id="nav-account"', 1)[0]
    return re.findall(r'data-group="([^"]+)"', nav), nav


def test_menu_shows_a_role_only_what_it_uses_grouped(client, login_client, workplace):
    staff = workplace["staff"]
    groups, nav = _menu(client, login_client, staff["worker"])
    # The grid worker enters door-to-door survey answers (participation.assist) and finds
    # the emergency stores of their area (operations.view).
    assert groups == ["events", "residents", "visits", "participation", "operations", "command"]
    assert ">录入问卷答卷<" in nav and ">调研问卷<" not in nav
    for unused in ("指挥看板", "考核指标", "报告", "行政层级"):
        assert f">{unused}<" not in nav, unused
    assert ">我的任务<" in nav and ">上报<" in nav and ">我的指标<" in nav
    client.logout()
    groups, nav = _menu(client, login_client, staff["community"])
    assert groups == [
        "events",
        "residents",
        "visits",
        "participation",
        "operations",
        "command",
        "admin",
    ]
    assert ">行政层级<" in nav and ">审计日志<" not in nav and ">表决<" in nav
    assert ">积分兑换目录<" in nav
    client.logout()
    groups, nav = _menu(client, login_client, staff["auditadmin"])
    assert groups == ["admin"] and ">审计日志<" in nav


def test_every_menu_entry_opens_for_its_role(client, login_client, workplace):
    """Every page a role's menu offers answers 200 to that role."""
    for key, user in workplace["staff"].items():
        if key in ("resident", "provider"):  # they land on their own page
            continue
        client.logout()
        _groups, nav = _menu(client, login_client, user)
        for href in re.findall(r'class="dropdown-item" href="([^"]+)"', nav):
            assert client.get(href, follow=True).status_code == 200, (key, href)


def test_queues_are_scoped_to_the_users_units(client, login_client, workplace, org_tree, make_user):
    """The same work seen from the other district: nothing, on the home and on the lists."""
    from gridgov.accounts.roles import Role

    outsider = make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="wb_outsider")
    _assert_counts_match(
        client,
        login_client,
        outsider,
        {"to_dispatch": 0, "requests": 0, "overdue": 0, "to_verify": 0},
    )
    for state in ("to_dispatch", "requests", "escalated"):
        html = client.get(f"/events/?state={state}").content.decode()
        assert "No events." in html, state
