"""Real headless Chromium (Debian's package) driven by Playwright."""

import os
import shutil
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class OneRequestAtATimeServer(ThreadedWSGIServer):
    """The live server answers one request at a time. With SQLite in memory its threads
    share one connection; a page's parallel requests (a photo next to a form post) must not
    use it at the same moment."""

    lock = threading.Lock()

    def set_app(self, application):
        def serialised(environ, start_response):
            with self.lock:
                return application(environ, start_response)

        super().set_app(serialised)


LiveServerThread.server_class = OneRequestAtATimeServer


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, except that /static/ is answered as in production: by
    WhiteNoise from the collected files (fingerprinted names, compressed), not from the
    source folders, which hold no fingerprinted names."""
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is not installed (./dev test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on(
        "response", lambda r: r.status >= 400 and page.console_errors.append(f"{r.status} {r.url}")
    )
    page.base = live_server.url
    yield page
    context.close()
