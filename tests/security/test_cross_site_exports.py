"""Exports write an audit record, so they are POST forms under the CSRF check: a link or an
image on another site (a cross-site GET) cannot make a signed-in user export, and a forged
POST fails the CSRF check. Anonymous answers are not cached; no answer names the server
software (SECURITY.md G6, B5)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from django.test import Client

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()
    session.save()
    return client


def _csrf_token(client: Client, page: str) -> str:
    client.get(page)
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize(
    ("role", "scope", "page", "export", "action", "form"),
    [
        (
            Role.COMMUNITY_STAFF,
            "c1",
            "/people/residents/",
            "/people/residents/export/",
            "people.export",
            {"format": "csv"},
        ),
        (
            Role.COMMUNITY_STAFF,
            "c1",
            "/people/residents/",
            "/people/residents/export/",
            "people.export",
            {"format": "xlsx", "full": "1"},
        ),
        (Role.AUDIT_ADMIN, "d1", "/audit/", "/audit/export.csv", "audit.export", {}),
    ],
)
def test_exports_cannot_be_triggered_across_sites(
    org_tree, make_user, role, scope, page, export, action, form
):
    client = _signed_in(make_user(role, org_tree[scope]))
    query = "&".join(f"{k}={v}" for k, v in form.items())
    # A link, an <img> or a top-level navigation from another site: a GET.
    assert client.get(f"{export}?{query}").status_code == 405
    # A form on another site posts without this site's CSRF token.
    forged = client.post(export, form)
    assert forged.status_code == 403
    assert not AuditRecord.objects.filter(action=action).exists()
    # The product's own form carries the token and exports.
    token = _csrf_token(client, page)
    response = client.post(export, {**form, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    b"".join(response.streaming_content)
    assert AuditRecord.objects.filter(action=action).count() == 1


def test_the_export_buttons_are_forms_with_the_token(org_tree, make_user):
    staff = _signed_in(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]))
    page = staff.get("/people/residents/?q=zs&grid=310104003001001").content.decode()
    assert 'href="/people/residents/export/' not in page
    form = page[page.index('action="/people/residents/export/"') - 200 :]
    assert 'method="post"' in form and "csrfmiddlewaretoken" in form
    assert 'name="q" value="zs"' in form and 'value="310104003001001"' in form
    auditor = _signed_in(make_user(Role.AUDIT_ADMIN, org_tree["d1"]))
    page = auditor.get("/audit/?action=org.unit").content.decode()
    assert 'href="/audit/export.csv' not in page
    form = page[page.index('action="/audit/export.csv"') - 200 :]
    assert 'method="post"' in form and 'name="action" value="org.unit"' in form


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/events/report/?jurisdiction_id=310104",
        "/events/track/?code=ENOPE",
        "/open311/v2/services.json",
        "/open311/v2/requests.json?jurisdiction_id=310104",
        "/no-such-page/",
    ],
)
def test_anonymous_answers_are_not_cached(org_tree, url):
    response = Client().get(url)
    assert response["Cache-Control"] == "no-store", (url, response.status_code)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_server_header_names_no_software(tmp_path):
    """What `gridgov start` serves: gunicorn with the project's configuration."""
    from gridgov.demo.management.commands.start import gunicorn_command

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"GRIDGOV_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        gunicorn_command(bind=f"127.0.0.1:{port}", workers=1),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:  # noqa: S310 - our own server
                    headers = r.headers
                break
            except urllib.error.HTTPError as answer:  # an error page has headers too
                headers = answer.headers
                break
            except OSError:
                time.sleep(0.2)
        assert headers is not None, "gunicorn did not start"
        server_header = headers.get("Server", "")
        assert "gunicorn" not in server_header.lower(), server_header
        assert not any(ch.isdigit() for ch in server_header), server_header
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Django itself adds none (what the test client sees).
    assert "Server" not in Client().get("/accounts/login/")
