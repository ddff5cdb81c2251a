"""Settings for the error portal, read from the environment.

One module for every environment: development, tests, CI and production differ only in
their environment variables (see `.env.example` and docs/deployment.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalised = value.strip().lower()
    if normalised in {"1", "true", "yes", "on"}:
        return True
    if normalised in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: use 1 or 0.")


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set DJANGO_SECRET_KEY to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG=1"
elif not DEBUG and ("change-me" in SECRET_KEY or len(set(SECRET_KEY)) < 5):
    # .env.example's placeholder is public: a server started with it signs sessions and
    # CSRF tokens with a key everyone has (issue 13).
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is the placeholder of .env.example (or no key at all): set it to "
        "a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else ""
)

# SQLite has no covering indexes: the codes' key and service indexes (errors.models
# .ErrorCode) are plain ones there, the columns they hold on PostgreSQL left out.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "errors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.request_ids.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Repeated API reads answered from memory, as cheaply as WhiteNoise's files.
    "errors.api.answers.AnswerMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A page cache of DATABASE_SQLITE_CACHE_MB (64) per connection, not SQLite's 2 MB: a
    # search joins a thousand matches to the code index by id, which a 2 MB cache read back
    # from the operating system page by page (6.1 -> 4.9 ms for `payment` at 100,000
    # codes). It fills only as pages are read, and persists with the connection.
    cache_kib = 1024 * max(1, int(os.environ.get("DATABASE_SQLITE_CACHE_MB", "64")))
    # WAL lets readers go on while a write (an import, an admin save) is under way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        f"PRAGMA cache_size=-{cache_kib};",
        "transaction_mode": "IMMEDIATE",
    }
    # Connections persist as on PostgreSQL (DATABASE_CONN_MAX_AGE): opening one per request
    # (Django registers its SQL functions and runs the PRAGMAs each time) cost two thirds
    # of a cached API answer. An idle connection holds no read transaction in autocommit,
    # so the catalog version each request reads is still the latest commit.
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that stops answering (a black hole: the connection stays open) must fail a
    # request in seconds, so that the 503 path runs, instead of holding every worker until
    # gunicorn kills it (issue 13). Seconds; 0 turns a limit off.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")),
            # Unacknowledged data on the socket for this long closes it (libpq, in ms).
            "tcp_user_timeout": 1000 * int(os.environ.get("DATABASE_IO_TIMEOUT", "15")),
            "keepalives": 1,
            "keepalives_idle": 30,
            "options": "-c statement_timeout="
            + str(1000 * int(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "30"))),
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            # Compressed, content-hashed names need `collectstatic` first; development
            # and tests serve the files as they are.
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every API error is an RFC 9457 problem documented in the `portal` catalog.
    "EXCEPTION_HANDLER": "errors.api.exceptions.exception_handler",
    # `?format=yaml` is a parameter of the catalog endpoint, not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}

# Requests per client to the API, e.g. "100/minute"; empty (the default) means no limit,
# because a log pipeline calling identify in a loop is a legitimate client.
PORTAL_API_RATE = os.environ.get("PORTAL_API_RATE", "").strip()
if PORTAL_API_RATE and not re.fullmatch(r"\d+/(second|minute|hour|day|[smhd])", PORTAL_API_RATE):
    raise ImproperlyConfigured(
        f"PORTAL_API_RATE={PORTAL_API_RATE!r} is not a rate: write it as 100/minute "
        "(per second, minute, hour or day), or leave it empty for no limit."
    )
# How often (seconds) a process re-reads the catalog fingerprint behind API ETags and
# identify's cached matchers; writes in this process are seen at once.

SPECTACULAR_SETTINGS = {
    "TITLE": "Error portal API",
    "DESCRIPTION": "Look up, search and identify the error codes of the company's APIs.",
    "VERSION": "1.0.0",
    # The interactive reference at /api/docs/ loads Swagger UI from local static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"RejectedCode": "errors.api.serializers.REJECTED_CODES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "errors.api.schema.add_catalog_components",
        "errors.api.schema.require_request_bodies",
        # issue 14: public reads show no lock in /api/docs/.
        "errors.api.schema.public_reads_without_lock",
    ],
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.request_ids.RequestIdLogFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# --------------------------------------------------------------------------- production
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto only when told to.
if env_bool("DJANGO_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# The largest request body any view or API parser reads (2.5 MB); more answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PORTAL_MAX_BODY_BYTES", "2621440"))
# A load balancer probes over plain HTTP: its probes answer, not redirect (issue 13).
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Content Security Policy: the pages load only their own static files and run no inline
# script, so a strict policy holds.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware"),
                  "csp.middleware.CSPMiddleware")  # fmt: skip

# Failing soft: a database that cannot be reached answers 503, not a traceback.
MIDDLEWARE.insert(0, "portal.failures.DatabaseUnavailableMiddleware")
# Chunked request bodies (no Content-Length) are read, within the size limit (issue 13).
MIDDLEWARE.insert(MIDDLEWARE.index("portal.request_ids.RequestIdMiddleware") + 1,
                  "portal.request_limits.ChunkedBodyMiddleware")  # fmt: skip
MIDDLEWARE.insert(MIDDLEWARE.index("portal.request_limits.ChunkedBodyMiddleware") + 1,
                  "portal.request_limits.NulCharacterMiddleware")  # fmt: skip

if REDIS_URL:
    # django-redis, told to swallow and log connection errors: with Redis down the portal
    # serves from the database (a cache miss), and says so in the log.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "TIMEOUT": int(os.environ.get("PORTAL_CACHE_SECONDS", "3600")),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "portal.cache"

# Access: with PORTAL_REQUIRE_LOGIN every page and API route needs a signed-in user or an
# API token. PORTAL_SSO_HEADER names a header a trusted proxy sets to the user name.
PORTAL_REQUIRE_LOGIN = env_bool("PORTAL_REQUIRE_LOGIN")
PORTAL_SSO_HEADER = os.environ.get("PORTAL_SSO_HEADER", "")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "portal.access.TrustedHeaderSSOMiddleware",
)
MIDDLEWARE.append("portal.access.LoginRequiredMiddleware")
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django.contrib.auth.backends.RemoteUserBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Failed admin logins: after this many failures for one user name or one address within
# the window, further attempts are refused until the window has passed.
PORTAL_LOGIN_FAILURE_LIMIT = int(os.environ.get("PORTAL_LOGIN_FAILURE_LIMIT", "5"))
PORTAL_LOGIN_FAILURE_WINDOW = int(os.environ.get("PORTAL_LOGIN_FAILURE_WINDOW", "900"))
# Issue 13: behind these proxies (addresses or networks) a client's address is read from
# X-Forwarded-For; failed logins are counted in the shared cache, and refused when it is
# down (without REDIS_URL the counts are per worker process: use Redis in production).
PORTAL_TRUSTED_PROXIES = env_list("PORTAL_TRUSTED_PROXIES")
CACHES["login-failures"] = {**CACHES["default"], "OPTIONS": {
    **CACHES["default"].get("OPTIONS", {}), "IGNORE_EXCEPTIONS": False}}  # fmt: skip

# Logs as JSON lines with DJANGO_LOG_FORMAT=json.
if os.environ.get("DJANGO_LOG_FORMAT", "text") == "json":
    LOGGING["formatters"]["json"] = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }
    LOGGING["handlers"]["console"]["formatter"] = "json"
