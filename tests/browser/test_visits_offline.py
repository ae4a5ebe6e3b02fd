"""Household visits on a phone with no signal (issue: offline first): the worker opens the
day's visits, loses the connection, records two visits (one with a registry correction, one
refused), reloads while offline, and gets the connection back: exactly two records reach
the server, the review queue shows them, and a second sync sends nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.conftest import OneRequestAtATimeServer
from tests.browser.test_layout import ARTEFACTS, _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _day_of_visits(org_tree, make_user):
    from gridgov.org.models import GridAssignment
    from gridgov.people import services as people
    from gridgov.visits import services as visits

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_off")
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="staff_off")
    GridAssignment.objects.create(
        grid=org_tree["g1a"], user=worker, duty="full_time", start_date=timezone.localdate()
    )
    households = []
    for number, name, phone in (("301", "赵大明", "13812340001"), ("302", "钱小红", "13812340002")):
        household = people.household_create(
            actor=staff,
            grid=org_tree["g1a"],
            number=number,
            address=f"宛平南路3号{number}室",
            kind="family",
        )
        people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "M",
                "birth_date": "1948-05-06",
                "phone": phone,
                "relation": "head",
                "registration": "permanent",
            },
        )
        visits.task_create(
            actor=staff,
            household=household,
            due_date=timezone.localdate(),
            assignee=worker.username,
        )
        households.append(household)
    return worker, staff, households


def _cached_pages(page) -> list[str]:
    return page.evaluate(
        "() => caches.open('gridgov-pages').then((c) => c.keys()).then((k) => k.map((r) => r.url))"
    )


def test_two_visits_made_offline_reach_the_server_once(
    browser, live_server, org_tree, make_user, login_client
):
    from gridgov.people.models import Resident
    from gridgov.visits.models import Visit

    worker, staff, households = _day_of_visits(org_tree, make_user)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_cookies(_session_cookies(worker, live_server, "zh-hans"))
    page = context.new_page()
    syncs = []
    page.on(
        "request", lambda r: r.url.endswith("/api/v1/visits/sync") and syncs.append(r.post_data)
    )
    base = live_server.url
    forms = [f"{base}/visits/households/{h.uid}/new/" for h in households]
    try:
        page.goto(base + "/visits/today/")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
        page.reload()  # through the service worker: the list and its forms are kept
        page.wait_for_function(
            "(forms) => caches.open('gridgov-pages').then((c) => c.keys())"
            ".then((k) => forms.every((f) => k.some((r) => r.url === f)))",
            arg=forms,
            timeout=20_000,
        )

        context.set_offline(True)
        # 1: partly done, with the head's new phone number.
        page.locator(f"a[href='/visits/households/{households[0].uid}/new/']").first.click()
        page.select_option("#outcome", "partial")
        head = Resident.objects.get(household=households[0])
        page.fill(f"#phone_{head.uid}", "13700001111")
        page.check("#notice_given")
        page.locator("#visit-form button").click()
        page.wait_for_url("**/visits/today/")
        # 2: refused, for privacy.
        page.locator(f"a[href='/visits/households/{households[1].uid}/new/']").first.click()
        page.select_option("#outcome", "refused")
        page.select_option("#refusal_reason", "privacy")
        page.locator("#visit-form button").click()
        page.wait_for_url("**/visits/today/")

        page.reload()  # still offline: the list from the phone, both visits waiting
        assert page.evaluate("() => GridGovOutbox.count()") == 2
        assert page.locator("[data-visit-waiting]:not([hidden])").count() == 2
        assert "待发送 2 条" in page.locator("[data-outbox-status]").inner_text()
        assert not syncs and Visit.objects.count() == 0
        page.screenshot(path=str(ARTEFACTS / "visits-offline-390.png"), full_page=True)

        context.set_offline(False)
        page.wait_for_function("() => GridGovOutbox.count().then((n) => n === 0)", timeout=20_000)
        # Read the database between the live server's requests (it answers one at a time):
        # a request still running holds SQLite's table lock.
        with OneRequestAtATimeServer.lock:
            assert Visit.objects.count() == 2
            outcomes = set(Visit.objects.values_list("outcome", flat=True))
            assert outcomes == {"partial", "refused"}
            partial = Visit.objects.get(outcome="partial")
            assert partial.corrections.filter(field="phone").count() == 1
        sent = len(syncs)
        page.evaluate("() => GridGovOutbox.flush()")
        page.reload()
        page.evaluate("() => GridGovOutbox.flush()")
        assert len(syncs) == sent, "a second sync sent records again"
        with OneRequestAtATimeServer.lock:
            assert Visit.objects.count() == 2
    finally:
        context.close()

    queue = login_client(staff).get("/visits/reviews/").content.decode()
    assert "301" in queue and "302" in queue
