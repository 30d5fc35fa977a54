"""E-mail backends: development (prints and keeps each message) and SMTP for the dispatcher."""

from __future__ import annotations

import re
import select
import smtplib
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from reminders.grouped import EndGate, Prepared
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
    sanitised exactly as Django does (IDNA domains, encoded names, no line breaks). A plain
    recipient (`Name <local@example.org>` of ASCII letters, digits and the usual address
    characters) needs neither: its envelope address is read off with one regular expression
    (`_plain_envelope`), the same `<local@example.org>` the parsers give.
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
        self,
        from_email: str,
        recipients: list[str],
        data: bytes,
        *,
        encoding: str,
        before_end: EndGate | None = None,
    ) -> bool:
        sender = _envelope_sender(from_email, encoding)
        if self.connection is None:
            raise smtplib.SMTPServerDisconnected("the connection is not open")
        try:
            if before_end is None:
                envelope = [
                    sanitize_address(parseaddr(address), encoding) for address in recipients
                ]
                self.connection.sendmail(sender, envelope, data)
            else:
                _sendmail_gated(
                    self.connection,
                    sender,
                    [(_quoted_recipient(address, encoding), address) for address in recipients],
                    data,
                    encoding=encoding,
                    before_end=before_end,
                )
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

    def open(self) -> bool | None:
        opened = super().open()
        if opened and self.connection is not None and self.connection.sock is not None:
            # The message's last line goes in a write of its own (see `_sendmail_gated`):
            # without this, Nagle's algorithm holds it until the server acknowledges the
            # body, which a server delays by up to 40 ms.
            self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return opened

    def send_prepared(self, prepared: Prepared) -> int:
        """Send an e-mail serialised already (`reminders.grouped`): 1 when sent, else 0.

        The same envelope and the same connection handling as `send_messages`. With
        `prepared.before_end`, the message's last line (the `.` that makes the server take it)
        waits for it, and is never sent if it answers False (`SendAbandoned`).
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
                    before_end=prepared.before_end,
                )
            finally:
                if new_connection:
                    self.close()
        return int(sent)


# `Name <local@domain>` or `local@domain` where nothing needs quoting, encoding or IDNA: the
# name of letters, digits, spaces and hyphens; a dot-atom local part; an ASCII domain of
# non-empty labels.
_PLAIN_RECIPIENT = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9 -]* <)?"
    r"(?P<address>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)(?(name)>)"
)


def _quoted_recipient(address: str, encoding: str) -> str:
    """The recipient as RCPT TO names it: what `sanitize_address` and then `smtplib.quoteaddr`
    make of it, without their parsers for a plain address."""
    plain = _plain_envelope(address)
    if plain is not None:
        return plain
    return smtplib.quoteaddr(sanitize_address(parseaddr(address), encoding))


def _plain_envelope(address: str) -> str | None:
    match = _PLAIN_RECIPIENT.fullmatch(address)
    return f"<{match.group('address')}>" if match else None


@lru_cache(maxsize=64)
def _quoted_sender(sender: str) -> str:
    return smtplib.quoteaddr(sender)


class SendAbandoned(Exception):
    """The message's end was never sent: the server dropped it, nothing was delivered."""


def _sendmail_gated(
    smtp: smtplib.SMTP,
    sender: str,
    envelope: list[tuple[str, str]],
    data: bytes,
    *,
    encoding: str,
    before_end: EndGate,
) -> None:
    """`smtplib.SMTP.sendmail` (same commands, replies and errors), with `before_end` asked
    just before the final `.`: the dispatcher records the previous send meanwhile.
    `before_end(timeout)` answers whether the end may go (False: never), waiting at most
    `timeout` seconds (None: as long as the dispatcher allows); asked with 0 first, so that a
    gate opened already costs no wait.

    Each recipient comes as RCPT names it (quoted as `smtplib.quoteaddr` quotes it) and as
    the e-mail names it, so MAIL and RCPT are written here as `SMTP.mail` and `SMTP.rcpt`
    write them without parsing the addresses again; a refusal names the recipient as Django's
    sanitised envelope would (what `sendmail` reports)."""
    smtp.ehlo_or_helo_if_needed()
    options = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    talk = _Envelope(sender, options, envelope, encoding)
    if smtp.does_esmtp and smtp.has_extn("pipelining"):
        talk.pipelined(smtp)
    else:
        talk.in_turn(smtp)
    body = smtplib._quote_periods(data)  # type: ignore[attr-defined]  # as sendmail quotes
    if body[-2:] != b"\r\n":
        body += b"\r\n"
    if before_end(0):
        # The previous send is recorded already (the usual case): body and end in one write,
        # which the server reads at once.
        smtp.send(body + b".\r\n")
    else:
        smtp.send(body)
        # Written by the thread that opens the gate, or by this one, or never.
        if not before_end(None, end=lambda may_wait: _write_end(smtp, may_wait=may_wait)):
            # Without its end the server never takes the message; closing drops it.
            smtp.close()
            raise SendAbandoned("the previous send could not be recorded")
    code, reply = smtp.getreply()
    if code != 250:
        _reset_or_close(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


@dataclass(frozen=True)
class _Envelope:
    """MAIL FROM (with its options) and the recipients as RCPT names them and as the e-mail
    names them; a refusal names a recipient as Django's sanitised envelope would."""

    sender: str
    options: str
    recipients: list[tuple[str, str]]
    encoding: str

    def refused_as(self, recipient: str) -> str:
        return sanitize_address(parseaddr(recipient), self.encoding)

    def in_turn(self, smtp: smtplib.SMTP) -> None:
        """MAIL, each RCPT and DATA, each written once the previous one is answered, as
        `smtplib.SMTP.sendmail` writes them."""
        smtp.putcmd("mail", f"FROM:{_quoted_sender(self.sender)}{self.options}")
        code, reply = smtp.getreply()
        if code != 250:
            _reset_or_close(smtp, code)
            raise smtplib.SMTPSenderRefused(code, reply, self.sender)
        refused = {}
        for quoted, recipient in self.recipients:
            smtp.putcmd("rcpt", f"TO:{quoted}")
            code, reply = smtp.getreply()
            if code not in (250, 251):
                refused[self.refused_as(recipient)] = (code, reply)
            if code == 421:
                smtp.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(self.recipients):
            smtp._rset()  # type: ignore[attr-defined]  # smtplib's own, as sendmail uses it
            raise smtplib.SMTPRecipientsRefused(refused)
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)

    def pipelined(self, smtp: smtplib.SMTP) -> None:
        """MAIL, every RCPT and DATA in one write, then their replies in order (RFC 2920):
        one round trip instead of two and one per recipient, and the same errors as
        `in_turn` for the same replies. As the RFC asks, every reply is read and checked: a
        DATA answered 354 although nothing before it was accepted gets a lone `.` (an empty
        message for no recipient), which keeps the conversation in step."""
        commands = [f"mail FROM:{_quoted_sender(self.sender)}{self.options}"]
        commands += [f"rcpt TO:{quoted}" for quoted, _ in self.recipients]
        smtp.send("".join(f"{command}\r\n" for command in commands) + "data\r\n")
        mail = smtp.getreply()
        if mail[0] == 421:
            smtp.close()
            raise smtplib.SMTPSenderRefused(*mail, self.sender)
        refused = {}
        for _, recipient in self.recipients:
            code, reply = smtp.getreply()
            if code not in (250, 251):
                refused[self.refused_as(recipient)] = (code, reply)
            if code == 421:
                smtp.close()
                if mail[0] != 250:
                    raise smtplib.SMTPSenderRefused(*mail, self.sender)
                raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = smtp.getreply()
        if code == 421:
            smtp.close()
        elif mail[0] != 250 or len(refused) == len(self.recipients):
            if code == 354:
                smtp.send(b".\r\n")
                smtp.getreply()
            smtp._rset()  # type: ignore[attr-defined]  # smtplib's own, as sendmail uses it
        if mail[0] != 250:
            raise smtplib.SMTPSenderRefused(*mail, self.sender)
        if len(refused) == len(self.recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)


def _write_end(smtp: smtplib.SMTP, *, may_wait: bool) -> bool:
    """Write the message's last line; without `may_wait`, only if the socket takes it at
    once (False: nothing written). Another thread may call this while the sending thread
    waits for the gate: the socket is not otherwise in use then."""
    end = b".\r\n"
    if may_wait:
        smtp.send(end)
        return True
    sock = smtp.sock
    if sock is None:
        return False  # closed: the sending thread finds out and reports it
    _, writable, _ = select.select([], [sock], [], 0)
    if not writable:
        return False
    try:
        written = sock.send(end, getattr(socket, "MSG_DONTWAIT", 0))
    except BlockingIOError:
        return False
    if written < len(end):
        sock.sendall(end[written:])  # the socket had room a moment ago: a byte or two more
    return True


def _reset_or_close(smtp: smtplib.SMTP, code: int) -> None:
    if code == 421:
        smtp.close()
    else:
        smtp._rset()  # type: ignore[attr-defined]  # smtplib's own, as sendmail uses it
