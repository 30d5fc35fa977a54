"""What a failed send means, as the protocols mean it.

SMTP (RFC 5321 §4.2.1): a 4xx reply at any stage is "try again later"; a 5xx reply to RCPT or
after DATA refuses this message or this recipient for good. A refusal at the greeting, at
EHLO/HELO, at authentication or at MAIL FROM is about the sender, so it says nothing about the
message: every message would meet it. Such a refusal, a dropped connection and a timeout are
*provider-wide*: the dispatcher stops the tick, keeps the mail and tells the hosts, and the
message fails only once all its attempts are used.

HTTP providers through django-anymail: 429 and 5xx are temporary and provider-wide, as are 401
and 403 (a key that is wrong now is an operator's fix away); a rejected recipient is permanent
for that message, with the provider's reason; another 4xx refuses the message as it was built.

Anything else raised while a message is built or handed over (a header Django refuses, a
template error) is about that message alone: it fails with its reason and the batch goes on.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass

from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailUnsupportedFeature,
)


class PermanentDeliveryError(Exception):
    """An e-mail backend raises this when retrying cannot help this one message."""


@dataclass(frozen=True)
class SendFailure:
    temporary: bool
    # The provider refuses us rather than this message: more sends this tick would fail alike.
    provider_wide: bool
    reason: str
    # What the provider said without naming the recipient: shown to every host while the
    # provider is failing, so it must not carry one participant's address to others.
    public_reason: str = ""
    # The provider took the message although the call reported an error (an answer anymail
    # could not read): it is recorded as sent.
    delivered: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "public_reason", _without_addresses(self.public_reason or self.reason)
        )


_ADDRESS = re.compile(r"<[^<>]*@[^<>]*>|[^\s<>;,:]+@[^\s<>;,:]+")


def _without_addresses(text: str) -> str:
    """Servers quote the recipient in their replies ("<bob@example.org>: Greylisted")."""
    return _ADDRESS.sub("<address>", text)


def _enhanced_class(text: bytes | str) -> str:
    """The RFC 3463 subject of a reply ("5.7.1 Relay access denied" → "7"), or ""."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    match = re.match(r"\s*[245]\.(\d{1,3})\.\d{1,3}", text)
    return match.group(1) if match else ""


# RFC 3463 subjects of a 5xx to RCPT that speak of us, not of the recipient: addressing of
# the system (3), network and routing (4), security and policy (7): relay denied, sender not
# allowed, authentication required. Postfix reports its client and sender restrictions at RCPT.
SENDER_SUBJECTS = {"3", "4", "7"}


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{code} {' '.join(text.split())}".strip()


def _smtp_failure(error: smtplib.SMTPException) -> SendFailure:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.values())
        reason = "; ".join(
            f"{address}: {_reply(code, text)}" for address, (code, text) in error.recipients.items()
        )
        public = "RCPT: " + "; ".join(_reply(code, text) for code, text in replies)
        # 421: the server is closing the connection (RFC 5321 §3.8), whatever the stage; a
        # 5xx whose enhanced code speaks of the sender or of policy refuses us, not them.
        if any(code == 421 for code, _ in replies) or any(
            code >= 500 and _enhanced_class(text) in SENDER_SUBJECTS for code, text in replies
        ):
            return SendFailure(
                temporary=True, provider_wide=True, reason=reason, public_reason=public
            )
        is_permanent = bool(replies) and all(code >= 500 for code, _ in replies)
        return SendFailure(
            temporary=not is_permanent, provider_wide=False, reason=reason, public_reason=public
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reason = _reply(error.smtp_code, error.smtp_error)
        if error.smtp_code == 421:
            return SendFailure(temporary=True, provider_wide=True, reason=reason)
        if isinstance(error, smtplib.SMTPSenderRefused) and error.smtp_code == 552:
            # With SIZE= on MAIL FROM (RFC 1870), 552 says this message is too large.
            return SendFailure(temporary=False, provider_wide=False, reason=f"MAIL FROM: {reason}")
        if isinstance(error, smtplib.SMTPDataError):
            # After DATA the reply is about this message's content.
            return SendFailure(
                temporary=error.smtp_code < 500, provider_wide=False, reason=f"DATA: {reason}"
            )
        stage = {
            smtplib.SMTPSenderRefused: "MAIL FROM",
            smtplib.SMTPHeloError: "EHLO",
            smtplib.SMTPConnectError: "connect",
            smtplib.SMTPAuthenticationError: "AUTH",
        }.get(type(error), "SMTP")
        return SendFailure(temporary=True, provider_wide=True, reason=f"{stage}: {reason}")
    # Disconnected, not supported, and the rest: the conversation broke, not the message.
    return SendFailure(
        temporary=True, provider_wide=True, reason=f"{type(error).__name__}: {error}"
    )


def _anymail_failure(error: AnymailError) -> SendFailure:
    reason = " ".join(str(error).split())
    if isinstance(error, AnymailRecipientsRefused | AnymailInvalidAddress):
        return SendFailure(temporary=False, provider_wide=False, reason=reason)
    if isinstance(error, AnymailUnsupportedFeature):
        # The provider cannot do what every message asks (a configuration to fix).
        return SendFailure(temporary=True, provider_wide=True, reason=reason)
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        if status is not None and 200 <= status < 300:
            return SendFailure(temporary=False, provider_wide=False, reason=reason, delivered=True)
        if status is None or status in (401, 403, 408, 429) or status >= 500:
            return SendFailure(temporary=True, provider_wide=True, reason=reason)
        return SendFailure(temporary=False, provider_wide=False, reason=reason)
    return SendFailure(temporary=False, provider_wide=False, reason=reason)


def send_failure_classify(error: BaseException) -> SendFailure:
    """What `error`, raised while handing one message to the provider, means for it."""
    if isinstance(error, PermanentDeliveryError):
        return SendFailure(temporary=False, provider_wide=False, reason=str(error))
    if isinstance(error, smtplib.SMTPException):
        return _smtp_failure(error)
    if isinstance(error, AnymailError):
        return _anymail_failure(error)
    if isinstance(error, OSError):  # refused, reset, unreachable, timed out, TLS
        return SendFailure(
            temporary=True, provider_wide=True, reason=f"{type(error).__name__}: {error}"
        )
    return SendFailure(
        temporary=False,
        provider_wide=False,
        reason=f"could not be built: {type(error).__name__}: {error}",
    )
