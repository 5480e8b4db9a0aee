"""Settings for every environment, read from the process environment (django-environ).

Embedded default: with ``DATABASE_URL`` unset the app uses a SQLite file under ``var/``; with
``CELERY_BROKER_URL``/``REDIS_URL`` unset, Celery tasks run in-process. Set both and the same
code runs on PostgreSQL with real workers. Every variable is documented in ``.env.example``.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class _Env(environ.Env):
    """``environ.Env`` where an empty value (``NAME=``, as in .env.example) means the default."""

    def get_value(
        self,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,
    ) -> Any:
        if default is not self.NOTSET and self.ENVIRON.get(var) == "":
            return self.parse_value(default, cast) if parse_default and default else default
        return super().get_value(var, cast=cast, default=default, parse_default=parse_default)


# Read .env first, so that every variable below (SALESALLOC_VAR_DIR included) can come from
# it. Variables already set in the process environment win over the file.
env = _Env()
ENV_FILE = Path(os.environ.get("SALESALLOC_ENV_FILE", str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

# Importing settings creates nothing on disk: salesalloc.core's AppConfig.ready() makes
# VAR_DIR (the SQLite file's folder) and STATIC_ROOT when they are missing.
VAR_DIR = Path(env.str("SALESALLOC_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-development-key-change-me-0123456789")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "salesalloc.core",
    "allocation",
    "customers",
    "performance",
    "salesalloc",  # the roof: pipeline, demo, cross-app commands (docs/architecture.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "salesalloc.core.outages.OutageMiddleware",
    "salesalloc.middleware.EmbeddedSweepMiddleware",
    "salesalloc.middleware.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesalloc.urls"
WSGI_APPLICATION = "salesalloc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "salesalloc.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'salesalloc.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets pages read while an import writes; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Memory per sort or hash of one query. The recompute's aggregations (a year of order
    # lines per salesperson x customer, say) spill to disk at PostgreSQL's default of 4MB;
    # "server" leaves the server's setting alone.
    _work_mem = env.str("SALESALLOC_PG_WORK_MEM", default="64MB")
    if _work_mem != "server":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c work_mem={_work_mem}"
# Dashboards and reports read from a replica when DATABASE_REPLICA_URL is set (DESIGN §9).
SALESALLOC_REPLICA_ALIAS = ""
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"].get("CONN_MAX_AGE", 0))
    SALESALLOC_REPLICA_ALIAS = "replica"
DATABASE_ROUTERS = ["salesalloc.core.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins (browser, admin, token endpoint) while an account or address is locked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the default)
# ignores the header and uses the connection's address. With N, the client is the N-th
# address from the right, so a client cannot choose its address by sending the header.
SALESALLOC_TRUSTED_PROXIES = env.int("SALESALLOC_TRUSTED_PROXIES", default=0)

# Sign-in throttling (django-axes, database handler: works while Redis is down). After
# SALESALLOC_LOGIN_FAILURE_LIMIT failures for one username (from any address), or from one
# address (for any usernames), sign-in is refused for SALESALLOC_LOGIN_COOLOFF_MINUTES after
# the last failure; the browser login and POST /api/v1/auth/token/ count alike.
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("SALESALLOC_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SALESALLOC_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success must not wipe the address's failures (that would let an attacker with one valid
# account reset the per-address count); failures age out with the cool-off instead.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "salesalloc.core.security.client_ip"
AXES_LOCKOUT_CALLABLE = "salesalloc.core.security.lockout_response"
AXES_IPWARE_PROXY_COUNT = SALESALLOC_TRUSTED_PROXIES
AXES_VERBOSE = False

# API tokens (django-rest-knox): stored hashed, expire, several per user, revocable with
# DELETE /api/v1/auth/token/; a password change revokes all of a user's tokens.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("SALESALLOC_TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SALESALLOC_TOKENS_PER_USER = env.int("SALESALLOC_TOKENS_PER_USER", default=20)

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "salesalloc.core.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "salesalloc.core.api.StandardPagination",
    "PAGE_SIZE": 50,
    # No global OrderingFilter: ?ordering= would let clients sort by any serializer field,
    # personal data included. Views that want sorting declare it with ordering_fields.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "salesalloc.core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("SALESALLOC_ANON_THROTTLE", default="60/minute")},
    "NUM_PROXIES": SALESALLOC_TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "salesalloc API",
    "DESCRIPTION": (
        "Sales target allocation: org tree, targets, actuals and order imports. "
        "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Token <key>`. "
        "Money is a decimal string, dates are ISO 8601, months are `YYYY-MM`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AlertStatusEnum": "performance.alerts.models.Alert.Status",
        "AlertLevelEnum": "performance.alerts.models.Alert.Level",
        "AlertKindEnum": "performance.alerts.models.Alert.Kind",
        "StatusEnum": "customers.models.ImportJob.Status",
        "CommissionPeriodEnum": "performance.commissions.models.CommissionPlan.Period",
        "CommissionModeEnum": "performance.commissions.models.CommissionPlan.Mode",
        "ScorecardPeriodEnum": "performance.scorecards.models.ScorecardTemplate.Period",
        "ImportModeEnum": "customers.models.ImportJob.Mode",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "salesalloc.core.schema.add_error_responses",
    ],
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
# No broker: run tasks in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_EXPIRES = 24 * 3600
# Hard and soft limits for every task (tasks may set lower ones of their own).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=55 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT",
    default=CELERY_TASK_TIME_LIMIT - min(5 * 60, max(CELERY_TASK_TIME_LIMIT // 10, 1)),
)
# Redis hands an unacknowledged message (acks_late tasks whose worker died) to another worker
# after this many seconds. It must exceed the hard time limit, or a long task that is still
# running would be delivered twice (checked below and by the core.E001 system check).
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=2 * 3600)
if CELERY_BROKER_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_VISIBILITY_TIMEOUT ({CELERY_BROKER_VISIBILITY_TIMEOUT}s) must be above "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}s)."
    )
# A broker that is down must fail a request within a few seconds (HTTP 503), not hang it.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.5)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
# One retry: a request that queues work gives up after about two connect timeouts.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# --- Crash recovery (salesalloc.core.heartbeat, the sweepers in each app) -------------------
# A running import or recompute refreshes its heartbeat every SALESALLOC_HEARTBEAT_SECONDS;
# after SALESALLOC_STALE_SECONDS without one its worker is taken as dead and the sweeper
# (every SALESALLOC_SWEEP_SECONDS) resumes it, up to SALESALLOC_RECOVERY_MAX_ATTEMPTS starts,
# then fails it with a message and a retry button. A job still queued after
# SALESALLOC_QUEUED_STALE_SECONDS (its message lost) is sent again.
SALESALLOC_HEARTBEAT_SECONDS = env.float("SALESALLOC_HEARTBEAT_SECONDS", default=15)
SALESALLOC_STALE_SECONDS = env.int("SALESALLOC_STALE_SECONDS", default=120)
SALESALLOC_QUEUED_STALE_SECONDS = env.int("SALESALLOC_QUEUED_STALE_SECONDS", default=15 * 60)
SALESALLOC_SWEEP_SECONDS = env.int("SALESALLOC_SWEEP_SECONDS", default=60)
SALESALLOC_RECOVERY_MAX_ATTEMPTS = env.int("SALESALLOC_RECOVERY_MAX_ATTEMPTS", default=3)
if SALESALLOC_STALE_SECONDS <= 2 * SALESALLOC_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("SALESALLOC_STALE_SECONDS must exceed two heartbeat intervals.")
# Testing only (the crash tests): sleep this long inside each import's write transaction and
# in each recompute step, so a test can kill the worker mid-way. Keep 0.
SALESALLOC_TEST_PAUSE_SECONDS = env.float("SALESALLOC_TEST_PAUSE_SECONDS", default=0)
CELERY_BEAT_SCHEDULE = {
    "nightly-recompute": {
        "task": "salesalloc.recompute_all",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 3600},
    },
    "sweep-stale-work": {
        "task": "salesalloc.sweep_stale_work",
        "schedule": timedelta(seconds=SALESALLOC_SWEEP_SECONDS),
        "options": {"expires": SALESALLOC_SWEEP_SECONDS},
    },
}
# Without a broker, background work (imports, recomputes) runs on one thread of the web
# process, so requests return at once and the browser can show progress.
SALESALLOC_BACKGROUND_THREAD = env.bool(
    "SALESALLOC_BACKGROUND_THREAD", default=not CELERY_BROKER_URL
)

# --- Imports ----------------------------------------------------------------------------------
SALESALLOC_IMPORT_MAX_BYTES = env.int("SALESALLOC_IMPORT_MAX_BYTES", default=256 * 1024 * 1024)
SALESALLOC_IMPORT_MAX_ERRORS = env.int("SALESALLOC_IMPORT_MAX_ERRORS", default=10_000)
SALESALLOC_IMPORT_CHUNK_ROWS = env.int("SALESALLOC_IMPORT_CHUNK_ROWS", default=100_000)
# From this many lines on, PostgreSQL imports check foreign keys once, set-based, instead of
# per row (the order tables are locked exclusively until such an import commits).
SALESALLOC_IMPORT_BULK_ROWS = env.int("SALESALLOC_IMPORT_BULK_ROWS", default=200_000)

# --- Uploaded files: bounds checked before a sheet or CSV is expanded ------------------------
# (salesalloc/core/filelimits.py; imports and plan-sheet uploads alike). A sheet's grid is
# counted from A1 to its farthest cell, so one cell at XFD1048576 is 17 billion cells.
SALESALLOC_SHEET_MAX_ROWS = env.int("SALESALLOC_SHEET_MAX_ROWS", default=1_048_576)
SALESALLOC_SHEET_MAX_COLUMNS = env.int("SALESALLOC_SHEET_MAX_COLUMNS", default=256)
SALESALLOC_SHEET_MAX_CELLS = env.int("SALESALLOC_SHEET_MAX_CELLS", default=5_000_000)
SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES = env.int(
    "SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES", default=256 * 1024 * 1024
)
SALESALLOC_XLSX_MAX_MEMBER_BYTES = env.int(
    "SALESALLOC_XLSX_MAX_MEMBER_BYTES", default=200 * 1024 * 1024
)
SALESALLOC_XLSX_MAX_COMPRESSION_RATIO = env.int(
    "SALESALLOC_XLSX_MAX_COMPRESSION_RATIO", default=100
)
SALESALLOC_CSV_MAX_LINES = env.int("SALESALLOC_CSV_MAX_LINES", default=2_000_000)
SALESALLOC_CSV_MAX_LINE_BYTES = env.int("SALESALLOC_CSV_MAX_LINE_BYTES", default=64 * 1024)
# An edited plan sheet (the editor's XLSX upload), before it is unpacked.
# The company's currency (ISO 4217) when its top org unit names none: new plans default to it.
SALESALLOC_CURRENCY = env.str("SALESALLOC_CURRENCY", default="CNY").upper()
SALESALLOC_PLAN_UPLOAD_MAX_BYTES = env.int(
    "SALESALLOC_PLAN_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024
)

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security headers -------------------------------------------------------------------------
# Content-Security-Policy on every environment (the tests and the browser tests run with it):
# scripts and styles only from our own static files, no inline code, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "salesalloc.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SALESALLOC_RECOMPUTE_CHUNKS = env.int("SALESALLOC_RECOMPUTE_CHUNKS", default=1)
# Attainment figures are cached per viewer until the next recompute (0 = no cache).
SALESALLOC_TRACKING_CACHE_SECONDS = env.int("SALESALLOC_TRACKING_CACHE_SECONDS", default=600)
# Risk alert thresholds (DESIGN §6); the dashboard colours its bands by the pace ones.
SALESALLOC_ALERT_PACE_WARNING = env.str("SALESALLOC_ALERT_PACE_WARNING", default="0.90")
SALESALLOC_ALERT_PACE_CRITICAL = env.str("SALESALLOC_ALERT_PACE_CRITICAL", default="0.75")
SALESALLOC_ALERT_FORECAST_SHORTFALL = env.str("SALESALLOC_ALERT_FORECAST_SHORTFALL", default="0.95")
SALESALLOC_ALERT_TOP_CUSTOMER_SHARE = env.str("SALESALLOC_ALERT_TOP_CUSTOMER_SHARE", default="0.50")
SALESALLOC_ALERT_HHI = env.str("SALESALLOC_ALERT_HHI", default="0.25")
SALESALLOC_ALERT_UNACKNOWLEDGED_DAYS = env.int("SALESALLOC_ALERT_UNACKNOWLEDGED_DAYS", default=7)
# Rise of the share of a salesperson's trailing revenue from customers in the At risk /
# Can't lose / Hibernating / Lost segments between the two latest tier snapshots.
SALESALLOC_ALERT_AT_RISK_SHIFT = env.str("SALESALLOC_ALERT_AT_RISK_SHIFT", default="0.10")
SALESALLOC_ALERT_AT_RISK_SHIFT_CRITICAL = env.str(
    "SALESALLOC_ALERT_AT_RISK_SHIFT_CRITICAL", default="0.25"
)

# --- E-mail (notifications): printed to the console unless SMTP is configured ----------------
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="salesalloc@localhost")
# Links in e-mails start with this address.
SALESALLOC_SITE_URL = env.str("SALESALLOC_SITE_URL", default="http://localhost:8000")
