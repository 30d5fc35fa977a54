"""E-mail backends for tests that run a real worker in another process."""

from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends import locmem

from reminders.backends import MESSAGE_HEADER, CapturingEmailBackend


class SlowCapturingBackend(CapturingEmailBackend):
    """Keeps every e-mail like the dev backend, taking TEST_SEND_DELAY_MS per e-mail (a slow provider)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, echo=False, **kwargs)
        self.delay = int(os.environ.get("TEST_SEND_DELAY_MS", "0")) / 1000

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if self.delay:
            time.sleep(self.delay * len(email_messages))
        return super().send_messages(email_messages)


# Message-ID of each outbox row's first, refused, attempt (RefuseOnceBackend).
refused: dict[int, str] = {}


class RefuseOnceBackend(locmem.EmailBackend):
    """Refuses each outbox row's first attempt for now (SMTP 450), then takes it like locmem."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for email in email_messages:
            row = int(email.extra_headers[MESSAGE_HEADER])
            if row not in refused:
                refused[row] = email.message()["Message-ID"]
                raise smtplib.SMTPRecipientsRefused({email.to[0]: (450, b"4.2.0 try later")})
        return super().send_messages(email_messages)
