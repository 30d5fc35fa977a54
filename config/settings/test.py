"""pytest: SQLite unless DATABASE_URL says otherwise; mail kept in memory."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789-abcdefghijklmnop"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real worker started by a test sends through the capturing backend (set in its environment).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
ANYMAIL = {"WEBHOOK_SECRET": "tracker:s3cret"}
TRACKING_WEBHOOK_PROVIDERS = ["postmark"]
INBOUND_WEBHOOK_PROVIDERS = ["postmark"]
CALENDAR_REPLY_EMAIL = "rsvp@convene.example"
PUBLIC_BASE_URL = "https://convene.example"
ALLOWED_HOSTS = ["*"]
SIGNUP_OPEN = True
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=env.bool("CI", default=False))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Templates of the message kinds that only the outbox tests register.
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]  # noqa: F405
# Real workers started by tests load the test-only message kinds too.
CELERY_IMPORTS = ["tests.support.kinds"]
