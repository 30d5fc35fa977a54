"""E-mail backends: development (prints and keeps each message) and SMTP for the dispatcher."""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Sequence
from email.utils import parseaddr
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from reminders.grouped import Prepared
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
        message = email_message.message()
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        return self._send_bytes(
            str(email_message.from_email),
            recipients,
            message.as_bytes(linesep="\r\n"),
            encoding=encoding,
        )

    def _send_bytes(
        self, from_email: str, recipients: list[str], data: bytes, *, encoding: str
    ) -> bool:
        sender = _envelope_sender(from_email, encoding)
        envelope = [sanitize_address(parseaddr(address), encoding) for address in recipients]
        try:
            self.connection.sendmail(sender, envelope, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

    def send_prepared(self, prepared: Prepared) -> int:
        """Send an e-mail serialised already (`reminders.grouped`): 1 when sent, else 0.

        The same envelope and the same connection handling as `send_messages`.
        """
        if not prepared.to:
            return 0
        with self._lock:
            new_connection = self.open()
            if not self.connection or new_connection is None:
                return 0
            try:
                sent = self._send_bytes(
                    prepared.from_email,
                    prepared.to,
                    prepared.data,
                    encoding=prepared.encoding,
                )
            finally:
                if new_connection:
                    self.close()
        return int(sent)
