"""A message kind that belongs to no domain app, for testing the outbox on its own.

Imported by tests/conftest.py, and by real worker processes started from tests (through
CELERY_IMPORTS in the test settings).
"""

from __future__ import annotations

from django.core.mail import EmailMessage

from reminders import registry
from reminders.emails import build_email
from reminders.models import Message


@registry.register("test_plain")
def render_test_plain(message: Message) -> EmailMessage:
    if message.payload.get("not_wanted"):
        raise registry.NotWanted(
            "test says no", cancelled=bool(message.payload.get("cancelled", False))
        )
    return build_email(
        template="test_plain",
        context={"message": message},
        to_email=message.recipient_email,
        to_name=message.recipient_name,
    )
