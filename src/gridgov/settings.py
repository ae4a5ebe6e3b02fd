"""GridGov settings, read from the environment (no secrets in the repository).

Modes: ``GRIDGOV_MODE=demo`` (default: SQLite in the data directory, demo district,
demo logins) or ``GRIDGOV_MODE=production`` (every secret from the environment,
HTTPS-only cookies, HSTS, demo accounts refused).
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BASE_DIR.parent.parent

MODE = os.environ.get("GRIDGOV_MODE", "demo")
if MODE not in {"demo", "production"}:
    raise RuntimeError(f"GRIDGOV_MODE must be 'demo' or 'production', not {MODE!r}")
PRODUCTION = MODE == "production"

DATA_DIR = Path(os.environ.get("GRIDGOV_DATA_DIR", PROJECT_ROOT / "var")).resolve()


def _demo_secret(name: str, nbytes: int = 48) -> str:
    """A per-installation secret kept in the data directory (demo mode only)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


# In production a missing SECRET_KEY or GRIDGOV_KEY_FILE is reported by the system checks
# (core/checks.py) with what to set, instead of failing here with a KeyError.
if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _demo_secret("secret_key")

DEBUG = os.environ.get("GRIDGOV_DEBUG", "") == "1" and not PRODUCTION
LOCAL_ALLOWED_HOSTS = "127.0.0.1,localhost,testserver"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", LOCAL_ALLOWED_HOSTS).split(",") if h.strip()
]

# Field-encryption keys live outside the database (SECURITY.md E2). Demo mode generates a
# key file in the data directory; production names its own (None: not set).
FIELD_KEY_FILE: Path | None = (
    Path(os.environ["GRIDGOV_KEY_FILE"])
    if os.environ.get("GRIDGOV_KEY_FILE")
    else (None if PRODUCTION else DATA_DIR / "field_keys.json")
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "gridgov.core",
    "gridgov.audit",
    "gridgov.org",
    "gridgov.accounts",
    "gridgov.people",
    "gridgov.events",
    "gridgov.visits",
    "gridgov.lists",
    "gridgov.participation",
    "gridgov.groups",
    "gridgov.operations",
    "gridgov.residents",
    "gridgov.kpis",
    "gridgov.backups",
    "gridgov.demo",
]

MIDDLEWARE = [
    # First: X-Forwarded-Proto counts only from our own proxies, before anything asks
    # whether the request is secure.
    "gridgov.core.middleware.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads a form post or a query string (CSRF reads the post).
    "gridgov.core.middleware.InputTextMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.accounts.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gridgov.core.middleware.GridGovErrorMiddleware",
    "gridgov.core.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'gridgov.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short OLTP queries: JIT compilation costs more than it saves.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL + immediate transactions: concurrent readers, no "database is locked"
        # on upgrade from a read to a write lock.
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A streaming replica for dashboards and reports (see core/replica.py); tests mirror it.
if os.environ.get("GRIDGOV_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["GRIDGOV_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": 2,
    }
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["gridgov.core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "gridgov.accounts.passwords.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "gridgov.accounts.passwords.PasswordHistoryValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"

# Sessions live in the database so several app processes share them.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_NAME = "gridgov_session"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "gridgov.core.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static assets (docs/operations.md): `collectstatic` (run by `gridgov start` and the test
# set-up) writes fingerprinted, Brotli- and gzip-compressed files that WhiteNoise serves
# with a one-year immutable cache. Of the npm packages only the files pages load are taken.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
_NODE_MODULES = PROJECT_ROOT / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"]
GRIDGOV_VENDOR_ASSETS = {
    "vendor/bootstrap": (
        _NODE_MODULES / "bootstrap" / "dist",
        [
            "css/bootstrap.min.css",
            "css/bootstrap.min.css.map",
            "js/bootstrap.bundle.min.js",
            "js/bootstrap.bundle.min.js.map",
        ],
    ),
    "vendor/echarts": (_NODE_MODULES / "echarts" / "dist", ["echarts.min.js"]),
    # The offline shell (core/offline.py): Workbox in the service worker, idb in the pages.
    **{
        f"vendor/workbox-{name}": (
            _NODE_MODULES / f"workbox-{name}" / "build",
            [f"workbox-{name}.prod.js", f"workbox-{name}.prod.js.map"],
        )
        for name in ("core", "routing", "strategies", "precaching")
    },
    "vendor/idb": (_NODE_MODULES / "idb" / "build", ["umd.js"]),
    "vendor/leaflet": (
        _NODE_MODULES / "leaflet" / "dist",
        [
            "leaflet.js",
            "leaflet.js.map",
            "leaflet.css",
            # leaflet.css refers to these; the fingerprinting storage needs them present.
            "images/layers.png",
            "images/layers-2x.png",
            "images/marker-icon.png",
            "images/marker-icon-2x.png",
            "images/marker-shadow.png",
        ],
    ),
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "gridgov.core.staticfiles.VendorFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# GRIDGOV_DEBUG=1: unfingerprinted names, served from the sources as they are edited.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Security headers (SECURITY.md G6): scripts only from this origin, no framing.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # ECharts and Bootstrap set element styles at run time.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Maps (docs/maps.md): the base layer is an intranet tile service (XYZ or WMTS URL template),
# an offline tile file GridGov serves (PMTiles or MBTiles), or neither (the grid layer alone);
# each in its coordinate system. Parsed and checked by core/maps.py.
GRIDGOV_MAP = {
    key: os.environ.get(f"GRIDGOV_MAP_{key}", "")
    for key in (
        "TILES_URL",
        "TILES_FILE",
        "TILES_CRS",
        "TILES_LABELS_URL",
        "TILES_SUBDOMAINS",
        "TILES_NAME",
        "TILES_MAX_ZOOM",
    )
}
# Tiles of the offline file requested without signing in (the public report page), per
# address and minute; signed-in users are not counted.
GRIDGOV_MAP_PUBLIC_TILES_PER_MINUTE = int(
    os.environ.get("GRIDGOV_MAP_PUBLIC_TILES_PER_MINUTE", "600")
)
from gridgov.core.maps import csp_origins  # noqa: E402

SECURE_CSP["img-src"] += csp_origins(GRIDGOV_MAP)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind a TLS-terminating proxy; ProxyHeadersMiddleware drops the header unless the request
# comes from a configured proxy (GRIDGOV_TRUSTED_PROXIES).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Background work (imports, reports, training): Django's tasks API. With REDIS_URL the queue
# is in Redis (RQ), worked by any number of `gridgov rqworker --job-class django_tasks_rq.Job`
# processes on any machine; without it, in the database, worked by `gridgov db_worker`.
# `gridgov start` starts two workers of either kind. GRIDGOV_TASKS_IMMEDIATE=1 runs tasks
# inline (tests).
TASKS = {
    "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    if os.environ.get("GRIDGOV_TASKS_IMMEDIATE") == "1"
    else {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django_tasks_db.DatabaseBackend"}
}
# The Redis queue of the RQ backend; a report or an import may run for an hour.
RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", ""), "DEFAULT_TIMEOUT": 3600}}
UPLOAD_DIR = DATA_DIR / "uploads"
EXPORT_DIR = DATA_DIR / "exports"
# Who tells reporters about their events: one class per gateway (SMS, WeChat); the logging
# sender writes one log line per message (demo and tests).
GRIDGOV_NOTIFY_SENDERS = [
    s.strip()
    for s in os.environ.get(
        "GRIDGOV_NOTIFY_SENDERS", "gridgov.core.notifications.LoggingSender"
    ).split(",")
    if s.strip()
]

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "gridgov_cache",
        }
    )
}

# Logs never carry personal data; a filter masks ID and phone numbers defensively.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "gridgov.core.masking.MaskPersonalDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_pii"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Network allow-list for administration (SECURITY.md C6): every page and API operation that
# needs an administration permission (core/permissions.py). Empty = anywhere.
GRIDGOV_ADMIN_NETWORKS = [
    n.strip() for n in os.environ.get("GRIDGOV_ADMIN_NETWORKS", "").split(",") if n.strip()
]
# The reverse proxies in front of the app, as their addresses or networks ("10.9.0.4,
# 10.9.1.0/24": only they may set X-Forwarded-For and X-Forwarded-Proto) or as a number (the
# app is reachable only through that many proxies). 0 = none: both headers are ignored.
_proxies = os.environ.get("GRIDGOV_TRUSTED_PROXIES", "0").strip()
GRIDGOV_TRUSTED_PROXIES = int(_proxies) if _proxies.isdigit() else 0
GRIDGOV_TRUSTED_PROXY_NETWORKS = (
    [] if _proxies.isdigit() else [n.strip() for n in _proxies.split(",") if n.strip()]
)
# Backups (docs/operations.md, Backups): `gridgov backup` seals each backup with the backup
# key, a key file of its own (never the field key file); the field key file is sealed into a
# separate file in GRIDGOV_BACKUP_KEYS_DIR. The media folders of DATA_DIR that the database
# refers to go into the backup with it.
GRIDGOV_BACKUP_DIR = Path(os.environ.get("GRIDGOV_BACKUP_DIR") or DATA_DIR / "backups")
GRIDGOV_BACKUP_KEYS_DIR = Path(os.environ.get("GRIDGOV_BACKUP_KEYS_DIR") or GRIDGOV_BACKUP_DIR)
GRIDGOV_BACKUP_KEY_FILE = (
    Path(os.environ["GRIDGOV_BACKUP_KEY_FILE"])
    if os.environ.get("GRIDGOV_BACKUP_KEY_FILE")
    else None
    if PRODUCTION
    else DATA_DIR / "backup_key.json"
)
GRIDGOV_BACKUP_MEDIA = [
    "event_photos",
    "visit_attachments",
    "topic_documents",
    "group_evidence",
    "reports",
]
# Uploaded files kept encrypted at rest (core/attachments.py); `attachments_encrypt` walks these.
GRIDGOV_ATTACHMENT_FOLDERS = [
    "event_photos",
    "visit_attachments",
    "topic_documents",
    "group_evidence",
    "chat_exports",
]
# PostgreSQL client tools (pg_dump, pg_restore, psql) of the server's version; default:
# Debian's /usr/lib/postgresql/<server version>/bin, else PATH.
GRIDGOV_PG_BIN_DIR = os.environ.get("GRIDGOV_PG_BIN_DIR", "")

# Audit trail partitioning: one hash chain per district (see docs/audit.md).
GRIDGOV_AUDIT_CHAIN_LEVEL = "district"
