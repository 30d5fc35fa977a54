"""`make run`: DEBUG on, mail printed to the console (and kept in the outbox)."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
# Mail is printed and kept for the dev outbox page (/dev/outbox/) unless EMAIL_URL says otherwise.
if not env.str("EMAIL_URL", default="") and not env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = "reminders.backends.CapturingEmailBackend"
