"""`make run`: DEBUG on, mail printed to the console (and kept in the outbox)."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
