import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings_check(app_configs, **kwargs):
    errors = []
    if settings.PRODUCTION and settings.DEBUG:
        errors.append(Error("DEBUG must be off in production.", id="gridgov.E001"))
    if settings.PRODUCTION and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(Error("Production mode needs PostgreSQL (DATABASE_URL).", id="gridgov.E002"))
    if settings.PRODUCTION:
        errors.extend(_transport_encryption_warnings())
    return errors


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
