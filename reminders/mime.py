"""The outbox's e-mail class: Django's `EmailMultiAlternatives`, serialised with less work.

Turning a message into bytes is most of what sending costs the dispatcher, and two steps of
the standard library's generator do work that our messages never need:

1. Every header goes through `email.header.Header` to be folded, even a short ASCII one that
   needs no folding (most of ours: Django has already encoded non-ASCII names as encoded
   words). `FAST_FOLDING` writes those as they are and folds everything else as before.
2. A multipart without a boundary gets a random one, checked against the whole text with a
   freshly compiled regular expression. Ours get 128 random bits up front instead, which no
   body contains by chance.

Nothing changes for a provider's HTTP API (django-anymail backends never serialise MIME).
"""

from __future__ import annotations

import re
import secrets
from email._policybase import Compat32
from email.message import Message as MimeMessage

from django.core.mail import EmailMultiAlternatives

# RFC 5322's recommended line length, less room for the CRLF.
_SHORT_LINE = 76


# Printable ASCII and tab only: any other control character (vertical tab, form feed, the
# separators the standard library treats as line breaks) takes the standard path, which
# refuses what would start a new header.
_PLAIN = re.compile(r"[\t\x20-\x7e]*")


class _FastFolding(Compat32):
    """compat32 (Django's policy), writing short single-line printable headers without folding."""

    def _fold(self, name: str, value: object, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and len(name) + 2 + len(value) <= _SHORT_LINE
            and _PLAIN.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]  # compat32's own, untyped


FAST_FOLDING = _FastFolding()


class OutboxEmail(EmailMultiAlternatives):
    # The boundaries of the multiparts in order, instead of random ones: set by
    # `reminders.grouped` to find them in the bytes (each as long as a random one).
    fixed_boundaries: list[str] | None = None

    def message(self) -> MimeMessage:
        message = super().message()
        message.policy = FAST_FOLDING
        fixed = iter(self.fixed_boundaries or ())
        for part in message.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(next(fixed, None) or f"=_{secrets.token_hex(16)}")
        return message
