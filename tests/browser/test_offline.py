"""The offline shell on a phone: the service worker keeps a grid worker's pages for a
stairwell without signal, the outbox keeps what they submit across reloads, and signing out
clears both (after a warning when records are waiting)."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from tests.browser.test_layout import _session_cookies

pytestmark = pytest.mark.django_db(transaction=True)


def _controlled(page) -> None:
    """Wait until the service worker controls the page (it claims clients on activation)."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=20_000,
    )


def test_pages_and_outbox_survive_going_offline_and_sign_out_clears_them(
    browser, live_server, org_tree, make_user
):
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_cookies(_session_cookies(worker, live_server, "zh-hans"))
    page = context.new_page()
    try:
        page.goto(live_server.url + "/events/mine/")
        _controlled(page)
        page.reload()  # now through the worker: the page is kept
        heading = page.locator("h1").first.inner_text()

        context.set_offline(True)
        page.reload()
        assert page.locator("h1").first.inner_text() == heading
        # The outbox script fills the status line after the page loads: wait for it.
        page.wait_for_function(
            "() => document.querySelector('[data-outbox-status]').textContent.includes('离线')"
        )
        # A page that was never opened is not there offline (nothing else is cached).
        other = context.new_page()
        with pytest.raises(Exception):  # noqa: B017 - the browser's network error
            other.goto(live_server.url + "/people/")
        other.close()

        page.evaluate(
            """() => GridGovOutbox.add({client_uuid: 'a0000000-0000-4000-8000-000000000001',
                url: '/api/v1/visits/sync', body: {client_uuid: 'a0000000-0000-4000-8000-000000000001'}})"""
        )
        page.wait_for_function(
            "() => document.querySelector('[data-outbox-status]').textContent.includes('待发送 1 条')"
        )
        page.reload()
        assert page.evaluate("() => GridGovOutbox.count()") == 1
        page.wait_for_function(
            "() => document.querySelector('[data-outbox-status]').textContent.includes('待发送 1 条')"
        )

        context.set_offline(False)
        page.goto(live_server.url + "/events/mine/")
        # The endpoint does not take it (no such sync endpoint here): it stays waiting.
        page.evaluate("() => GridGovOutbox.flush()")
        assert page.evaluate("() => GridGovOutbox.count()") == 1
        dialogs = []

        def accept(dialog):
            dialogs.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        page.locator(".navbar-toggler").click()
        page.locator("[data-signout] button").click()
        page.wait_for_url("**/accounts/login/**")
        assert dialogs and "1" in dialogs[0]
        assert page.evaluate("() => caches.keys()") == []
        databases = page.evaluate("() => indexedDB.databases().then(d => d.map(x => x.name))")
        assert "gridgov-outbox" not in databases
    finally:
        context.close()


def test_the_manifest_and_service_worker_are_served_to_anyone(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json()["start_url"] == "/"
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    body = worker.content.decode()
    # Every precached and imported asset exists under its fingerprinted name.
    import re

    for url in re.findall(r'"(/static/[^"]+)"', body):
        assert client.get(url).status_code == 200, url
    assert "/events/mine/" in body


def test_kept_pages_go_when_the_session_reaches_its_absolute_lifetime(
    browser, live_server, org_tree, make_user
):
    import time

    from django.conf import settings
    from django.test import Client

    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED
    from gridgov.core.policies import policy_get

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    lifetime = policy_get("accounts.session").absolute_hours * 3600
    client = Client()
    client.force_login(worker)
    session = client.session
    session[SESSION_STARTED] = time.time() - lifetime + 15  # ends in 15 seconds
    session[SESSION_SEEN] = time.time()
    session.save()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/events/mine/")
        _controlled(page)
        page.reload()
        assert page.evaluate("() => caches.has('gridgov-pages')")
        time.sleep(max(0.0, session[SESSION_STARTED] + lifetime - time.time()) + 1)
        context.set_offline(True)
        page.reload()  # the kept copy, which sees its session has ended
        page.wait_for_function("() => caches.has('gridgov-pages').then((kept) => !kept)")
        assert "请重新登录" in page.locator("main").inner_text()
    finally:
        context.close()
