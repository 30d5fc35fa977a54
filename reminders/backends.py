"""An e-mail backend for development: prints each message and keeps it for the dev outbox page."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend

from reminders.models import CapturedEmail

MESSAGE_HEADER = "X-Convene-Message"


class CapturingEmailBackend(BaseEmailBackend):
    # The dispatcher sends through it inline rather than from its sending thread.
    uses_database = True

    def __init__(self, *args: object, echo: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.console = (
            ConsoleBackend(stream=sys.stdout, fail_silently=self.fail_silently) if echo else None
        )

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for email in email_messages:
            message_id = email.extra_headers.get(MESSAGE_HEADER)
            CapturedEmail.objects.create(
                message_id=int(message_id) if message_id and message_id.isdigit() else None,
                to=", ".join(email.recipients()),
                subject=email.subject[:255],
                raw=email.message().as_string(),
            )
        if self.console is not None:
            self.console.send_messages(email_messages)
        return len(email_messages)
