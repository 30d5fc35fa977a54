"""Settings shared by every profile; every value that differs per deployment comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF

from config.settings.parsing import reminder_offsets

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("CONVENE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The proxies in front of Convene, so that every limit and log uses the client's own address
# (`reminders.ratelimit.client_address`, via django-ipware): how many proxies each request passes
# (each appends to X-Forwarded-For), and optionally the networks the nearest one connects from
# (naming networks implies one proxy). With neither, X-Forwarded-For is ignored: any client can
# send it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_NETWORKS = env.list("TRUSTED_PROXY_NETWORKS", default=[])
# E-mails a stranger can have sent to one mailbox (+tags folded) per hour: confirmations,
# commitment links. And registrations one client may make for one session per hour.
MAIL_PER_MAILBOX_PER_HOUR = env.int("MAIL_PER_MAILBOX_PER_HOUR", default=5)
REGISTRATIONS_PER_CLIENT_PER_SESSION_PER_HOUR = env.int(
    "REGISTRATIONS_PER_CLIENT_PER_SESSION_PER_HOUR", default=10
)

# Every link in an e-mail or a QR code is built from this, never from the request.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# `load_demo` creates a superuser with a published password: never under production settings.
DEMO_DATA_ALLOWED = True
# Hosts may sign themselves up; otherwise an admin creates them in the Django admin.
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "csp",
    "reminders",
    "programs",
    "sessions_app",
    "guests",
    "commitments",
    # Project-level commands (`devserver`, `load_demo`) live in config/management/commands/.
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need neither a policy nor "no-store".
    "csp.middleware.CSPMiddleware",
    "config.headers.PrivatePagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "programs.timezones.ViewerTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy (django-csp 4). No inline script anywhere and no eval (htmx runs
# with allowEval off, see base.html); styles from our stylesheet, plus the one <style> element
# of a branded page, which carries the request's nonce. Room pages add the media provider's
# origin to frame-src (`sessions_app.room_access.room_page`). docs/headers-and-admin.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": [NONE],
        "worker-src": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "programs.branding.brand",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'convene.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, worker and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The Insights indexes carry non-key columns (`include=`) for PostgreSQL's index-only scans;
# on SQLite they are plain indexes, which is all the embedded default needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, answering from process memory while Redis is away
            # (docs/outages.md); short timeouts so an unreachable server costs little.
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "convene",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
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
AUTHENTICATION_BACKENDS = ["programs.backends.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "programs:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: EMAIL_URL (smtp://user:pass@host:587/?tls=True) or an anymail provider via ANYMAIL_*.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    # The same backend, with the envelope addresses read the cheap way (reminders.backends).
    EMAIL_BACKEND = "reminders.backends.SMTPEmailBackend"
# A provider that stops answering must not hold a dispatcher (and its lease) for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Convene <noreply@convene.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The domain of Message-IDs (`<convene.42@domain>`): the sending domain unless told otherwise.
MAIL_DOMAIN = env.str(
    "MAIL_DOMAIN", default=DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "localhost"
)
# The ORGANIZER of every invite: an address whose mail reaches Convene's inbound webhook, so
# that "Accept" / "Decline" in a calendar comes back (default: the sending address).
CALENDAR_REPLY_EMAIL = env.str("CALENDAR_REPLY_EMAIL", default="")
# The providers whose inbound webhook (/anymail/<provider>/inbound/) is routed.
INBOUND_WEBHOOK_PROVIDERS = env.list("INBOUND_WEBHOOK_PROVIDERS", default=[])
# The address of List-Unsubscribe's mailto (default: the sending address).
UNSUBSCRIBE_EMAIL = env.str("UNSUBSCRIBE_EMAIL", default="")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and value
}
# The providers whose delivery-tracking webhook (/anymail/<provider>/tracking/) is routed: by
# default the one anymail backend that sends the mail. Every other provider's URL answers 404.
TRACKING_WEBHOOK_PROVIDERS = env.list(
    "TRACKING_WEBHOOK_PROVIDERS",
    default=[EMAIL_BACKEND.split(".")[2]] if EMAIL_BACKEND.startswith("anymail.backends.") else [],
)

# Celery: Redis in production; with no REDIS_URL a broker that needs no server (kombu's
# SQLAlchemy transport on a SQLite file), which runs a worker and beat side by side.
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat wait out a broker outage however long it lasts, instead of giving up after
# Celery's default 100 tries.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Redis redelivers an unacknowledged task after this long; the dispatcher's own lease, not this,
# guards against double sends.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600} if REDIS_URL else {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
OUTBOX_DISPATCH_INTERVAL_SECONDS = env.float("OUTBOX_DISPATCH_INTERVAL_SECONDS", default=5.0)
ROUNDS_ADVANCE_INTERVAL_SECONDS = env.float("ROUNDS_ADVANCE_INTERVAL_SECONDS", default=15.0)
# A frequent task expires after two intervals, but never sooner than a minute: right after a
# broker outage the worker discards (and acknowledges at once) every expired task it receives,
# and kombu's Redis transport can fail such an acknowledgement while its connection is being
# replaced ("Unrecoverable error: 'NoneType' object has no attribute 'hostname'"), which ends
# the worker; seen once in tests/test_outages.py with one-second ticks. A stale tick that runs
# instead is harmless: it claims what is due, or nothing.
FREQUENT_TASK_EXPIRES_FLOOR_SECONDS = 60.0
CELERY_BEAT_SCHEDULE = {
    "outbox-dispatch": {
        "task": "reminders.tasks.dispatch_outbox",
        "schedule": timedelta(seconds=OUTBOX_DISPATCH_INTERVAL_SECONDS),
        "options": {
            "expires": max(
                OUTBOX_DISPATCH_INTERVAL_SECONDS * 2, FREQUENT_TASK_EXPIRES_FLOOR_SECONDS
            )
        },
    },
    # Opens rounds whose opt-in moment has come and matches rounds that are due.
    "rounds-advance": {
        "task": "programs.tasks.advance_rounds",
        "schedule": timedelta(seconds=ROUNDS_ADVANCE_INTERVAL_SECONDS),
        "options": {
            "expires": max(ROUNDS_ADVANCE_INTERVAL_SECONDS * 2, FREQUENT_TASK_EXPIRES_FLOOR_SECONDS)
        },
    },
    "outbox-prune": {
        "task": "reminders.tasks.prune_outbox",
        "schedule": timedelta(hours=24),
        "options": {"expires": 3600},
    },
    # Background replans (sessions_app.replans) whose task was lost: queued again.
    "replans-resume": {
        "task": "sessions_app.tasks.resume_replans",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 60},
    },
    # Recording files left behind when a session or program is deleted in the admin.
    "recordings-sweep": {
        "task": "sessions_app.tasks.sweep_recordings",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
}

# The outbox: how long a claimed row stays leased to one dispatcher before another may take it
# (renewed while its batch is in progress, so this is what a killed worker delays its rows by).
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=60)
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# Sent, cancelled and skipped messages (and their events) are deleted after this many days.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Background replans of a session's registrants (sessions_app.replans): registrations per batch,
# each batch one transaction under the session's row lock.
SESSION_REPLAN_BATCH_SIZE = env.int("SESSION_REPLAN_BATCH_SIZE", default=2000)

# Reminder moments replaced by exact durations in seconds, e.g. {"day": 120, "hour": 60,
# "30min": 30}: for demos and end-to-end tests that watch every reminder arrive. Empty in use.
SESSION_REMINDER_OFFSETS = reminder_offsets(env.str("SESSION_REMINDER_OFFSETS", default=""))

# Live rooms: the embedded audio/video provider (Jitsi Meet by default) and recording uploads.
VIDEO_PROVIDER_BASE_URL = env.str("VIDEO_PROVIDER_BASE_URL", default="https://meet.jit.si").rstrip(
    "/"
)
RECORDING_MAX_BYTES = env.int("RECORDING_MAX_BYTES", default=2 * 1024**3)
# Which media server carries the rooms' audio and video (`sessions_app.media`): "janus"
# (self-hosted, enforced at the server), "jitsi" (VIDEO_PROVIDER_BASE_URL, with JWTs when
# JITSI_APP_ID/JITSI_APP_SECRET are set), "jaas" (8x8's Jitsi as a Service, RS256 JWTs and its
# recording webhook) or "none" (the room says video is not set up).
VIDEO_PROVIDER = env.str("VIDEO_PROVIDER", default="jitsi")
# Janus: the Janus API as browsers reach it, and the Admin API only the backend reaches.
JANUS_URL = env.str("JANUS_URL", default="http://127.0.0.1:8088/janus")
JANUS_ADMIN_URL = env.str("JANUS_ADMIN_URL", default="http://127.0.0.1:7088/admin")
JANUS_ADMIN_SECRET = env.str("JANUS_ADMIN_SECRET", default="")
# Where Janus writes its recordings (the same filesystem as the worker's, e.g. a volume).
JANUS_RECORDINGS_DIR = env.str("JANUS_RECORDINGS_DIR", default=str(VAR_DIR / "janus-recordings"))
# STUN/TURN servers for browsers behind NAT, as RTCIceServer objects (JSON).
JANUS_ICE_SERVERS = env.json("JANUS_ICE_SERVERS", default=[])
# A self-hosted Jitsi Meet with token authentication (prosody's app_id / app_secret, HS256).
JITSI_APP_ID = env.str("JITSI_APP_ID", default="")
JITSI_APP_SECRET = env.str("JITSI_APP_SECRET", default="")
# How long a Jitsi or JaaS token is valid from the moment its room page is rendered.
JITSI_JWT_SECONDS = env.int("JITSI_JWT_SECONDS", default=2 * 60 * 60)
# Jitsi as a Service (VIDEO_PROVIDER=jaas): the AppID (vpaas-magic-cookie-…), the API key's id
# (the part after "<AppID>/" in the console's key id), and its RSA private key, as PEM text or
# as a file (JAAS_PRIVATE_KEY_PATH, read when a token is signed).
JAAS_BASE_URL = env.str("JAAS_BASE_URL", default="https://8x8.vc").rstrip("/")
JAAS_APP_ID = env.str("JAAS_APP_ID", default="")
JAAS_API_KEY_ID = env.str("JAAS_API_KEY_ID", default="")
JAAS_PRIVATE_KEY = env.str("JAAS_PRIVATE_KEY", default="", multiline=True)
JAAS_PRIVATE_KEY_PATH = env.str("JAAS_PRIVATE_KEY_PATH", default="")
# The JaaS webhook (/media/jaas/webhook/): the Authorization header value set in the JaaS
# console; without it every call is refused. Recordings are downloaded only from these hosts
# (exact names, or ".example.com" for a domain and its subdomains), over https (http only to
# a loopback address).
JAAS_WEBHOOK_SECRET = env.str("JAAS_WEBHOOK_SECRET", default="")
JAAS_RECORDING_HOSTS = env.list("JAAS_RECORDING_HOSTS", default=[])

# Sessions read from the cache (Redis in production) and written through to the database:
# every waiting attendee's browser polls the room state with its session cookie.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
