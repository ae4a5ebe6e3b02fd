import os
import subprocess
import sys

import pytest

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_security_headers_on_pages(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_with_personal_data_are_not_cached(org_tree, make_user, login_client):
    client = login_client(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]))
    assert client.get("/org/grids/").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_no_external_hosts_in_pages(org_tree, make_user, login_client):
    """No CDN or third-party tracker (SECURITY.md F9)."""
    import re

    client = login_client(make_user(Role.DISTRICT_STAFF, org_tree["d1"]))
    for url in ["/", "/org/grids/map/", f"/org/grids/{org_tree['g1a'].code}/", "/org/units/"]:
        html = client.get(url, follow=True).content.decode()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), url


def test_no_inline_scripts_in_templates():
    """Everything executable is a file under /static/ so CSP can forbid inline scripts."""
    import re
    from pathlib import Path

    from django.conf import settings

    for path in Path(settings.BASE_DIR).rglob("templates/**/*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?P<attrs>[^>]*)>", text):
            attrs = match.group("attrs")
            assert "src=" in attrs or "json" in attrs, f"inline script in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {path}"


def test_error_body_is_translated(org_tree, make_user, login_client):
    client = login_client(make_user(Role.GRID_WORKER, org_tree["g1a"]))
    zh = client.get("/api/v1/org-units/000000", headers={"Accept-Language": "zh-hans"}).json()
    en = client.get("/api/v1/org-units/000000", headers={"Accept-Language": "en"}).json()
    assert zh["code"] == en["code"] == "not_found"
    assert en["message"] == "Not found."
    assert zh["message"] != en["message"] and any(
        "\u4e00" <= ch <= "\u9fff" for ch in zh["message"]
    )
    assert set(en) == {"code", "message", "details"}


def test_malformed_api_input_gets_a_field_error(org_tree, make_user, login_client):
    client = login_client(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]))
    response = client.post("/api/v1/org-units", data="{bad json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json()["code"]
    response = client.get("/api/v1/grids/locate?lon=abc&lat=31")
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "lon"


def test_page_size_is_clamped(org_tree, make_user, login_client):
    client = login_client(make_user(Role.DISTRICT_STAFF, org_tree["d1"]))
    assert client.get("/api/v1/org-units?limit=100000").json()["limit"] == 200


def test_admin_pages_only_from_allowed_networks(org_tree, make_user, client, settings):
    from django.test import Client

    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    settings.GRIDGOV_ADMIN_NETWORKS = ["10.1.0.0/16"]
    auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"])

    def as_ip(ip, **extra):
        import time

        c = Client(REMOTE_ADDR=ip, **extra)
        c.force_login(auditor)
        s = c.session
        s[SESSION_STARTED] = s[SESSION_SEEN] = time.time()
        s.save()
        return c

    assert as_ip("10.1.2.3").get("/audit/").status_code == 200
    assert as_ip("192.0.2.7").get("/audit/").status_code == 403
    spoofed = as_ip("192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert spoofed.get("/audit/").status_code == 403
    assert spoofed.get("/api/v1/audit-records").status_code == 403


def _run_check(env_extra):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "gridgov.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_deploy_check_is_clean(tmp_path):
    key_file = tmp_path / "etc" / "keys.json"
    key_file.parent.mkdir()
    key_file.write_text(
        '{"active": "k1", "keys": {"k1": {"sm4": "00112233445566778899aabbccddeeff", '
        '"hmac": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}}}'
    )
    key_file.chmod(0o600)
    result = _run_check(
        {
            "GRIDGOV_MODE": "production",
            "SECRET_KEY": "x" * 30 + "Y7#kq9ZpL2@vR5nW8$tB3mE6&cH1jF4",
            "GRIDGOV_KEY_FILE": str(key_file),
            "GRIDGOV_BACKUP_KEY_FILE": str(tmp_path / "backup_key.json"),
            "DATABASE_URL": "postgres://postgres@db.example.gov.cn:5432/gridgov?sslmode=verify-full",
            "ALLOWED_HOSTS": "gridgov.example.gov.cn",
            "GRIDGOV_DATA_DIR": str(tmp_path / "data"),
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_sqlite(tmp_path):
    result = _run_check(
        {
            "GRIDGOV_MODE": "production",
            "SECRET_KEY": "k" * 60,
            "GRIDGOV_KEY_FILE": str(tmp_path / "k.json"),
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "GRIDGOV_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode != 0 and "gridgov.E002" in result.stderr


def test_demo_is_refused_in_production(settings):
    from gridgov.demo.seed import DemoRefused, seed_demo

    settings.PRODUCTION = True
    with pytest.raises(DemoRefused):
        seed_demo()


def test_production_start_refuses_demo_accounts(settings, make_user):
    """An active demo account (the demo's logins are all marked so: demo/tests/test_seed.py)
    stops a production start."""
    from django.core.management import CommandError, call_command

    make_user(username="demo_grid", is_demo=True)
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="Demo accounts"):
        call_command("start", "--no-serve")


def test_pages_default_to_chinese_and_switch_to_english(org_tree, make_user):
    from django.test import Client

    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-Hans"' in page and "登录" in page and "用户名" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page and "User name" in page


def test_translations_are_complete_and_compiled():
    from pathlib import Path

    import polib
    from django.conf import settings

    po_path = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()
    compiled = polib.mofile(str(po_path.with_suffix(".mo")))
    assert {e.msgid for e in compiled} >= {e.msgid for e in po.translated_entries()}


def test_production_warns_about_unencrypted_database(tmp_path):
    result = _run_check(
        {
            "GRIDGOV_MODE": "production",
            "SECRET_KEY": "x" * 30 + "Y7#kq9ZpL2@vR5nW8$tB3mE6&cH1jF4",
            "GRIDGOV_KEY_FILE": str(tmp_path / "k.json"),
            "DATABASE_URL": "postgres://gridgov@db.example.gov.cn/gridgov",
            "REDIS_URL": "redis://cache.example.gov.cn:6379/0",
            "ALLOWED_HOSTS": "gridgov.example.gov.cn",
            "GRIDGOV_DATA_DIR": str(tmp_path),
        }
    )
    assert "gridgov.W003" in result.stderr and "gridgov.W004" in result.stderr


def test_session_cookie_flags(org_tree, make_user, client):
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="cookie")
    response = client.post(
        "/accounts/login/", {"username": "cookie", "password": "Gr1d-Test-Passw0rd!"}
    )
    cookie = response.cookies["gridgov_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_unexpected_errors_show_no_traceback(org_tree, make_user, login_client, monkeypatch):
    from gridgov.org import selectors

    client = login_client(make_user(Role.DISTRICT_STAFF, org_tree["d1"]))

    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "grid_list", boom)
    api = client.get("/api/v1/grids")
    assert api.status_code == 500 and api.json()["code"] == "server_error"
    assert "secret internals" not in api.content.decode()
    client.raise_request_exception = False
    page = client.get("/org/grids/")
    assert page.status_code == 500
    assert (
        "secret internals" not in page.content.decode() and "Traceback" not in page.content.decode()
    )


def test_forms_need_the_csrf_token(org_tree, make_user):
    from django.test import Client

    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="csrf")
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/accounts/login/", {"username": "csrf", "password": "Gr1d-Test-Passw0rd!"}
    )
    assert response.status_code == 403 and "Form expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_forwarded_proto_counts_only_from_trusted_proxies(settings):
    """A client claiming HTTPS in X-Forwarded-Proto gets no secure treatment (no HSTS, no
    escape from the HTTPS redirect) unless it is one of the configured proxies."""
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    def fetch(peer):
        return Client(REMOTE_ADDR=peer).get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    settings.GRIDGOV_TRUSTED_PROXIES = 0
    settings.GRIDGOV_TRUSTED_PROXY_NETWORKS = []
    spoofed = fetch("198.51.100.7")
    assert spoofed.status_code == 301 and spoofed["Location"].startswith("https://")

    # Proxies named by address: only their header counts.
    settings.GRIDGOV_TRUSTED_PROXY_NETWORKS = ["127.0.0.1/32", "10.9.0.0/24"]
    assert fetch("198.51.100.7").status_code == 301
    proxied = fetch("10.9.0.4")
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied

    # A proxy count (the app reachable only through them): the peer is the proxy.
    settings.GRIDGOV_TRUSTED_PROXY_NETWORKS = []
    settings.GRIDGOV_TRUSTED_PROXIES = 1
    assert fetch("127.0.0.1").status_code == 200


def test_client_address_behind_named_proxies(settings, rf):
    from gridgov.core.request_context import client_ip

    settings.GRIDGOV_TRUSTED_PROXIES = 0
    settings.GRIDGOV_TRUSTED_PROXY_NETWORKS = ["10.9.0.0/24"]
    forwarded = "10.1.2.3, 203.0.113.9, 10.9.0.5"
    # From a proxy: the right-most address that is not one of our proxies.
    request = rf.get("/", REMOTE_ADDR="10.9.0.4", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "203.0.113.9"
    # From anyone else the header is ignored.
    request = rf.get("/", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert client_ip(request) == "203.0.113.50"
