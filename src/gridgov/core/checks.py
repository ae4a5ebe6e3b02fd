"""Production checks: ``gridgov check --deploy`` fails on each gap that would weaken a
production installation (docs/operations.md lists them)."""

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Info, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

# Host names that only reach this machine, or Django's test client.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "testserver"}


@register()
def production_configuration_check(app_configs, **kwargs):
    """What production mode cannot run without; runs before every command (not only
    ``check --deploy``), so a missing variable is a clear message rather than a KeyError."""
    if not settings.PRODUCTION:
        return []
    errors = []
    try:
        secret_key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty one
        secret_key = ""
    if not secret_key:
        errors.append(
            Error(
                "SECRET_KEY is not set.",
                hint="Production mode needs a long random SECRET_KEY in the environment.",
                id="gridgov.E005",
            )
        )
    if settings.FIELD_KEY_FILE is None:
        errors.append(
            Error(
                "GRIDGOV_KEY_FILE is not set.",
                hint="Production mode needs the field key file, outside the data directory, "
                "readable only by GridGov (see docs/operations.md).",
                id="gridgov.E006",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def production_settings_check(app_configs, **kwargs):
    errors = []
    if settings.PRODUCTION and settings.DEBUG:
        errors.append(Error("DEBUG must be off in production.", id="gridgov.E001"))
    if settings.PRODUCTION and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(Error("Production mode needs PostgreSQL (DATABASE_URL).", id="gridgov.E002"))
    if settings.PRODUCTION:
        errors.extend(_transport_encryption_warnings())
        errors.extend(_key_file_errors())
        errors.extend(_allowed_hosts_errors())
        errors.extend(_demo_account_errors())
    return errors


def _key_file_errors():
    """SECURITY.md E2: the keys exist, only GridGov can read them, and they are not the
    key demo mode generated."""
    from gridgov.core.crypto import read_key_file

    if settings.FIELD_KEY_FILE is None:
        return []  # reported by production_configuration_check
    path = Path(settings.FIELD_KEY_FILE)
    if not path.is_file():
        return [
            Error(
                f"The field key file {path} (GRIDGOV_KEY_FILE) does not exist.",
                hint="Restore it from the key-management system; without it the personal "
                "data in the database cannot be read.",
                id="gridgov.E007",
            )
        ]
    errors = []
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        errors.append(
            Error(
                f"The field key file {path} can be read or written by other users (mode {mode:o}).",
                hint=f"chmod 600 {path}, owned by the account GridGov runs as.",
                id="gridgov.E008",
            )
        )
    data_dir = Path(settings.DATA_DIR).resolve()
    in_data_dir = path.resolve().is_relative_to(data_dir)
    try:
        demo_marked = bool(json.loads(path.read_text()).get("demo"))
    except (OSError, ValueError, AttributeError):
        demo_marked = False  # reported below
    if demo_marked or in_data_dir:
        message = (
            f"The field key file {path} is the demo key (made by demo mode)."
            if demo_marked
            else f"The field key file {path} lies in the data directory {data_dir}, where "
            "demo mode makes its key."
        )
        errors.append(
            Error(
                message,
                hint="Generate a new key file for production and keep it outside the data "
                "directory (which is backed up with the data): a key that has been on a demo "
                "machine is not secret.",
                id="gridgov.E009",
            )
        )
    try:
        read_key_file(path)
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="gridgov.E010"))
    return errors


def _allowed_hosts_errors():
    hosts = set(settings.ALLOWED_HOSTS)
    if "*" in hosts or not hosts - LOCAL_HOSTS:
        return [
            Error(
                "ALLOWED_HOSTS is left at its local defaults or allows any host "
                f"({', '.join(sorted(hosts)) or 'empty'}).",
                hint="Set ALLOWED_HOSTS to the names users reach GridGov by, e.g. "
                "gridgov.example.gov.cn.",
                id="gridgov.E011",
            )
        ]
    return []


def _demo_account_errors():
    """Demo accounts have published passwords: none may be active in production. Without a
    reachable database the check cannot tell (``gridgov start`` refuses them anyway)."""
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError

    User = get_user_model()

    try:
        demo = list(
            User.objects.filter(is_demo=True, is_active=True).values_list("username", flat=True)
        )
    except DatabaseError:
        return [
            Info(
                "Active demo accounts were not looked for: the database cannot be reached.",
                id="gridgov.I013",
            )
        ]
    if demo:
        return [
            Error(
                f"Demo accounts are active: {', '.join(sorted(demo)[:10])}.",
                hint="Disable them (Users and roles) before going live.",
                id="gridgov.E012",
            )
        ]
    return []


def _transport_encryption_warnings():
    """SECURITY.md E1: every connection leaving the machine is encrypted."""
    warnings = []
    database = settings.DATABASES["default"]
    host = database.get("HOST", "")
    local = host in {"", "localhost", "127.0.0.1", "::1"} or host.startswith("/")
    sslmode = database.get("OPTIONS", {}).get("sslmode")
    if not local and sslmode not in {"require", "verify-ca", "verify-full"}:
        warnings.append(
            Warning(
                "The database connection is not encrypted: add ?sslmode=verify-full "
                "to DATABASE_URL.",
                id="gridgov.W003",
            )
        )
    redis = os.environ.get("REDIS_URL", "")
    if redis and not redis.startswith("rediss://"):
        warnings.append(Warning("Use rediss:// (TLS) for REDIS_URL.", id="gridgov.W004"))
    return warnings


@register()
def map_base_layer_check(app_configs, **kwargs):
    """The map's base-layer settings (docs/maps.md): each problem is an error, so a broken
    configuration is found at start rather than by a user looking at a blank map."""
    from gridgov.core.maps import MapConfigError, parse_base_layer

    try:
        parse_base_layer(settings.GRIDGOV_MAP)
    except MapConfigError as exc:
        return [
            Error(problem, hint="See docs/maps.md.", id="gridgov.E120") for problem in exc.problems
        ]
    return []
