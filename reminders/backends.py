"""E-mail backends: development (prints and keeps each message) and SMTP for the dispatcher."""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Sequence
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from reminders.models import CapturedEmail

MESSAGE_HEADER = "X-Convene-Message"


class CapturingEmailBackend(BaseEmailBackend):
    # The dispatcher sends through it inline rather than from its sending thread.
    uses_database = True

    def __init__(self, *args: Any, echo: bool = True, **kwargs: Any) -> None:
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


@lru_cache(maxsize=64)
def _envelope_sender(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


class SMTPEmailBackend(SMTPBackend):
    """Django's SMTP backend, with the envelope's addresses read the cheap way.

    Django parses both envelope addresses with the full RFC 5322 header parser on every send,
    which cost the dispatcher as much as rendering the message. The sender is the same on
    every e-mail, so its parsed form is kept; a recipient is split with `parseaddr` and then
    sanitised exactly as Django does (IDNA domains, encoded names, no line breaks).
    """

    def _send(self, email_message: EmailMessage) -> bool:
        recipients = email_message.recipients()
        if not recipients:
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = _envelope_sender(str(email_message.from_email), encoding)
        envelope = [sanitize_address(parseaddr(address), encoding) for address in recipients]
        message = email_message.message()
        try:
            self.connection.sendmail(from_email, envelope, message.as_bytes(linesep="\r\n"))
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
