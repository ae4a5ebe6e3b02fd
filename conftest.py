"""Shared test fixtures: an org tree with two districts, users per role, a log capture
that fails the run if personal data, passwords or codes reach any log line."""

from __future__ import annotations

import logging
import os
import re

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

TEST_PASSWORD = "Gr1d-Test-Passw0rd!"
SECRET_MARKERS = [TEST_PASSWORD, "Gr1d-New-Passw0rd?"]
_ID_RE = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
_PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 (same algorithm and prefix) with small costs so the suite stays quick."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


class _CaptureHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not break the run
            self.lines.append(str(record.msg))


LOG_CAPTURE = _CaptureHandler()


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["conftest.FastArgon2PasswordHasher"]
    # Background tasks run inline in tests (the database worker is exercised by the
    # `run_import` command tests).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    from django.tasks import task_backends

    task_backends._settings = None
    task_backends.__dict__.pop("settings", None)
    root = logging.getLogger()
    root.addHandler(LOG_CAPTURE)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    _keep_whitenoise_scans()


def _keep_whitenoise_scans() -> None:
    """WhiteNoise reads every collected static file (stat and headers) when a handler
    loads its middleware, and every test client loads its own: a tenth of a second per
    test. The files are collected once per run, so each scan is kept for the same root and
    options; any settings change drops them."""
    from django.test.signals import setting_changed
    from whitenoise.base import WhiteNoise

    scan = WhiteNoise.update_files_dictionary
    kept: dict[tuple, dict] = {}

    def update_files_dictionary(self, root, prefix):
        key = (root, prefix, self.max_age, self.allow_all_origins, self.charset)
        immutable = self.immutable_file_test  # a method of the middleware unless set
        key += (
            self.index_file,
            self.add_headers_function,
            getattr(immutable, "__func__", immutable),
        )
        if key not in kept:
            before, self.files = self.files, {}
            try:
                scan(self, root, prefix)
                kept[key] = self.files
            finally:
                self.files = {**before, **self.files}
        else:
            self.files.update(kept[key])

    WhiteNoise.update_files_dictionary = update_files_dictionary
    setting_changed.connect(lambda **kwargs: kept.clear(), weak=False)


def pytest_sessionfinish(session, exitstatus):
    """SECURITY.md D3: no ID number, phone number or test password in any log line."""
    leaks = [
        line
        for line in LOG_CAPTURE.lines
        if _ID_RE.search(line)
        or _PHONE_RE.search(line)
        or any(marker in line for marker in SECRET_MARKERS)
    ]
    if leaks:
        print(f"\nPERSONAL DATA OR SECRETS IN LOGS ({len(leaks)} lines), first: {leaks[0][:300]}")
        session.exitstatus = 1
    else:
        print(f"\nlog scan: {len(LOG_CAPTURE.lines)} log lines, no personal data or secrets")


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Pages name fingerprinted assets from collectstatic's manifest: collect (only when the
    sources changed) before the first test, as `gridgov start` does."""
    from gridgov.core.staticfiles import collectstatic_if_changed

    collectstatic_if_changed()


# Org tree -------------------------------------------------------------------------


def _square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def build_org_tree() -> dict:
    """Two districts of Shanghai; each with one street, one community and two grids.

    Keys: province, city, d1, d2, s1, s2, c1, c2, g1a, g1b, g2a, g2b.
    """
    from gridgov.org.models import Grid, OrgUnit

    L = OrgUnit.Level
    units: dict[str, OrgUnit] = {}

    def add(key, code, name, level, parent_key=None):
        parent = units.get(parent_key)
        units[key] = OrgUnit.objects.create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            path=f"{parent.path if parent else ''}{code}/",
        )
        return units[key]

    add("province", "31", "上海市", L.PROVINCE)
    add("city", "3101", "市辖区", L.CITY, "province")
    add("d1", "310104", "徐汇区", L.DISTRICT, "city")
    add("d2", "310105", "长宁区", L.DISTRICT, "city")
    add("s1", "310104003", "天平路街道", L.STREET, "d1")
    add("s2", "310105001", "华阳路街道", L.STREET, "d2")
    add("c1", "310104003001", "宛平南路社区", L.COMMUNITY, "s1")
    add("c2", "310105001001", "华阳社区", L.COMMUNITY, "s2")
    for key, code, parent, lon in [
        ("g1a", "310104003001001", "c1", 121.40),
        ("g1b", "310104003001002", "c1", 121.41),
        ("g2a", "310105001001001", "c2", 121.50),
        ("g2b", "310105001001002", "c2", 121.51),
    ]:
        unit = add(key, code, f"网格{code[-3:]}", L.GRID, parent)
        boundary = _square(lon, 31.20)
        Grid.objects.create(
            unit=unit,
            boundary=boundary,
            household_count=400,
            min_lon=lon,
            min_lat=31.20,
            max_lon=lon + 0.01,
            max_lat=31.21,
        )
    return units


def new_user(role=None, unit=None, username=None, **fields):
    """A ready user (password set, no forced change), with a membership when ``role``."""
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User

    user = User(
        username=username,
        must_change_password=False,
        password_changed_at=timezone.now(),
        **fields,
    )
    user.set_password(TEST_PASSWORD)
    user.save()
    if role:
        Membership.objects.create(user=user, role=role, org_unit=unit)
    return user


@pytest.fixture
def org_tree(db):
    """The org tree of ``build_org_tree``."""
    return build_org_tree()


@pytest.fixture
def make_user(db):
    """make_user(role, unit, username=None) → a ready user (password set, no forced change)."""
    counter = {"n": 0}

    def factory(role=None, unit=None, username=None, **fields):
        counter["n"] += 1
        return new_user(role, unit, username or f"user{counter['n']}_{role or 'none'}", **fields)

    return factory


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """Data built once for a whole module: inside a transaction rolled back when the module
    ends; each test of the module runs in a savepoint of it (pytest-django's ``db``), so
    what a test writes is gone before the next. Use for a large read-mostly fixture world."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="session")
def demo_district(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo district, seeded once per run and committed, as `gridgov start`
    seeds it. The tests that use it run last (``pytest_collection_modifyitems``), so no
    test after them expects an empty database; each runs in a transaction rolled back."""
    from django.test import override_settings

    from gridgov.demo.seed import seed_demo

    with override_settings(DATA_DIR=tmp_path_factory.mktemp("demo")):
        with django_db_blocker.unblock():
            seed_default_catalogues()  # a transactional test's flush may have taken them
            seed_demo()
        yield


def pytest_collection_modifyitems(config, items):
    """The tests on the committed demo district (``demo_district``) run last."""
    items.sort(key=lambda item: "demo_district" in getattr(item, "fixturenames", ()))


def settle_deferred_constraints() -> None:
    """Check a module world's deferred foreign keys once, in the module's transaction.
    Unchecked, every test's teardown checks them again (Django checks constraints before it
    rolls a test back, and on PostgreSQL the rollback to the test's savepoint puts the
    world's pending checks back): seconds per test for a large world."""
    from django.db import connection

    connection.check_constraints()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Service-level messages in English, so tests can quote them."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Test client speaking English, so assertions can quote messages; the product's
    default language (zh-Hans) is covered by tests that ask for it explicitly."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def login_client(client):
    """login_client(user) → a Django test client with a session of that user."""
    from gridgov.accounts.middleware import SESSION_SEEN, SESSION_STARTED

    def factory(user, c=None):
        import time

        c = c or client
        c.force_login(user)
        session = c.session
        session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()
        session.save()
        return c

    return factory


@pytest.fixture(autouse=True)
def _audit_triggers_for_transactional_tests(request):
    """Transactional tests end with a flush (DELETE/TRUNCATE of every table), which the
    append-only triggers (audit records, ledger entries) refuse: lift them for that flush."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "live_server" in request.fixturenames
        or "transactional_db" in (request.fixturenames)
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    from gridgov.audit import triggers
    from gridgov.core import ledger_triggers

    triggers.create(connection)
    ledger_triggers.create(connection)
    yield
    triggers.lift(connection)
    ledger_triggers.lift(connection)


@pytest.fixture(autouse=True)
def _default_catalogues(request):
    """Catalogues seeded by data migrations (special-population tags, event categories, visit
    indicators, the chat groups' indicator set) are wiped by the flush that ends a
    transactional test; put them back for every database test."""
    if not any(name in request.fixturenames for name in ("db", "transactional_db")) and (
        request.node.get_closest_marker("django_db") is None
    ):
        yield
        return
    request.getfixturevalue(
        "db" if "transactional_db" not in request.fixturenames else "transactional_db"
    )
    seed_default_catalogues()
    yield


def seed_default_catalogues() -> None:
    """The catalogues the data migrations seed, put back where a flush wiped them."""
    import importlib

    from gridgov.people.models import TagCategory

    tags = importlib.import_module("gridgov.people.migrations.0002_default_tags")
    TagCategory.objects.bulk_create(
        [
            TagCategory(code=code, name=name, sensitivity=sensitivity, derived=derived, sort=i * 10)
            for i, (code, name, sensitivity, derived) in enumerate(tags.DEFAULT_TAGS)
        ],
        ignore_conflicts=True,
    )
    from gridgov.events.catalogue import load_seed_categories
    from gridgov.events.models import Category

    load_seed_categories(Category)
    from gridgov.visits.catalogue import load_seed_indicators
    from gridgov.visits.models import Indicator, IndicatorCategory

    if not Indicator.objects.exists():  # wiped by a transactional test's flush
        load_seed_indicators(IndicatorCategory, Indicator)
    from gridgov.lists.catalogue import load_seed_categories as load_need_categories
    from gridgov.lists.models import NeedCategory

    load_need_categories(NeedCategory)
    from gridgov.groups.catalogue import load_indicator_set_v1
    from gridgov.groups.models import IndicatorSet

    load_indicator_set_v1(IndicatorSet)


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """The shared cache of an installation: the database cache (default) or Redis (with
    REDIS_URL; here 127.0.0.1:6379 database 14, or GRIDGOV_TEST_REDIS_CACHE_URL). Keys get a
    per-test prefix, so parallel runs do not see each other's counters."""
    if request.param == "redis":
        import uuid

        from redis import Redis
        from redis.exceptions import ConnectionError as RedisDown

        url = os.environ.get("GRIDGOV_TEST_REDIS_CACHE_URL", "redis://127.0.0.1:6379/14")
        try:
            Redis.from_url(url).ping()
        except RedisDown:
            if os.environ.get("CI") == "true":
                raise
            pytest.skip(f"no Redis at {url}")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"gridgov-test-{uuid.uuid4().hex}",
            }
        }
    return request.param
