"""The outbox's e-mail class: Django's `EmailMultiAlternatives`, serialised with less work.

Turning a message into bytes is most of what sending costs the dispatcher, and two steps of
the standard library's generator do work that our messages never need:

1. Every header goes through `email.header.Header` to be folded, even a short ASCII one that
   needs no folding (most of ours: Django has already encoded non-ASCII names as encoded
   words). `FAST_FOLDING` writes those as they are, folds a long one of printable ASCII words
   at its spaces (a List-Unsubscribe with its two addresses: `Header` took 45 µs for it), and
   leaves everything else to the standard path.
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


# RFC 5322: a line is at most 998 characters, and should be at most 78.
_LINE_MOST = 998
_LINE_SHOULD = 78


class _FastFolding(Compat32):
    """compat32 (Django's policy), writing short single-line printable headers without folding
    and long ones of printable words folded at their spaces."""

    def _fold(self, name: str, value: object, sanitize: bool) -> str:
        if isinstance(value, str) and _PLAIN.fullmatch(value) and "\t" not in value:
            if len(name) + 2 + len(value) <= _SHORT_LINE:
                return f"{name}: {value}{self.linesep}"
            folded = _folded_at_spaces(name, value, self.linesep)
            if folded is not None:
                return folded
        return super()._fold(name, value, sanitize)  # type: ignore[misc]  # compat32's own, untyped


def _folded_at_spaces(name: str, value: str, linesep: str) -> str | None:
    """`name: value` in lines of at most 78 characters, each fold a line break put before one
    of the value's single spaces (so unfolding gives the value back exactly); None when a
    word alone would pass 998 or the spacing is not single spaces between words."""
    words = value.split(" ")
    if "" in words:
        return None
    first = f"{name}: {words[0]}"
    # A first word too long for the first line goes on the next, as `Header` puts it.
    lines = [first] if len(first) <= _LINE_SHOULD else [f"{name}: ", " " + words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= _LINE_SHOULD:
            lines[-1] += " " + word
        else:
            lines.append(" " + word)
    if any(len(line) > _LINE_MOST for line in lines):
        return None
    return linesep.join(lines) + linesep


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
